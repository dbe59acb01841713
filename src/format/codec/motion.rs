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

/// Where an anchor hash occurs in the indexed frame.
#[derive(Clone, Copy)]
struct Seen {
    /// How many times it occurs.
    count: u32,
    /// Where, when it occurs once; `None` when the place is not known
    /// (it occurred more than once and all but one occurrence went away).
    at: Option<(u32, u32)>,
}

/// The anchors of a frame: hash to position, for hashes that occur once.
/// Kept between frames, and brought up to date band by band, so that a
/// frame that changed a little costs little to index.
#[derive(Default)]
pub struct AnchorIndex {
    map: QuickMap<u64, Seen>,
    /// The anchor hashes of every band.
    bands: Vec<Vec<u64>>,
}

impl AnchorIndex {
    /// Indexes every anchor of `pixels` (a whole frame), forgetting the
    /// frame indexed before.
    pub fn build(&mut self, pixels: &[Px], grid: &Grid) {
        self.map.clear();
        self.bands.resize_with(grid.rows, Vec::new);
        for band in &mut self.bands {
            band.clear();
        }
        self.update(pixels, grid, &vec![true; grid.rows]);
    }

    /// Re-indexes the bands marked `dirty` from `pixels`; the others keep
    /// their anchors. A band's anchors hash its rows and the row above it,
    /// so a band is dirty when any of those rows changed since it was
    /// indexed.
    pub fn update(&mut self, pixels: &[Px], grid: &Grid, dirty: &[bool]) {
        debug_assert_eq!(self.bands.len(), grid.rows);
        let dirty = || {
            dirty
                .iter()
                .enumerate()
                .filter(|(_, d)| **d)
                .map(|(b, _)| b)
        };
        // All old anchors go before any new one comes, so that content
        // that moved from one dirty band to another keeps its place.
        for band in dirty() {
            for key in self.bands[band].drain(..) {
                if let Some(seen) = self.map.get_mut(&key) {
                    seen.count -= 1;
                    if seen.count == 0 {
                        self.map.remove(&key);
                    } else {
                        // The place of the occurrence that stays is not
                        // kept: the hash no longer names one place.
                        seen.at = None;
                    }
                }
            }
        }
        for band in dirty() {
            let y0 = band as u32 * TILE;
            let y1 = (y0 + TILE).min(grid.height);
            let (map, list) = (&mut self.map, &mut self.bands[band]);
            scan(pixels, grid, y0, y1, |key, x, y| {
                list.push(key);
                map.entry(key)
                    .and_modify(|e| {
                        e.count += 1;
                        e.at = None;
                    })
                    .or_insert(Seen {
                        count: 1,
                        at: Some((x, y)),
                    });
            });
        }
    }

    /// The one place of anchor `key`, if it occurs once.
    fn place(&self, key: u64) -> Option<(u32, u32)> {
        self.map.get(&key).and_then(|s| s.at)
    }
}

/// The bands of a frame whose anchors differ between two frames: those
/// with a changed row, and those right below a band whose last row
/// changed.
pub fn dirty_bands(old: &[Px], new: &[Px], grid: &Grid) -> Vec<bool> {
    let w = grid.width as usize;
    let mut dirty = vec![false; grid.rows];
    for y in 0..grid.height as usize {
        if old[y * w..][..w] != new[y * w..][..w] {
            let band = y / TILE as usize;
            dirty[band] = true;
            if (y + 1) % TILE as usize == 0 && band + 1 < grid.rows {
                dirty[band + 1] = true;
            }
        }
    }
    dirty
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
            if let Some((px, py)) = index.place(key) {
                let v = (px as i32 - x as i32, py as i32 - y as i32);
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

    #[test]
    fn an_updated_index_agrees_with_a_new_one() {
        let (w, h) = (256u32, 128u32);
        let grid = Grid::new(w, h).unwrap();
        let prev = texty(w, h, 4);
        let mut cur = prev.clone();
        // New content in rows 30 to 40 (bands 1 and 2) and on the last
        // row of band 4, which also changes the anchors of band 5.
        let fresh = texty(w, 11, 5);
        cur[30 * w as usize..41 * w as usize].copy_from_slice(&fresh);
        cur[79 * w as usize + 7] ^= 0xFF;
        let dirty = dirty_bands(&prev, &cur, &grid);
        assert_eq!(dirty, [false, true, true, false, true, true, false, false]);

        let mut updated = AnchorIndex::default();
        updated.build(&prev, &grid);
        updated.update(&cur, &grid, &dirty);
        let mut built = AnchorIndex::default();
        built.build(&cur, &grid);
        assert_eq!(updated.map.len(), built.map.len());
        let mut places = 0;
        for (key, seen) in &built.map {
            let got = updated.map[key];
            assert_eq!(got.count, seen.count);
            if let Some(at) = got.at {
                assert_eq!(Some(at), seen.at);
                places += 1;
            }
        }
        assert!(
            places * 10 >= built.map.len() * 9,
            "{places} of {}",
            built.map.len()
        );
    }
}
