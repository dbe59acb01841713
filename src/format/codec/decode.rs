//! The decoder: checks a body against spec §7 completely, then applies it
//! to the frame it holds, in place.

#![forbid(unsafe_code)]

use super::CodecError;
use super::layout::{Grid, KIND_DELTA, KIND_KEY, MAX_VECTORS, Op, TILE, from_literal, vector_of};
use super::stream::Decompressor;
use crate::frame::Frame;

/// Decodes the frames of one stream, in order from a keyframe.
pub struct Decoder {
    width: u32,
    height: u32,
    /// The last frame decoded; `None` before a keyframe and after an error,
    /// so that a delta never applies to a frame it was not made for.
    frame: Option<Frame>,
    stream: Decompressor,
    body: Vec<u8>,
    /// Rows that moved tiles read from the previous frame, gathered before
    /// any tile is written.
    moved: Vec<u8>,
}

/// A delta body, checked.
struct Delta<'a> {
    vectors: Vec<(i32, i32)>,
    modes: &'a [u8],
    literal: &'a [u8],
    residual: &'a [u8],
}

impl Decoder {
    /// A decoder for frames of `width` x `height`. The size is checked
    /// against spec §7.1 when the first frame is decoded.
    pub fn new(width: u32, height: u32) -> Decoder {
        Decoder {
            width,
            height,
            frame: None,
            stream: Decompressor::new(),
            body: Vec::new(),
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
        let max = grid.max_body();
        let (width, height) = (grid.width, grid.height);
        self.stream.frame(key, payload, &mut self.body, max, || {
            CodecError::BodyTooLong { width, height, max }
        })?;
        let body = &self.body[..];

        let expected = if key { KIND_KEY } else { KIND_DELTA };
        match body.first() {
            None => {
                return Err(CodecError::Truncated {
                    field: "kind",
                    expected: 1,
                    found: 0,
                });
            }
            Some(&kind) if kind != expected => {
                return Err(CodecError::Kind {
                    expected,
                    found: kind,
                });
            }
            Some(_) => {}
        }

        if key {
            let pixels = &body[1..];
            if pixels.len() != 3 * grid.pixels() {
                return Err(CodecError::Length {
                    expected: 1 + 3 * grid.pixels(),
                    found: body.len(),
                });
            }
            let frame = self
                .frame
                .get_or_insert_with(|| Frame::filled(width, height, 0));
            for (dst, src) in frame
                .data_mut()
                .chunks_exact_mut(4)
                .zip(pixels.chunks_exact(3))
            {
                let [b, g, r] = from_literal(src);
                dst.copy_from_slice(&[b, g, r, 0xFF]);
            }
            return Ok(());
        }

        let delta = parse(grid, body)?;
        let frame = self.frame.as_mut().expect("checked before decoding");
        apply_delta(grid, &delta, frame.data_mut(), &mut self.moved);
        Ok(())
    }
}

/// Splits and checks a delta body (§7.5): nothing is written before the
/// whole body is known to be valid.
fn parse<'a>(grid: &Grid, body: &'a [u8]) -> Result<Delta<'a>, CodecError> {
    let mut at = 1;
    let mut take = |field: &'static str, n: usize| -> Result<&'a [u8], CodecError> {
        let part = body.get(at..at + n).ok_or(CodecError::Truncated {
            field,
            expected: n,
            found: body.len(),
        })?;
        at += n;
        Ok(part)
    };

    let count = usize::from(take("vector count", 1)?[0]);
    if count > MAX_VECTORS {
        return Err(CodecError::TooManyVectors {
            found: count,
            max: MAX_VECTORS,
        });
    }
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

    let (mut literal, mut residual) = (0usize, 0usize);
    for (t, &m) in modes.iter().enumerate() {
        let op = Op::of(m);
        let v = vector_of(m);
        if matches!(op, Op::Copy | Op::Patch) && v > 0 {
            let Some(&d) = vectors.get(v - 1) else {
                return Err(CodecError::VectorIndex {
                    tile: t,
                    found: v,
                    count,
                });
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
        }
        let (_, _, w, h) = grid.rect(t);
        match op {
            Op::Literal => literal += (w * h) as usize,
            Op::Patch => residual += (w * h) as usize,
            Op::Same | Op::Copy => {}
        }
    }

    let expected = at + 3 * (literal + residual);
    if body.len() != expected {
        return Err(CodecError::Length {
            expected,
            found: body.len(),
        });
    }
    let (literal, residual) = body[at..].split_at(3 * literal);
    Ok(Delta {
        vectors,
        modes,
        literal,
        residual,
    })
}

/// Applies a checked delta to `data` (BGRX, 0xFF in every fourth byte).
fn apply_delta(grid: &Grid, delta: &Delta<'_>, data: &mut [u8], moved: &mut Vec<u8>) {
    let stride = grid.width as usize * 4;
    let vector = |m: u8| match vector_of(m) {
        0 => None,
        v => Some(delta.vectors[v - 1]),
    };
    let bands = (0..grid.rows).filter(|&b| {
        delta.modes[b * grid.cols..(b + 1) * grid.cols]
            .iter()
            .any(|&m| Op::of(m) != Op::Same)
    });
    let rows_of = |band: usize| {
        let y0 = band as u32 * TILE;
        y0..(y0 + TILE).min(grid.height)
    };

    // Moved tiles may read pixels that other tiles of this frame overwrite,
    // so all they read is gathered first, in the order it is used.
    moved.clear();
    for band in bands.clone() {
        for y in rows_of(band) {
            for t in band * grid.cols..(band + 1) * grid.cols {
                let m = delta.modes[t];
                if let (Op::Copy | Op::Patch, Some((dx, dy))) = (Op::of(m), vector(m)) {
                    let (x, _, w, _) = grid.rect(t);
                    let sy = (y as i32 + dy) as usize;
                    let sx = (x as i32 + dx) as usize;
                    moved.extend_from_slice(&data[sy * stride + sx * 4..][..w as usize * 4]);
                }
            }
        }
    }

    let (mut lit, mut res, mut mov) = (0, 0, 0);
    for band in bands {
        for y in rows_of(band) {
            for t in band * grid.cols..(band + 1) * grid.cols {
                let m = delta.modes[t];
                let (x, _, w, _) = grid.rect(t);
                let n = w as usize;
                let dst = &mut data[y as usize * stride + x as usize * 4..][..n * 4];
                match (Op::of(m), vector(m)) {
                    (Op::Same, _) | (Op::Copy, None) => {}
                    (Op::Copy, Some(_)) => {
                        dst.copy_from_slice(&moved[mov..mov + n * 4]);
                        mov += n * 4;
                    }
                    (Op::Patch, v) => {
                        let xor = &delta.residual[res..res + n * 3];
                        res += n * 3;
                        if v.is_some() {
                            dst.copy_from_slice(&moved[mov..mov + n * 4]);
                            mov += n * 4;
                        }
                        for (px, d) in dst.chunks_exact_mut(4).zip(xor.chunks_exact(3)) {
                            px[0] ^= d[0];
                            px[1] ^= d[1];
                            px[2] ^= d[2];
                        }
                    }
                    (Op::Literal, _) => {
                        let src = &delta.literal[lit..lit + n * 3];
                        lit += n * 3;
                        for (px, l) in dst.chunks_exact_mut(4).zip(src.chunks_exact(3)) {
                            let [b, g, r] = from_literal(l);
                            px.copy_from_slice(&[b, g, r, 0xFF]);
                        }
                    }
                }
            }
        }
    }
}
