//! The numbers and shapes spec §7 fixes, shared by the encoder and the
//! decoder: tiles, tile modes, motion vectors, the body's fields, and the
//! pixel transform of literal pixels.

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

/// Most motion vectors one delta may list (§7.5): a mode byte has six bits
/// for the vector index, and index 0 is the null vector.
pub const MAX_VECTORS: usize = 63;

/// zstd window of a chain's stream, as a power of two (§7.3). A decoder
/// refuses streams that need a larger one, which bounds its memory.
pub const WINDOW_LOG: u32 = 26;

/// What a tile of a delta does (§7.5), the low two bits of its mode byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Same pixels as the previous frame at the same place.
    Same = 0,
    /// New pixels, in the literal section.
    Literal = 1,
    /// The previous frame's pixels, moved by the tile's vector.
    Copy = 2,
    /// The previous frame's pixels moved by the tile's vector, XORed with a
    /// residual from the residual section.
    Patch = 3,
}

impl Op {
    /// The operation of a mode byte.
    pub fn of(mode: u8) -> Op {
        match mode & 3 {
            0 => Op::Same,
            1 => Op::Literal,
            2 => Op::Copy,
            _ => Op::Patch,
        }
    }
}

/// A mode byte: operation in the low two bits, vector index above.
pub fn mode(op: Op, vector: usize) -> u8 {
    debug_assert!(vector <= MAX_VECTORS);
    op as u8 | (vector as u8) << 2
}

/// The vector index of a mode byte (0 is the null vector).
pub fn vector_of(mode: u8) -> usize {
    usize::from(mode >> 2)
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

    /// Whether tile `t` moved by `(dx, dy)` reads only inside the frame.
    pub fn inside(&self, t: usize, (dx, dy): (i32, i32)) -> bool {
        let (x, y, w, h) = self.rect(t);
        let (x, y) = (x as i64 + dx as i64, y as i64 + dy as i64);
        x >= 0 && y >= 0 && x + w as i64 <= self.width as i64 && y + h as i64 <= self.height as i64
    }

    /// The most bytes a body may have (§7.4): header, the longest vector
    /// list, one mode byte a tile and three bytes for every pixel.
    pub fn max_body(&self) -> usize {
        2 + 4 * MAX_VECTORS + self.tiles() + 3 * self.pixels()
    }
}

/// A pixel as the codec holds it: blue in bits 0-7, green 8-15, red 16-23,
/// the rest zero.
pub type Px = u32;

/// The three literal bytes of a pixel (§7.6): blue minus green, green, red
/// minus green, each modulo 256. Subtracting green takes out most of the
/// correlation between the channels of grey text and UI colours.
#[inline]
pub fn literal_bytes(p: Px) -> [u8; 3] {
    let [b, g, r, _] = p.to_le_bytes();
    [b.wrapping_sub(g), g, r.wrapping_sub(g)]
}

/// Blue, green and red from the three literal bytes of a pixel.
#[inline]
pub fn from_literal(l: &[u8]) -> [u8; 3] {
    let g = l[1];
    [l[0].wrapping_add(g), g, l[2].wrapping_add(g)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_bytes_invert() {
        for p in [0u32, 0xFF_FF_FF, 0x12_34_56, 0x00_FF_00, 0xFF_00_FF] {
            let [b, g, r] = from_literal(&literal_bytes(p));
            assert_eq!(u32::from_le_bytes([b, g, r, 0]), p);
        }
    }

    #[test]
    fn edge_tiles_are_cut_to_the_frame() {
        let g = Grid::new(40, 20).unwrap();
        assert_eq!((g.cols, g.rows), (3, 2));
        assert_eq!(g.rect(2), (32, 0, 8, 16));
        assert_eq!(g.rect(5), (32, 16, 8, 4));
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
}
