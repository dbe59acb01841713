//! Where the kernels report what they find.
//!
//! A kernel walks the compared area row by row and reports, 64 columns at a
//! time, which pixels differ, which were anti-aliasing, and which differ by
//! getting darker. The receiver decides what that means: counting for a
//! full comparison, stopping at the tolerance for a decision, painting for
//! the diff image. Reports come only for groups where something was found,
//! so an unchanged screen costs nothing here.

#![forbid(unsafe_code)]

use std::ops::ControlFlow;

use super::boxes::Tiles;

/// What a kernel found in 64 columns of one row: bit `j` stands for column
/// `x0 + j`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Found {
    /// Pixels that differ and count.
    pub diff: u64,
    /// Pixels over the threshold that were taken for anti-aliasing and not
    /// counted.
    pub aa: u64,
    /// Among `diff`, the pixels where the second image is darker.
    pub darker: u64,
}

impl Found {
    pub fn is_empty(&self) -> bool {
        self.diff | self.aa == 0
    }
}

/// Receives a kernel's findings.
pub(crate) trait Sink {
    /// Findings in row `y`, columns `x0..x0 + 64`; `x0` is a multiple of 64.
    /// Breaking stops the scan.
    fn found(&mut self, y: usize, x0: usize, found: Found) -> ControlFlow<()>;

    /// A row is done and `remaining` compared pixels are left to look at.
    /// Breaking stops the scan.
    fn row_done(&mut self, remaining: u64) -> ControlFlow<()> {
        let _ = remaining;
        ControlFlow::Continue(())
    }
}

/// Counts differences and remembers where they are, for a full comparison.
#[derive(Debug, Clone)]
pub(crate) struct Tally {
    pub differing: u64,
    pub anti_aliased: u64,
    pub tiles: Tiles,
}

impl Tally {
    pub fn new(width: usize, height: usize) -> Tally {
        Tally {
            differing: 0,
            anti_aliased: 0,
            tiles: Tiles::new(width, height),
        }
    }

    /// Adds the counts and places of another tally of the same frame.
    pub fn merge(&mut self, other: &Tally) {
        self.differing += other.differing;
        self.anti_aliased += other.anti_aliased;
        self.tiles.merge(&other.tiles);
    }
}

impl Sink for Tally {
    #[inline]
    fn found(&mut self, y: usize, x0: usize, found: Found) -> ControlFlow<()> {
        self.differing += u64::from(found.diff.count_ones());
        self.anti_aliased += u64::from(found.aa.count_ones());
        self.tiles.add(y, x0, found.diff);
        ControlFlow::Continue(())
    }
}

/// Stops as soon as the answer to "do they match within `max` differing
/// pixels" is certain.
#[derive(Debug, Clone)]
pub(crate) struct Limit {
    pub max: u64,
    pub differing: u64,
}

impl Limit {
    pub fn new(max: u64) -> Limit {
        Limit { max, differing: 0 }
    }

    pub fn exceeded(&self) -> bool {
        self.differing > self.max
    }
}

impl Sink for Limit {
    #[inline]
    fn found(&mut self, _y: usize, _x0: usize, found: Found) -> ControlFlow<()> {
        self.differing += u64::from(found.diff.count_ones());
        if self.exceeded() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn row_done(&mut self, remaining: u64) -> ControlFlow<()> {
        // Even if every pixel left differed, the count would stay within
        // the limit: the screens match whatever comes.
        if self.differing.saturating_add(remaining) <= self.max {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// The colours of the diff image, as RGB.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Palette {
    pub aa: [u8; 3],
    pub diff: [u8; 3],
    pub darker: [u8; 3],
    /// Whether anti-aliased pixels are left out of the image (diff mask).
    pub skip_aa: bool,
}

/// Counts like [`Tally`] and paints the findings into rows of a diff image
/// (RGBA) whose background is already drawn.
pub(crate) struct Painter<'o> {
    pub tally: Tally,
    palette: Palette,
    width: usize,
    /// The image rows from `first_row` on.
    out: &'o mut [u8],
    first_row: usize,
}

impl<'o> Painter<'o> {
    pub fn new(
        width: usize,
        height: usize,
        palette: Palette,
        out: &'o mut [u8],
        first_row: usize,
    ) -> Painter<'o> {
        Painter {
            tally: Tally::new(width, height),
            palette,
            width,
            out,
            first_row,
        }
    }

    fn paint(&mut self, y: usize, x0: usize, mut bits: u64, [r, g, b]: [u8; 3]) {
        let row = (y - self.first_row) * self.width;
        while bits != 0 {
            let x = x0 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let pos = (row + x) * 4;
            self.out[pos..pos + 4].copy_from_slice(&[r, g, b, 255]);
        }
    }
}

impl Sink for Painter<'_> {
    fn found(&mut self, y: usize, x0: usize, found: Found) -> ControlFlow<()> {
        let _ = self.tally.found(y, x0, found);
        if !self.palette.skip_aa {
            self.paint(y, x0, found.aa, self.palette.aa);
        }
        self.paint(y, x0, found.diff & !found.darker, self.palette.diff);
        self.paint(y, x0, found.darker, self.palette.darker);
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_breaks_once_it_is_exceeded() {
        let mut limit = Limit::new(2);
        let two = Found {
            diff: 0b11,
            ..Found::default()
        };
        assert!(limit.found(0, 0, two).is_continue());
        assert!(limit.found(1, 0, two).is_break());
        assert!(limit.exceeded());
    }

    #[test]
    fn a_limit_breaks_when_the_rest_cannot_change_the_answer() {
        let mut limit = Limit::new(10);
        assert!(limit.row_done(11).is_continue());
        assert!(limit.row_done(10).is_break());
        assert!(!limit.exceeded());
    }

    #[test]
    fn a_tally_counts_differences_and_anti_aliasing_apart() {
        let mut tally = Tally::new(128, 4);
        let found = Found {
            diff: 0b1010,
            aa: 0b0100,
            darker: 0b1000,
        };
        let _ = tally.found(2, 64, found);
        assert_eq!((tally.differing, tally.anti_aliased), (2, 1));
    }

    #[test]
    fn a_painter_colours_only_what_it_is_told() {
        let mut out = vec![0u8; 4 * 4];
        let palette = Palette {
            aa: [1, 1, 1],
            diff: [2, 2, 2],
            darker: [3, 3, 3],
            skip_aa: false,
        };
        let mut painter = Painter::new(4, 1, palette, &mut out, 0);
        let found = Found {
            diff: 0b0110,
            aa: 0b0001,
            darker: 0b0100,
        };
        let _ = painter.found(0, 0, found);
        assert_eq!(out, [1, 1, 1, 255, 2, 2, 2, 255, 3, 3, 3, 255, 0, 0, 0, 0]);
    }
}
