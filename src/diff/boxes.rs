//! Boxes around the changed areas of a comparison.
//!
//! While a kernel scans, every differing pixel widens the tight bounding
//! box of the tile it falls in. Tiles are [`GAP`] pixels square, so all
//! changes inside one tile belong together anyway. Afterwards tiles whose
//! boxes come within [`GAP`] pixels of each other are joined, and so are
//! the joined boxes, so that a line of typed text is one box and two
//! changes far apart are two.

#![forbid(unsafe_code)]

use crate::model::Rect;

/// Changed pixels with at most this many pixels between them
/// (horizontally and vertically) end up in the same box. It spans the space
/// between words and lines of text.
pub(crate) const GAP: u32 = 16;
/// Tile side: a quarter of the 64 columns a kernel reports at once, so
/// that a quarter of a report is one `u16`.
const TILE: usize = GAP as usize;
const _: () = assert!(TILE == 16);

/// A bounding box with inclusive corners; empty while `x0 > x1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bounds {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
}

impl Bounds {
    const EMPTY: Bounds = Bounds {
        x0: u32::MAX,
        y0: u32::MAX,
        x1: 0,
        y1: 0,
    };

    fn is_empty(&self) -> bool {
        self.x0 > self.x1
    }

    fn union(&self, o: &Bounds) -> Bounds {
        Bounds {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }

    /// Whether the two boxes overlap or leave at most [`GAP`] pixels
    /// between them in both directions.
    fn near(&self, o: &Bounds) -> bool {
        let dx =
            o.x0.saturating_sub(self.x1)
                .max(self.x0.saturating_sub(o.x1));
        let dy =
            o.y0.saturating_sub(self.y1)
                .max(self.y0.saturating_sub(o.y1));
        // A difference of d between coordinates leaves d - 1 pixels between.
        dx <= GAP + 1 && dy <= GAP + 1
    }

    fn rect(&self) -> Rect {
        Rect::new(
            self.x0 as i32,
            self.y0 as i32,
            self.x1 - self.x0 + 1,
            self.y1 - self.y0 + 1,
        )
    }
}

/// Tight bounds of the differing pixels, tile by tile.
#[derive(Debug, Clone)]
pub(crate) struct Tiles {
    across: usize,
    down: usize,
    bounds: Vec<Bounds>,
    /// The indices of the tiles that are not empty, in the order they
    /// were first touched: a small change leaves most of the thousands of
    /// tiles empty, and clustering then visits only these.
    occupied: Vec<usize>,
}

impl Tiles {
    pub fn new(width: usize, height: usize) -> Tiles {
        let across = width.div_ceil(TILE);
        let down = height.div_ceil(TILE);
        Tiles {
            across,
            down,
            // Allocated on the first difference: identical frames cost
            // nothing.
            bounds: Vec::new(),
            occupied: Vec::new(),
        }
    }

    /// Records the differing pixels of row `y`: bit `j` of `bits` stands for
    /// column `x0 + j`, and `x0` is a multiple of 64.
    #[inline]
    pub fn add(&mut self, y: usize, x0: usize, bits: u64) {
        if bits == 0 {
            return;
        }
        if self.bounds.is_empty() {
            self.bounds = vec![Bounds::EMPTY; self.across * self.down];
        }
        let row = (y / TILE) * self.across;
        for quarter in 0..64 / TILE {
            let part = (bits >> (quarter * TILE)) as u16;
            if part == 0 {
                continue;
            }
            let base = x0 + quarter * TILE;
            let first = (base + part.trailing_zeros() as usize) as u32;
            let last = (base + 15 - part.leading_zeros() as usize) as u32;
            let index = row + base / TILE;
            let t = &mut self.bounds[index];
            if t.is_empty() {
                self.occupied.push(index);
            }
            t.x0 = t.x0.min(first);
            t.x1 = t.x1.max(last);
            t.y0 = t.y0.min(y as u32);
            t.y1 = t.y1.max(y as u32);
        }
    }

    /// Adds the bounds found by another scan of the same frame.
    pub fn merge(&mut self, other: &Tiles) {
        if other.bounds.is_empty() {
            return;
        }
        if self.bounds.is_empty() {
            self.bounds = other.bounds.clone();
            self.occupied = other.occupied.clone();
            return;
        }
        for &index in &other.occupied {
            let t = &mut self.bounds[index];
            if t.is_empty() {
                self.occupied.push(index);
            }
            *t = t.union(&other.bounds[index]);
        }
    }

    /// The boxes around groups of nearby changes, top to bottom, then left
    /// to right.
    pub fn boxes(&self) -> Vec<Rect> {
        if self.bounds.is_empty() {
            return Vec::new();
        }
        let mut sets = DisjointSets::new(self.bounds.len());
        let at = |tx: usize, ty: usize| ty * self.across + tx;
        // In tile order, as a scan of every tile would visit them.
        let mut occupied = self.occupied.clone();
        occupied.sort_unstable();
        for &index in &occupied {
            let (tx, ty) = (index % self.across, index / self.across);
            let b = &self.bounds[index];
            // Each pair of touching tiles once: right, and the row below.
            let others = [
                (tx + 1, ty),
                (tx.wrapping_sub(1), ty + 1),
                (tx, ty + 1),
                (tx + 1, ty + 1),
            ];
            for (ox, oy) in others {
                if ox >= self.across || oy >= self.down {
                    continue;
                }
                let o = &self.bounds[at(ox, oy)];
                if !o.is_empty() && b.near(o) {
                    sets.join(index, at(ox, oy));
                }
            }
        }

        // One box per set, in the order of the sets' roots.
        let mut rooted: Vec<(usize, Bounds)> = occupied
            .iter()
            .map(|&i| (sets.root(i), self.bounds[i]))
            .collect();
        rooted.sort_by_key(|&(root, _)| root);
        let mut boxes: Vec<Bounds> = Vec::new();
        let mut last_root = None;
        for (root, b) in rooted {
            match boxes.last_mut() {
                Some(j) if last_root == Some(root) => *j = j.union(&b),
                _ => boxes.push(b),
            }
            last_root = Some(root);
        }
        merge_near(&mut boxes);
        boxes.sort_by_key(|b| (b.y0, b.x0));
        boxes.iter().map(Bounds::rect).collect()
    }
}

/// Joins boxes that came near each other by growing, until none are near.
/// Boxes are sorted by left edge so that each is checked only against those
/// that start before it ends.
fn merge_near(boxes: &mut Vec<Bounds>) {
    loop {
        boxes.sort_by_key(|b| b.x0);
        let mut merged = false;
        let mut i = 0;
        while i < boxes.len() {
            let mut j = i + 1;
            while j < boxes.len() && boxes[j].x0 <= boxes[i].x1.saturating_add(GAP + 1) {
                if boxes[i].near(&boxes[j]) {
                    boxes[i] = boxes[i].union(&boxes[j]);
                    boxes.remove(j);
                    merged = true;
                } else {
                    j += 1;
                }
            }
            i += 1;
        }
        if !merged {
            return;
        }
    }
}

/// Union-find over tile indices.
struct DisjointSets {
    parent: Vec<usize>,
}

impl DisjointSets {
    fn new(n: usize) -> DisjointSets {
        DisjointSets {
            parent: (0..n).collect(),
        }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxes_of(width: usize, height: usize, pixels: &[(usize, usize)]) -> Vec<Rect> {
        let mut tiles = Tiles::new(width, height);
        for &(x, y) in pixels {
            tiles.add(y, x & !63, 1 << (x % 64));
        }
        tiles.boxes()
    }

    #[test]
    fn no_change_gives_no_box() {
        assert!(boxes_of(100, 100, &[]).is_empty());
    }

    #[test]
    fn nearby_changes_across_tiles_share_one_box() {
        // Columns 60 and 70 lie in different tiles, 9 pixels apart.
        let boxes = boxes_of(200, 100, &[(60, 10), (70, 20)]);
        assert_eq!(boxes, [Rect::new(60, 10, 11, 11)]);
    }

    #[test]
    fn far_apart_changes_get_a_box_each() {
        let boxes = boxes_of(400, 300, &[(10, 10), (300, 10), (10, 250)]);
        assert_eq!(
            boxes,
            [
                Rect::new(10, 10, 1, 1),
                Rect::new(300, 10, 1, 1),
                Rect::new(10, 250, 1, 1)
            ]
        );
    }

    #[test]
    fn the_gap_is_the_limit() {
        let joined = boxes_of(200, 10, &[(0, 0), (GAP as usize + 1, 0)]);
        assert_eq!(joined.len(), 1);
        let apart = boxes_of(200, 10, &[(0, 0), (GAP as usize + 2, 0)]);
        assert_eq!(apart.len(), 2);
    }

    #[test]
    fn boxes_that_grow_into_each_other_merge() {
        // A diagonal of changes through many tiles is one box.
        let pixels: Vec<_> = (0..100).map(|i| (i * 5, i * 3)).collect();
        assert_eq!(boxes_of(600, 400, &pixels), [Rect::new(0, 0, 496, 298)]);
    }

    #[test]
    fn merged_tiles_from_two_scans_union() {
        let mut top = Tiles::new(64, 32);
        top.add(3, 0, 0b11111 << 5);
        let mut bottom = Tiles::new(64, 32);
        bottom.add(30, 0, 0b110);
        top.merge(&bottom);
        assert_eq!(top.boxes(), [Rect::new(5, 3, 5, 1), Rect::new(1, 30, 2, 1)]);
    }
}
