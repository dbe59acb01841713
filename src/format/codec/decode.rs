//! The decoder: splits a payload between the chain's two streams, checks
//! the body against spec §7 completely, then applies it to the frame it
//! holds, in place.

#![forbid(unsafe_code)]

use super::CodecError;
use super::layout::{
    FLAG_REFRESH, Grid, KIND_DELTA, KIND_KEY, MAX_VECTORS, Op, bgrx_of, med, planes_of_bytes, runs,
};
use super::stream::Decompressor;
use crate::frame::Frame;

/// Decodes the frames of one stream, in order from a keyframe.
pub struct Decoder {
    width: u32,
    height: u32,
    /// The last frame decoded; `None` before a keyframe and after an error,
    /// so that a delta never applies to a frame it was not made for.
    frame: Option<Frame>,
    /// The chain's keyframe, BGRX, for recall tiles.
    key: Vec<u8>,
    main: Decompressor,
    photo: Decompressor,
    body: Vec<u8>,
    photo_body: Vec<u8>,
    /// Rows that moved tiles read from the previous frame, gathered before
    /// any tile is written.
    moved: Vec<u8>,
}

/// A body, checked.
struct Body<'a> {
    vectors: Vec<(i32, i32)>,
    modes: &'a [u8],
    /// The vector of every tile, null for tiles without one.
    tile_vectors: Vec<(i32, i32)>,
    /// Literal planes, each `literal.len() / 3` long.
    literal: &'a [u8],
    residual: &'a [u8],
    /// Number of predicted pixels.
    predicted: usize,
}

impl Decoder {
    /// A decoder for frames of `width` x `height`. The size is checked
    /// against spec §7.1 when the first frame is decoded.
    pub fn new(width: u32, height: u32) -> Decoder {
        Decoder {
            width,
            height,
            frame: None,
            key: Vec::new(),
            main: Decompressor::new(),
            photo: Decompressor::new(),
            body: Vec::new(),
            photo_body: Vec::new(),
            moved: Vec::new(),
        }
    }

    /// Decodes the next frame. A keyframe may come at any time; a delta
    /// frame must follow the frame before it in the stream. The frame
    /// returned is BGRX with the fourth byte 0xFF.
    ///
    /// # Errors
    ///
    /// A payload that breaks spec §7, a delta without its chain, or a frame
    /// size beyond §7.1. After an error only a keyframe decodes.
    pub fn decode(&mut self, key: bool, payload: &[u8]) -> Result<&Frame, CodecError> {
        let grid = Grid::new(self.width, self.height)?;
        if !key && self.frame.is_none() {
            return Err(CodecError::NoKeyframe);
        }
        match self.apply(&grid, key, payload) {
            Ok(()) => Ok(self.frame.as_ref().expect("a decoded frame is kept")),
            Err(e) => {
                self.frame = None;
                Err(e)
            }
        }
    }

    fn apply(&mut self, grid: &Grid, key: bool, payload: &[u8]) -> Result<(), CodecError> {
        let (flags, main, photo) = split_payload(payload)?;
        let refresh = flags == FLAG_REFRESH;
        if flags & !FLAG_REFRESH != 0 || (key && refresh) {
            return Err(CodecError::Flags { key, found: flags });
        }
        if key || refresh {
            self.main.restart()?;
        }
        let max = grid.max_body();
        let (width, height) = (grid.width, grid.height);
        self.main
            .frame(main, &mut self.body, max, || CodecError::BodyTooLong {
                width,
                height,
                max,
            })?;
        let body = parse(grid, key, &self.body)?;

        let expected = 3 * body.predicted;
        if expected == 0 {
            if !photo.is_empty() {
                return Err(CodecError::PhotoLength {
                    expected: 0,
                    found: photo.len(),
                });
            }
            self.photo_body.clear();
        } else {
            self.photo
                .whole(photo, &mut self.photo_body, expected, |found| {
                    CodecError::PhotoLength { expected, found }
                })?;
        }

        if key && self.frame.is_none() {
            self.frame = Some(Frame::filled(width, height, 0));
        }
        let frame = self.frame.as_mut().expect("checked before decoding");
        if refresh {
            // A refresh is a delta against the chain's keyframe.
            frame.data_mut().copy_from_slice(&self.key);
        }
        let planes = Planes {
            literal: body.literal,
            residual: body.residual,
            predicted: &self.photo_body,
        };
        apply_body(
            grid,
            &body,
            &planes,
            frame.data_mut(),
            &self.key,
            &mut self.moved,
        );
        if key {
            self.key.clear();
            self.key.extend_from_slice(frame.data());
        }
        Ok(())
    }
}

/// Splits a payload into its flags, its main stream's part and its photo
/// stream's part (§7.3).
fn split_payload(payload: &[u8]) -> Result<(u8, &[u8], &[u8]), CodecError> {
    let Some((&flags, payload)) = payload.split_first() else {
        return Err(CodecError::Truncated {
            field: "payload flags",
            expected: 1,
            found: 0,
        });
    };
    let mut n: usize = 0;
    for (i, &b) in payload.iter().enumerate().take(4) {
        n |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            let rest = &payload[i + 1..];
            if n > rest.len() {
                return Err(CodecError::MainLength {
                    declared: n,
                    available: rest.len(),
                });
            }
            let (main, photo) = rest.split_at(n);
            return Ok((flags, main, photo));
        }
    }
    Err(CodecError::Truncated {
        field: "main part length",
        expected: 1,
        found: payload.len(),
    })
}

/// Splits and checks a body (§7.4, §7.5): nothing is written before the
/// whole body is known to be valid.
fn parse<'a>(grid: &Grid, key: bool, body: &'a [u8]) -> Result<Body<'a>, CodecError> {
    let mut at = 0;
    let mut take = |field: &'static str, n: usize| -> Result<&'a [u8], CodecError> {
        let part = body.get(at..at + n).ok_or(CodecError::Truncated {
            field,
            expected: n,
            found: body.len().saturating_sub(at),
        })?;
        at += n;
        Ok(part)
    };

    let kind = take("kind", 1)?[0];
    let expected = if key { KIND_KEY } else { KIND_DELTA };
    if kind != expected {
        return Err(CodecError::Kind {
            expected,
            found: kind,
        });
    }
    let count = usize::from(take("vector count", 1)?[0]);
    debug_assert!(count <= MAX_VECTORS);
    let vectors: Vec<(i32, i32)> = take("motion vectors", 4 * count)?
        .chunks_exact(4)
        .map(|v| {
            (
                i32::from(i16::from_le_bytes([v[0], v[1]])),
                i32::from(i16::from_le_bytes([v[2], v[3]])),
            )
        })
        .collect();
    let modes = take("tile modes", grid.tiles())?;

    let mut counts = [0usize; 6];
    let mut with_vector = 0;
    for (t, &m) in modes.iter().enumerate() {
        let op = Op::of(m).ok_or(CodecError::Mode { tile: t, found: m })?;
        if key && !matches!(op, Op::Literal | Op::Predicted) {
            return Err(CodecError::KeyMode { tile: t, found: m });
        }
        counts[m as usize] += grid.area(t);
        with_vector += usize::from(op.has_vector());
    }
    let refs = take("vector references", with_vector)?;

    let mut tile_vectors = vec![(0, 0); grid.tiles()];
    let mut next = refs.iter();
    for (t, &m) in modes.iter().enumerate() {
        if !Op::of(m).is_some_and(Op::has_vector) {
            continue;
        }
        let v = usize::from(*next.next().expect("one reference per such tile"));
        let d = match v {
            0 => (0, 0),
            _ => *vectors.get(v - 1).ok_or(CodecError::VectorIndex {
                tile: t,
                found: v,
                count,
            })?,
        };
        if !grid.inside(t, d) {
            let (x, y, _, _) = grid.rect(t);
            return Err(CodecError::VectorOutside {
                tile: t,
                x,
                y,
                dx: d.0,
                dy: d.1,
                width: grid.width,
                height: grid.height,
            });
        }
        tile_vectors[t] = d;
    }

    let literal = counts[Op::Literal as usize];
    let residual = counts[Op::Patch as usize];
    let expected = at + 3 * (literal + residual);
    if body.len() != expected {
        return Err(CodecError::Length {
            expected,
            found: body.len(),
        });
    }
    let (literal, residual) = body[at..].split_at(3 * literal);
    Ok(Body {
        vectors,
        modes,
        tile_vectors,
        literal,
        residual,
        predicted: counts[Op::Predicted as usize],
    })
}

/// The pixel planes of a checked body.
struct Planes<'a> {
    literal: &'a [u8],
    residual: &'a [u8],
    predicted: &'a [u8],
}

/// Reads pixels from three equal planes laid one after the other.
struct PlaneReader<'a> {
    planes: [&'a [u8]; 3],
    at: usize,
}

impl<'a> PlaneReader<'a> {
    fn new(all: &'a [u8]) -> PlaneReader<'a> {
        let n = all.len() / 3;
        PlaneReader {
            planes: [&all[..n], &all[n..2 * n], &all[2 * n..3 * n]],
            at: 0,
        }
    }

    /// The next `n` values of each plane.
    fn take(&mut self, n: usize) -> [&'a [u8]; 3] {
        let r = self.at..self.at + n;
        self.at += n;
        [
            &self.planes[0][r.clone()],
            &self.planes[1][r.clone()],
            &self.planes[2][r],
        ]
    }
}

/// Applies a checked body to `data` (BGRX, 0xFF in every fourth byte).
fn apply_body(
    grid: &Grid,
    body: &Body<'_>,
    planes: &Planes<'_>,
    data: &mut [u8],
    key: &[u8],
    moved: &mut Vec<u8>,
) {
    let stride = grid.width as usize * 4;
    let op_of = |t: usize| Op::of(body.modes[t]).expect("checked");
    let moves =
        |t: usize| matches!(op_of(t), Op::Copy | Op::Patch) && body.tile_vectors[t] != (0, 0);
    debug_assert!(body.vectors.len() <= MAX_VECTORS);

    // Runs of tiles with one operation and one vector, band by band: rows
    // are applied a span at a time.
    let band_runs: Vec<Vec<(usize, usize)>> = (0..grid.rows)
        .map(|band| {
            runs(band, grid.cols, |a, b| {
                body.modes[a] == body.modes[b] && body.tile_vectors[a] == body.tile_vectors[b]
            })
            .filter(|&(t, _)| op_of(t) != Op::Same)
            .collect()
        })
        .collect();
    let span = |t: usize, n: usize| {
        let x0 = grid.rect(t).0 as usize;
        let (x1, _, w1, _) = grid.rect(t + n - 1);
        (x0, (x1 + w1) as usize - x0)
    };

    // Moved tiles may read pixels that other tiles of this frame overwrite,
    // so all they read is gathered first, in the order it is used.
    moved.clear();
    for (band, runs) in band_runs.iter().enumerate() {
        for y in grid.band_rows(band) {
            for &(t, n) in runs.iter().filter(|&&(t, _)| moves(t)) {
                let (x, len) = span(t, n);
                let (dx, dy) = body.tile_vectors[t];
                let sy = (y as i32 + dy) as usize;
                let sx = (x as i32 + dx) as usize;
                moved.extend_from_slice(&data[sy * stride + sx * 4..][..len * 4]);
            }
        }
    }

    let mut literal = PlaneReader::new(planes.literal);
    let mut residual = PlaneReader::new(planes.residual);
    let mut predicted = PlaneReader::new(planes.predicted);
    let mut mov = 0;
    for (band, runs) in band_runs.iter().enumerate() {
        for y in grid.band_rows(band) {
            for &(t, n) in runs {
                let (x, n) = span(t, n);
                let at = y * stride + x * 4;
                let dst = at..at + 4 * n;
                match op_of(t) {
                    Op::Same => {}
                    op @ (Op::Copy | Op::Patch) if moves(t) => {
                        data[dst.clone()].copy_from_slice(&moved[mov..mov + 4 * n]);
                        mov += 4 * n;
                        if op == Op::Patch {
                            xor(&mut data[dst], residual.take(n));
                        }
                    }
                    Op::Copy => {}
                    Op::Patch => xor(&mut data[dst], residual.take(n)),
                    Op::Literal => {
                        let [p0, p1, p2] = literal.take(n);
                        for (i, px) in data[dst].chunks_exact_mut(4).enumerate() {
                            px.copy_from_slice(&bgrx_of([p0[i], p1[i], p2[i]]));
                        }
                    }
                    Op::Predicted => unpredict(data, stride, x, y, predicted.take(n)),
                    Op::Recall => {
                        let (dx, dy) = body.tile_vectors[t];
                        let src = (y as i32 + dy) as usize * stride + (x as i32 + dx) as usize * 4;
                        data[dst].copy_from_slice(&key[src..src + 4 * n]);
                    }
                }
            }
        }
    }
}

/// XORs a run of BGRX pixels with residual planes.
fn xor(dst: &mut [u8], [r0, r1, r2]: [&[u8]; 3]) {
    for (i, px) in dst.chunks_exact_mut(4).enumerate() {
        px[0] ^= r0[i];
        px[1] ^= r1[i];
        px[2] ^= r2[i];
    }
}

/// Rebuilds a run of predicted pixels starting at `(x, y)` from their
/// residuals (§7.6); the neighbours left of and above the run are final.
fn unpredict(data: &mut [u8], stride: usize, x: usize, y: usize, res: [&[u8]; 3]) {
    let n = res[0].len();
    let at = y * stride + x * 4;
    let mut left = if x > 0 {
        planes_of_bytes(&data[at - 4..at])
    } else {
        [0; 3]
    };
    if y == 0 {
        for i in 0..n {
            let v = [0, 1, 2].map(|k| res[k][i].wrapping_add(med(left[k], 0, 0)));
            data[at + 4 * i..at + 4 * i + 4].copy_from_slice(&bgrx_of(v));
            left = v;
        }
        return;
    }
    // The row above, as planes, from one pixel left of the run (0 at the
    // frame's edge) to its end.
    let mut up = [[0u8; 3]; 1 + 16 * 64];
    let mut above: Vec<[u8; 3]>;
    let above: &mut [[u8; 3]] = if n < up.len() {
        &mut up[..n + 1]
    } else {
        above = vec![[0; 3]; n + 1];
        &mut above
    };
    let row_above = &data[at - stride..at - stride + 4 * n];
    if x > 0 {
        above[0] = planes_of_bytes(&data[at - stride - 4..at - stride]);
    }
    for (u, px) in above[1..].iter_mut().zip(row_above.chunks_exact(4)) {
        *u = planes_of_bytes(px);
    }
    let (r0, r1, r2) = (&res[0][..n], &res[1][..n], &res[2][..n]);
    let out = &mut data[at..at + 4 * n];
    for (i, px) in out.chunks_exact_mut(4).enumerate() {
        let (b, c) = (above[i + 1], above[i]);
        let v = [
            r0[i].wrapping_add(med(left[0], b[0], c[0])),
            r1[i].wrapping_add(med(left[1], b[1], c[1])),
            r2[i].wrapping_add(med(left[2], b[2], c[2])),
        ];
        px.copy_from_slice(&bgrx_of(v));
        left = v;
    }
}
