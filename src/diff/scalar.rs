//! The reference kernel: pixelmatch's loop, one pixel at a time, in safe
//! code.
//!
//! It is the fallback on processors without AVX2, the path for a BGRX frame
//! compared with an RGBA one, and the twin every SIMD kernel is tested
//! against.

#![forbid(unsafe_code)]

use std::ops::{ControlFlow, Range};

use super::kernel::Params;
use super::metric::{Pixels, antialiased, color_delta};
use super::sink::{Found, Sink};

/// What pixelmatch makes of one pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Identical, or within the threshold.
    Same,
    /// Over the threshold, but anti-aliasing in one of the images.
    AntiAliased,
    /// A difference that counts; `darker` when the second image is darker
    /// there.
    Differs { darker: bool },
}

/// Judges pixel `(x, y)`, whose two values are known to differ, exactly as
/// pixelmatch's main loop does.
#[inline]
pub(crate) fn judge<A: Pixels, B: Pixels>(a: A, b: B, p: &Params, x: usize, y: usize) -> Verdict {
    let i = y * p.width + x;
    let delta = color_delta(a.rgba(i), b.rgba(i), i * 4, p.checkerboard);
    if delta.abs() <= p.max_delta || delta.is_nan() {
        return Verdict::Same;
    }
    let (w, h, cb) = (p.width, p.height, p.checkerboard);
    if !p.include_aa && (antialiased(a, b, x, y, w, h, cb) || antialiased(b, a, x, y, w, h, cb)) {
        Verdict::AntiAliased
    } else {
        Verdict::Differs {
            darker: delta < 0.0,
        }
    }
}

/// Adds a verdict for column `x` to the findings of the group at `x0`.
#[inline]
pub(crate) fn record(found: &mut Found, x0: usize, x: usize, verdict: Verdict) {
    let bit = 1u64 << (x - x0);
    match verdict {
        Verdict::Same => {}
        Verdict::AntiAliased => found.aa |= bit,
        Verdict::Differs { darker } => {
            found.diff |= bit;
            if darker {
                found.darker |= bit;
            }
        }
    }
}

/// Compares the `spans` of row `y` and reports to `sink`.
pub(crate) fn row<A: Pixels, B: Pixels>(
    a: A,
    b: B,
    p: &Params,
    y: usize,
    spans: &[Range<usize>],
    sink: &mut dyn Sink,
) -> ControlFlow<()> {
    for span in spans {
        let mut x0 = span.start & !63;
        let mut found = Found::default();
        for x in span.clone() {
            if x - x0 >= 64 {
                if !found.is_empty() {
                    sink.found(y, x0, found)?;
                }
                x0 = x & !63;
                found = Found::default();
            }
            let i = y * p.width + x;
            if a.word(i) != b.word(i) {
                record(&mut found, x0, x, judge(a, b, p, x, y));
            }
        }
        if !found.is_empty() {
            sink.found(y, x0, found)?;
        }
    }
    ControlFlow::Continue(())
}
