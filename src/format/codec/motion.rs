//! Finding where content moved between two frames (encoder only).
//!
//! Scrolled pages and moved windows keep their pixels and change their
//! place. Re-coding them as new pixels costs as much as a keyframe; naming
//! the shift costs four bytes. To find the shifts, both frames are reduced
//! to sparse *anchors*: positions chosen by their content alone (a hash of
//! the 16 pixels ending there, with the row above, whose top bits are
//! zero), so the same content yields the same anchors wherever it sits.
//! An anchor of the new frame that also occurs once in the old one votes
//! for the shift between the two places; shifts with enough votes become
//! the candidate vectors that the encoder then verifies tile by tile.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::layout::{Grid, MAX_VECTORS, Px, TILE};

/// Pixels in the horizontal window an anchor hash covers.
const WINDOW: usize = 16;

/// Top bits of an anchor hash that must be zero: one position in 2^6 of
/// those at an edge becomes an anchor.
const SELECT_BITS: u32 = 6;

/// Votes a shift needs to become a candidate.
const MIN_VOTES: u32 = 2;

/// A hasher for keys that are hashes already (anchors) or small integer
/// pairs (vectors): one multiplication, where the standard library's
/// default would spend most of the motion search's time.
#[derive(Default, Clone, Copy)]
pub struct QuickHasher(u64);

impl Hasher for QuickHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(23) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_i32(&mut self, n: i32) {
        self.write_u64(u64::from(n as u32));
    }
}

type QuickMap<K, V> = HashMap<K, V, BuildHasherDefault<QuickHasher>>;

/// The anchors of a frame: hash to position, for hashes that occur once.
/// Kept between frames so that its memory is reused.
#[derive(Default)]
pub struct AnchorIndex {
    map: QuickMap<u64, Option<(u32, u32)>>,
}

impl AnchorIndex {
    /// Indexes every anchor of `pixels` (a whole frame), forgetting the
    /// frame indexed before.
    pub fn build(&mut self, pixels: &[Px], grid: &Grid) {
        let map = &mut self.map;
        map.clear();
        scan(pixels, grid, 0, grid.height, |key, x, y| {
            map.entry(key)
                .and_modify(|e| *e = None)
                .or_insert(Some((x, y)));
        });
    }
}

/// Candidate vectors `(dx, dy)`, best first, such that `cur` at `(x, y)`
/// shows what `prev` showed at `(x + dx, y + dy)`, judged by the anchors
/// inside `changed` tiles. The null vector is never listed.
pub fn candidates(
    index: &AnchorIndex,
    cur: &[Px],
    grid: &Grid,
    changed: &[bool],
) -> Vec<(i32, i32)> {
    let mut votes: QuickMap<(i32, i32), u32> = QuickMap::default();
    for band in 0..grid.rows {
        let tiles = &changed[band * grid.cols..(band + 1) * grid.cols];
        if !tiles.iter().any(|&c| c) {
            continue;
        }
        let y0 = band as u32 * TILE;
        let y1 = (y0 + TILE).min(grid.height);
        scan(cur, grid, y0, y1, |key, x, y| {
            if !tiles[(x / TILE) as usize] {
                return;
            }
            if let Some(Some((px, py))) = index.map.get(&key) {
                let v = (*px as i32 - x as i32, *py as i32 - y as i32);
                if v != (0, 0) {
                    *votes.entry(v).or_default() += 1;
                }
            }
        });
    }
    let mut ranked: Vec<((i32, i32), u32)> =
        votes.into_iter().filter(|&(_, n)| n >= MIN_VOTES).collect();
    // Most votes first; ties by the vector itself so the order is stable.
    ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(MAX_VECTORS);
    ranked.into_iter().map(|(v, _)| v).collect()
}

/// Calls `found(key, x, y)` for every anchor in rows `y0..y1`.
fn scan(pixels: &[Px], grid: &Grid, y0: u32, y1: u32, mut found: impl FnMut(u64, u32, u32)) {
    let w = grid.width as usize;
    if w < WINDOW || y1 <= y0 {
        return;
    }
    // Each anchor also hashes the row above it, so scanning starts one row
    // early; row 0 has no anchors.
    let first = y0.saturating_sub(1);
    let mut above = vec![0u64; w];
    let mut here = vec![0u64; w];
    for y in first..y1 {
        let row = &pixels[y as usize * w..][..w];
        let mut h = 0u64;
        for (x, &p) in row.iter().enumerate() {
            h = (h << (64 / WINDOW)) ^ mix(p);
            here[x] = h;
        }
        if y >= y0 && y > 0 {
            for x in WINDOW..w {
                let h = here[x];
                // Only at an edge: a flat run would give the same hash at
                // every position and vote for every shift along it.
                if h >> (64 - SELECT_BITS) == 0 && row[x] != row[x - 1] {
                    found(h ^ above[x].rotate_left(29), x as u32, y);
                }
            }
        }
        std::mem::swap(&mut above, &mut here);
    }
}

/// Spreads a pixel's 24 bits over 64.
#[inline]
fn mix(p: Px) -> u64 {
    (u64::from(p) ^ 0x5851_F42D_4C95_7F2D).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame of pseudo-random "text": dark marks on a light background.
    fn texty(w: u32, h: u32, seed: u32) -> Vec<Px> {
        let mut s = seed;
        (0..w * h)
            .map(|_| {
                s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
                if (s >> 16).is_multiple_of(5) {
                    0x202020
                } else {
                    0xF0F0F0
                }
            })
            .collect()
    }

    #[test]
    fn a_vertical_scroll_is_found() {
        let (w, h) = (256u32, 128u32);
        let grid = Grid::new(w, h).unwrap();
        let prev = texty(w, h, 1);
        // Scrolled up by 24 rows; the last 24 rows are new.
        let mut cur = prev[24 * w as usize..].to_vec();
        cur.extend(texty(w, 24, 2));
        let mut index = AnchorIndex::default();
        index.build(&prev, &grid);
        let changed = vec![true; grid.tiles()];
        let found = candidates(&index, &cur, &grid, &changed);
        assert_eq!(found.first(), Some(&(0, 24)));
    }

    #[test]
    fn a_moved_block_is_found() {
        let (w, h) = (256u32, 128u32);
        let grid = Grid::new(w, h).unwrap();
        let mut prev = vec![0x336699; (w * h) as usize];
        let block = texty(64, 48, 3);
        let put = |frame: &mut Vec<Px>, x0: u32, y0: u32| {
            for y in 0..48 {
                for x in 0..64 {
                    frame[((y0 + y) * w + x0 + x) as usize] = block[(y * 64 + x) as usize];
                }
            }
        };
        put(&mut prev, 10, 20);
        let mut cur = vec![0x336699; (w * h) as usize];
        put(&mut cur, 150, 70);
        let mut index = AnchorIndex::default();
        index.build(&prev, &grid);
        let found = candidates(&index, &cur, &grid, &vec![true; grid.tiles()]);
        assert_eq!(found.first(), Some(&(-140, -50)));
    }
}
