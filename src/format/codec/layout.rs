//! The numbers and shapes spec §7 fixes, shared by the encoder and the
//! decoder: tiles, tile operations, the body's fields, the colour
//! transform of literal pixels and the predictor of predicted ones.

#![forbid(unsafe_code)]

use super::CodecError;

/// Largest width or height a frame may have (§7.1).
pub const MAX_SIDE: u32 = 16384;

/// Side of a square tile in pixels (§7.5). Tiles on the right and bottom
/// edges are cut to the frame.
pub const TILE: u32 = 16;

/// `kind` byte of a keyframe body (§7.4).
pub const KIND_KEY: u8 = 0;

/// `kind` byte of a delta body (§7.4).
pub const KIND_DELTA: u8 = 1;

/// Bit of a payload's flags byte (§7.3) that marks a refresh: a delta
/// against the chain's keyframe rather than the frame before it.
pub const FLAG_REFRESH: u8 = 1;

/// Most motion vectors one body may list (§7.5): the count is one byte.
pub const MAX_VECTORS: usize = 255;

/// zstd window of a chain's streams, as a power of two (§7.3). A decoder
/// refuses streams that need a larger one, which bounds its memory.
pub const WINDOW_LOG: u32 = 24;

/// What a tile does (§7.5): the value of its mode byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Same pixels as the previous frame at the same place.
    Same = 0,
    /// New pixels, in the literal field.
    Literal = 1,
    /// The previous frame's pixels, moved by the tile's vector.
    Copy = 2,
    /// The previous frame's pixels moved by the tile's vector, XORed with a
    /// residual from the residual field.
    Patch = 3,
    /// New pixels, as residuals of the predictor of §7.6 in the predicted
    /// field (photographs and gradients).
    Predicted = 4,
    /// The chain's keyframe's pixels, moved by the tile's vector (content
    /// that was covered and shows again).
    Recall = 5,
}

impl Op {
    /// The operation of a mode byte, if it names one.
    pub fn of(mode: u8) -> Option<Op> {
        Some(match mode {
            0 => Op::Same,
            1 => Op::Literal,
            2 => Op::Copy,
            3 => Op::Patch,
            4 => Op::Predicted,
            5 => Op::Recall,
            _ => return None,
        })
    }

    /// Whether a tile with this operation has a vector in the `refs` field.
    pub fn has_vector(self) -> bool {
        matches!(self, Op::Copy | Op::Patch | Op::Recall)
    }
}

/// The tile grid of a frame.
#[derive(Debug, Clone, Copy)]
pub struct Grid {
    pub width: u32,
    pub height: u32,
    /// Tiles across.
    pub cols: usize,
    /// Tiles down.
    pub rows: usize,
}

impl Grid {
    /// The grid of a `width` x `height` frame, if §7.1 allows that size.
    pub fn new(width: u32, height: u32) -> Result<Grid, CodecError> {
        if !(1..=MAX_SIDE).contains(&width) || !(1..=MAX_SIDE).contains(&height) {
            return Err(CodecError::Geometry {
                width,
                height,
                max: MAX_SIDE,
            });
        }
        Ok(Grid {
            width,
            height,
            cols: width.div_ceil(TILE) as usize,
            rows: height.div_ceil(TILE) as usize,
        })
    }

    /// Number of tiles.
    pub fn tiles(&self) -> usize {
        self.cols * self.rows
    }

    /// Number of pixels.
    pub fn pixels(&self) -> usize {
        self.width as usize * self.height as usize
    }

    /// Left, top, width and height of tile `t`.
    pub fn rect(&self, t: usize) -> (u32, u32, u32, u32) {
        let x = (t % self.cols) as u32 * TILE;
        let y = (t / self.cols) as u32 * TILE;
        (x, y, TILE.min(self.width - x), TILE.min(self.height - y))
    }

    /// Number of pixels of tile `t`.
    pub fn area(&self, t: usize) -> usize {
        let (_, _, w, h) = self.rect(t);
        (w * h) as usize
    }

    /// The pixel rows of band `band` (a row of tiles).
    pub fn band_rows(&self, band: usize) -> std::ops::Range<usize> {
        let y0 = band * TILE as usize;
        y0..(y0 + TILE as usize).min(self.height as usize)
    }

    /// Whether tile `t` moved by `(dx, dy)` reads only inside the frame.
    pub fn inside(&self, t: usize, (dx, dy): (i32, i32)) -> bool {
        let (x, y, w, h) = self.rect(t);
        let (x, y) = (x as i64 + dx as i64, y as i64 + dy as i64);
        x >= 0 && y >= 0 && x + w as i64 <= self.width as i64 && y + h as i64 <= self.height as i64
    }

    /// The most bytes the main body may have (§7.4): header, the longest
    /// vector list, a mode byte and a vector byte a tile, and three bytes
    /// for every pixel.
    pub fn max_body(&self) -> usize {
        2 + 4 * MAX_VECTORS + 2 * self.tiles() + 3 * self.pixels()
    }
}

/// A pixel as the codec holds it: blue in bits 0-7, green 8-15, red 16-23,
/// the rest zero.
pub type Px = u32;

/// The three colour planes of a pixel (§7.6): blue minus green, green, red
/// minus green, each modulo 256. Subtracting green takes out most of the
/// correlation between the channels of grey text, UI colours and
/// photographs alike.
#[inline]
pub fn planes_of(p: Px) -> [u8; 3] {
    let [b, g, r, _] = p.to_le_bytes();
    [b.wrapping_sub(g), g, r.wrapping_sub(g)]
}

/// Blue, green, red and 0xFF from the three plane values of a pixel.
#[inline]
pub fn bgrx_of(v: [u8; 3]) -> [u8; 4] {
    let g = v[1];
    [v[0].wrapping_add(g), g, v[2].wrapping_add(g), 0xFF]
}

/// The plane values of a BGRX (or codec) pixel given as bytes.
#[inline]
pub fn planes_of_bytes(p: &[u8]) -> [u8; 3] {
    let g = p[1];
    [p[0].wrapping_sub(g), g, p[2].wrapping_sub(g)]
}

/// The median edge detector of §7.6: the prediction of a plane value from
/// its left (`a`), upper (`b`) and upper-left (`c`) neighbours. It is the
/// median of `a`, `b` and `a + b - c` (computed without wrapping), which
/// is `a + b - c` held between the smaller and the larger of `a` and `b`.
#[inline(always)]
pub fn med(a: u8, b: u8, c: u8) -> u8 {
    let (a, b, c) = (i16::from(a), i16::from(b), i16::from(c));
    (a + b - c).clamp(a.min(b), a.max(b)) as u8
}

/// Runs of tiles of a band that share an operation and a vector, so that
/// pixel rows are coded a span at a time: `(first tile, tiles)`.
pub fn runs(
    band: usize,
    cols: usize,
    mut same: impl FnMut(usize, usize) -> bool,
) -> impl Iterator<Item = (usize, usize)> {
    let first = band * cols;
    let end = first + cols;
    let mut t = first;
    std::iter::from_fn(move || {
        if t >= end {
            return None;
        }
        let start = t;
        t += 1;
        while t < end && same(start, t) {
            t += 1;
        }
        Some((start, t - start))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes_invert() {
        for p in [0u32, 0xFF_FF_FF, 0x12_34_56, 0x00_FF_00, 0xFF_00_FF] {
            let back = bgrx_of(planes_of(p));
            assert_eq!(u32::from_le_bytes([back[0], back[1], back[2], 0]), p);
            assert_eq!(planes_of_bytes(&p.to_le_bytes()), planes_of(p));
        }
    }

    #[test]
    fn the_predictor_follows_edges() {
        // A vertical edge: the upper neighbour predicts.
        assert_eq!(med(10, 200, 10), 200);
        // A horizontal edge: the left neighbour predicts.
        assert_eq!(med(200, 10, 10), 200);
        // A smooth gradient: the plane through the neighbours.
        assert_eq!(med(20, 30, 25), 25);
        assert_eq!(med(0, 0, 0), 0);
        assert_eq!(med(255, 255, 0), 255);
        // The same as the branches of LOCO-I, on every input.
        for (a, b, c) in (0..=255u8).step_by(5).flat_map(|a| {
            (0..=255u8)
                .step_by(7)
                .flat_map(move |b| (0..=255u8).step_by(3).map(move |c| (a, b, c)))
        }) {
            let (lo, hi) = (a.min(b), a.max(b));
            let expected = if c >= hi {
                lo
            } else if c <= lo {
                hi
            } else {
                (i16::from(a) + i16::from(b) - i16::from(c)) as u8
            };
            assert_eq!(med(a, b, c), expected, "{a} {b} {c}");
        }
    }

    #[test]
    fn runs_group_equal_neighbours() {
        let ops = [1, 1, 2, 2, 2, 0, 1];
        let got: Vec<_> = runs(1, 7, |a, b| ops[a - 7] == ops[b - 7]).collect();
        assert_eq!(got, vec![(7, 2), (9, 3), (12, 1), (13, 1)]);
    }

    #[test]
    fn edge_tiles_are_cut_to_the_frame() {
        let g = Grid::new(40, 20).unwrap();
        assert_eq!((g.cols, g.rows), (3, 2));
        assert_eq!(g.rect(2), (32, 0, 8, 16));
        assert_eq!(g.rect(5), (32, 16, 8, 4));
        assert_eq!(g.area(5), 32);
        assert_eq!(g.band_rows(1), 16..20);
        assert!(g.inside(0, (24, 4)));
        assert!(!g.inside(0, (25, 0)));
        assert!(!g.inside(4, (0, -17)));
    }

    #[test]
    fn sizes_beyond_the_limit_are_refused() {
        assert!(Grid::new(0, 10).is_err());
        assert!(Grid::new(10, MAX_SIDE + 1).is_err());
        assert!(Grid::new(MAX_SIDE, MAX_SIDE).is_ok());
    }

    #[test]
    fn every_mode_byte_is_read_or_refused() {
        for m in 0..=255u8 {
            assert_eq!(Op::of(m).is_some(), m <= 5, "mode {m}");
        }
    }
}
