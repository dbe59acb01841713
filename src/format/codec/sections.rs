//! Writing a frame's bodies from its tile modes (encoder only): the main
//! body (header, vectors, modes, references, literal planes, residual
//! planes) and the photo body (predicted planes), laid out as §7.5 says.

#![forbid(unsafe_code)]

use super::layout::{Grid, Op, Px, med, planes_of, runs};
use super::tiles::Vector;

/// The bodies of one frame, rebuilt for every frame so their buffers are
/// reused.
#[derive(Default)]
pub struct Sections {
    /// The main stream's body.
    pub main: Vec<u8>,
    /// The photo stream's body: the predicted planes.
    pub photo: Vec<u8>,
    /// Number of distinct vectors the main body lists.
    pub vector_count: usize,
    literal: [Vec<u8>; 3],
    residual: [Vec<u8>; 3],
    predicted: [Vec<u8>; 3],
    /// The colour planes of the current pixel row and of the one above,
    /// for the predictor.
    row: [Vec<u8>; 3],
    above: [Vec<u8>; 3],
}

impl Sections {
    /// Lays out the bodies of a frame of `cur` whose tiles have `modes`
    /// and `vectors`, against the previous frame `prev`.
    pub fn fill(
        &mut self,
        grid: &Grid,
        kind: u8,
        modes: &[u8],
        vectors: &[Vector],
        prev: &[Px],
        cur: &[Px],
    ) {
        let w = grid.width as usize;

        // The distinct vectors, in order of first use; index 0 is the null
        // vector.
        let mut list: Vec<Vector> = Vec::new();
        let mut refs: Vec<u8> = Vec::new();
        for (t, &m) in modes.iter().enumerate() {
            let op = Op::of(m).expect("the encoder writes valid modes");
            if !op.has_vector() {
                continue;
            }
            let v = vectors[t];
            let index = if v == (0, 0) {
                0
            } else if let Some(i) = list.iter().position(|&u| u == v) {
                i + 1
            } else {
                list.push(v);
                list.len()
            };
            refs.push(index as u8);
        }
        self.vector_count = list.len();

        self.main.clear();
        self.main.push(kind);
        self.main.push(list.len() as u8);
        for &(dx, dy) in &list {
            self.main.extend_from_slice(&(dx as i16).to_le_bytes());
            self.main.extend_from_slice(&(dy as i16).to_le_bytes());
        }
        self.main.extend_from_slice(modes);
        self.main.extend_from_slice(&refs);

        let predicted = &mut self.predicted;
        for p in self
            .literal
            .iter_mut()
            .chain(&mut self.residual)
            .chain(predicted.iter_mut())
        {
            p.clear();
        }
        for row in self.row.iter_mut().chain(&mut self.above) {
            row.resize(w, 0);
        }

        for band in 0..grid.rows {
            let tiles = &modes[band * grid.cols..(band + 1) * grid.cols];
            let op_in_band = |op: Op| tiles.contains(&(op as u8));
            let pred = op_in_band(Op::Predicted);
            if !(pred || op_in_band(Op::Literal) || op_in_band(Op::Patch)) {
                continue;
            }
            let runs: Vec<(usize, usize)> = runs(band, grid.cols, |a, b| {
                modes[a] == modes[b] && vectors[a] == vectors[b]
            })
            .filter(|&(t, _)| {
                matches!(
                    Op::of(modes[t]),
                    Some(Op::Literal | Op::Predicted | Op::Patch)
                )
            })
            .collect();
            let rows = grid.band_rows(band);
            if pred && rows.start > 0 {
                split(&cur[(rows.start - 1) * w..][..w], &mut self.row);
            }
            for y in rows {
                let line = &cur[y * w..][..w];
                if pred {
                    // The planes of this row; those of the row above are
                    // the last row's.
                    std::mem::swap(&mut self.above, &mut self.row);
                    split(line, &mut self.row);
                }
                for &(t, n) in &runs {
                    let x0 = grid.rect(t).0 as usize;
                    let (x1, _, w1, _) = grid.rect(t + n - 1);
                    let xs = x0..(x1 + w1) as usize;
                    match Op::of(modes[t]) {
                        Some(Op::Literal) => {
                            for (k, plane) in self.literal.iter_mut().enumerate() {
                                plane.extend(line[xs.clone()].iter().map(|&p| planes_of(p)[k]));
                            }
                        }
                        Some(Op::Predicted) => {
                            for (k, out) in predicted.iter_mut().enumerate() {
                                let above = (y > 0).then(|| &self.above[k][..]);
                                residuals(&self.row[k], above, xs.clone(), out);
                            }
                        }
                        Some(Op::Patch) => {
                            let (dx, dy) = vectors[t];
                            let sy = (y as i32 + dy) as usize;
                            let sx = (x0 as i32 + dx) as usize;
                            let from = &prev[sy * w + sx..][..xs.len()];
                            for (k, plane) in self.residual.iter_mut().enumerate() {
                                plane.extend(
                                    line[xs.clone()]
                                        .iter()
                                        .zip(from)
                                        .map(|(&p, &q)| ((p ^ q) >> (8 * k)) as u8),
                                );
                            }
                        }
                        _ => {}
                    }
                }
            }
        }

        for plane in self.literal.iter().chain(&self.residual) {
            self.main.extend_from_slice(plane);
        }
        self.photo.clear();
        for plane in predicted.iter() {
            self.photo.extend_from_slice(plane);
        }
    }
}

/// Splits a row of pixels into its three colour planes.
fn split(line: &[Px], planes: &mut [Vec<u8>; 3]) {
    for (x, &p) in line.iter().enumerate() {
        let v = planes_of(p);
        planes[0][x] = v[0];
        planes[1][x] = v[1];
        planes[2][x] = v[2];
    }
}

/// Appends the residuals (§7.6) of pixels `xs` of one plane's row: each
/// value minus the prediction from its left, upper and upper-left
/// neighbours, which are 0 outside the frame.
fn residuals(row: &[u8], above: Option<&[u8]>, xs: std::ops::Range<usize>, out: &mut Vec<u8>) {
    let (x0, x1) = (xs.start, xs.end);
    // The first pixel may sit on the frame's left edge; the rest all have
    // a left neighbour.
    let a0 = if x0 > 0 { row[x0 - 1] } else { 0 };
    match above {
        Some(up) => {
            let c0 = if x0 > 0 { up[x0 - 1] } else { 0 };
            out.push(row[x0].wrapping_sub(med(a0, up[x0], c0)));
            out.extend(
                (x0 + 1..x1).map(|x| row[x].wrapping_sub(med(row[x - 1], up[x], up[x - 1]))),
            );
        }
        None => {
            out.push(row[x0].wrapping_sub(med(a0, 0, 0)));
            out.extend((x0 + 1..x1).map(|x| row[x].wrapping_sub(med(row[x - 1], 0, 0))));
        }
    }
}
