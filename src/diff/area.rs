//! The part of a frame a comparison looks at: a region minus masks.
//!
//! Rows fall into bands that share the same set of masks; each band holds
//! the column spans left to compare. Kernels read neighbours outside the
//! spans freely (anti-aliasing detection looks at the whole frame); the
//! spans only decide which pixels are judged.

#![forbid(unsafe_code)]

use std::ops::Range;

use crate::model::Rect;

/// Rows that share the same spans of compared columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Band {
    pub rows: Range<usize>,
    pub spans: Vec<Range<usize>>,
}

/// The compared pixels of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Area {
    bands: Vec<Band>,
    compared: u64,
}

impl Area {
    /// The pixels of a `width` x `height` frame inside `region` (the whole
    /// frame when `None`) and outside every mask. Rectangles are clipped to
    /// the frame; parts off screen are ignored.
    pub fn new(width: u32, height: u32, region: Option<Rect>, masks: &[Rect]) -> Area {
        let region = match region {
            None => Rect::new(0, 0, width, height).clip(width, height),
            Some(r) => r.clip(width, height),
        };
        let Some(region) = region else {
            return Area {
                bands: Vec::new(),
                compared: 0,
            };
        };
        let (rx, ry) = (region.x as usize, region.y as usize);
        let (rx1, ry1) = (rx + region.width as usize, ry + region.height as usize);
        let masks: Vec<(Range<usize>, Range<usize>)> = masks
            .iter()
            .filter_map(|m| m.clip(width, height))
            .map(|m| {
                let (x, y) = (m.x as usize, m.y as usize);
                (x..x + m.width as usize, y..y + m.height as usize)
            })
            .collect();

        // Rows where the set of masks changes.
        let mut cuts: Vec<usize> = vec![ry, ry1];
        for (_, ys) in &masks {
            cuts.extend([ys.start.clamp(ry, ry1), ys.end.clamp(ry, ry1)]);
        }
        cuts.sort_unstable();
        cuts.dedup();

        let mut bands: Vec<Band> = Vec::new();
        let mut compared = 0u64;
        for rows in cuts.windows(2).map(|w| w[0]..w[1]) {
            let mut covered: Vec<Range<usize>> = masks
                .iter()
                .filter(|(_, ys)| ys.contains(&rows.start))
                .map(|(xs, _)| xs.clone())
                .collect();
            covered.sort_unstable_by_key(|xs| xs.start);
            let spans = subtract(rx..rx1, &covered);
            if spans.is_empty() {
                continue;
            }
            let pixels: usize = spans.iter().map(|s| s.len()).sum();
            compared += (pixels * rows.len()) as u64;
            match bands.last_mut() {
                Some(last) if last.rows.end == rows.start && last.spans == spans => {
                    last.rows.end = rows.end;
                }
                _ => bands.push(Band { rows, spans }),
            }
        }
        Area { bands, compared }
    }

    /// How many pixels are compared.
    pub fn compared(&self) -> u64 {
        self.compared
    }

    pub fn bands(&self) -> &[Band] {
        &self.bands
    }

    /// The first and one past the last compared row.
    pub fn rows(&self) -> Range<usize> {
        match (self.bands.first(), self.bands.last()) {
            (Some(first), Some(last)) => first.rows.start..last.rows.end,
            _ => 0..0,
        }
    }

    /// Compared pixels in rows `rows`.
    pub fn compared_in(&self, rows: &Range<usize>) -> u64 {
        self.bands
            .iter()
            .map(|b| {
                let n = b
                    .rows
                    .end
                    .min(rows.end)
                    .saturating_sub(b.rows.start.max(rows.start));
                let per_row: usize = b.spans.iter().map(|s| s.len()).sum();
                (n * per_row) as u64
            })
            .sum()
    }
}

/// `whole` minus the ranges of `holes` (sorted by start).
fn subtract(whole: Range<usize>, holes: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut from = whole.start;
    for h in holes {
        if h.start > from {
            spans.push(from..h.start.min(whole.end));
        }
        from = from.max(h.end);
        if from >= whole.end {
            break;
        }
    }
    if from < whole.end {
        spans.push(from..whole.end);
    }
    spans.retain(|s| !s.is_empty());
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: usize, end: usize) -> Range<usize> {
        start..end
    }

    #[test]
    fn no_region_is_the_whole_frame() {
        let area = Area::new(10, 4, None, &[]);
        assert_eq!(area.compared(), 40);
        assert_eq!(
            area.bands(),
            [Band {
                rows: 0..4,
                spans: vec![span(0, 10)]
            }]
        );
    }

    #[test]
    fn a_region_is_clipped_to_the_frame() {
        let area = Area::new(10, 10, Some(Rect::new(-5, 8, 8, 8)), &[]);
        assert_eq!(area.compared(), 3 * 2);
        assert_eq!(area.rows(), 8..10);
    }

    #[test]
    fn a_region_off_screen_compares_nothing() {
        let area = Area::new(10, 10, Some(Rect::new(20, 0, 5, 5)), &[]);
        assert_eq!(area.compared(), 0);
        assert!(area.bands().is_empty());
    }

    #[test]
    fn masks_cut_spans_and_bands() {
        let masks = [Rect::new(2, 1, 3, 2), Rect::new(4, 2, 2, 1)];
        let area = Area::new(8, 4, None, &masks);
        assert_eq!(
            area.bands(),
            [
                Band {
                    rows: 0..1,
                    spans: vec![span(0, 8)]
                },
                Band {
                    rows: 1..2,
                    spans: vec![0..2, 5..8]
                },
                Band {
                    rows: 2..3,
                    spans: vec![0..2, 6..8]
                },
                Band {
                    rows: 3..4,
                    spans: vec![span(0, 8)]
                },
            ]
        );
        assert_eq!(area.compared(), 8 + 5 + 4 + 8);
        assert_eq!(area.compared_in(&(1..3)), 9);
    }

    #[test]
    fn a_mask_over_everything_leaves_nothing() {
        let area = Area::new(8, 4, None, &[Rect::new(-1, -1, 20, 20)]);
        assert_eq!(area.compared(), 0);
    }
}
