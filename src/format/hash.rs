//! Identity of a frame's pixels, so that identical screens are stored once.
//!
//! The hash is xxh3-128 of the pixels in BGRX order with the fourth byte
//! set to 0xFF: a capture whose spare byte holds garbage and a PNG of the
//! same screen give the same hash, as they decode to the same frame.

use xxhash_rust::xxh3::Xxh3;

use crate::frame::{FrameRef, PixelLayout};

/// Bytes normalized and hashed at a time: small enough to stay in the
/// first-level cache.
const CHUNK: usize = 16 * 1024;

/// The 128-bit hash of a frame's pixels as they will decode.
pub fn frame_hash(frame: FrameRef<'_>) -> u128 {
    let mut hasher = Xxh3::new();
    let mut norm = [0u8; CHUNK];
    for chunk in frame.data.chunks(CHUNK) {
        let out = &mut norm[..chunk.len()];
        match frame.layout {
            PixelLayout::Bgrx => normalize(out, chunk, |px| px | 0xFF00_0000),
            // R and B trade places; G stays.
            PixelLayout::Rgba => normalize(out, chunk, |px| {
                (px & 0x0000_FF00) | ((px & 0xFF) << 16) | ((px >> 16) & 0xFF) | 0xFF00_0000
            }),
        }
        hasher.update(out);
    }
    hasher.digest128()
}

/// Writes each pixel of `input`, read as a little-endian u32, through `f`
/// into `out`: one loop per layout, on whole pixels, so that it vectorizes.
#[inline(always)]
fn normalize(out: &mut [u8], input: &[u8], f: impl Fn(u32) -> u32) {
    for (o, i) in out.chunks_exact_mut(4).zip(input.chunks_exact(4)) {
        let px = u32::from_le_bytes([i[0], i[1], i[2], i[3]]);
        o.copy_from_slice(&f(px).to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spare_byte_and_the_layout_do_not_change_the_hash() {
        let bgrx = [10, 20, 30, 0, 40, 50, 60, 7];
        let bgrx_ff = [10, 20, 30, 0xFF, 40, 50, 60, 0xFF];
        let rgba = [30, 20, 10, 0xFF, 60, 50, 40, 0xFF];
        let h = |layout, data| frame_hash(FrameRef::new(2, 1, layout, data).unwrap());
        let a = h(PixelLayout::Bgrx, &bgrx);
        assert_eq!(a, h(PixelLayout::Bgrx, &bgrx_ff));
        assert_eq!(a, h(PixelLayout::Rgba, &rgba));
        assert_ne!(a, h(PixelLayout::Bgrx, &[10, 20, 31, 0, 40, 50, 60, 0]));
    }
}
