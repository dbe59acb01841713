//! The visual diff: compares two frames the way pixelmatch 7.2.0 does,
//! with the same counts and the same diff image, at close to the speed of
//! reading the two frames.
//!
//! Three entry points serve the three uses:
//!
//! - [`decide`] answers "do these frames match within a tolerance" and
//!   stops as soon as the answer is certain. Replay calls it on every poll
//!   of a checkpoint.
//! - [`compare`] gives the full [`Comparison`]: differing and anti-aliased
//!   pixel counts, and boxes around the changed areas.
//! - [`compare_with_image`] also draws pixelmatch's diff image.
//!
//! Frames come as [`FrameRef`]s of equal size, in the BGRX layout of an X11
//! capture or the RGBA layout of a PNG, without conversion. A BGRX pixel
//! is opaque whatever its fourth byte holds, so a BGRX pair gives exactly
//! what pixelmatch gives for the same pixels as opaque RGBA. A BGRX frame
//! may be compared with an RGBA frame; such a pair takes the portable
//! scalar kernel (same results, several times slower).
//!
//! The metric is pixelmatch's: the YIQ colour delta against `threshold`,
//! then, unless `include_aa`, its anti-aliasing detector. [`Options::region`]
//! and [`Options::masks`] choose which pixels are judged; the detector
//! still looks at neighbours outside them, as it would on the whole frame.
//! [`ssim`] gives a structural similarity score for reports.

use std::ops::Range;

use crate::frame::{Frame, FrameRef, PixelLayout};
use crate::model::{Rect, Tolerance};

mod area;
mod boxes;
mod image;
mod kernel;
mod metric;
mod scalar;
mod simd;
mod sink;
mod ssim;

pub use ssim::ssim;

use area::Area;
use kernel::{Engine, Pair, Params};
use metric::{Bgrx, Rgba};
use sink::{Limit, Painter, Palette, Tally};

/// How two frames are compared. Names follow pixelmatch's options; the
/// defaults are pixelmatch's.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Matching threshold, 0 to 1: how far apart two colours may be and
    /// still count as the same. Smaller is stricter. Default 0.1.
    pub threshold: f64,
    /// Count anti-aliased pixels as differences instead of detecting and
    /// ignoring them. Default false.
    pub include_aa: bool,
    /// Opacity, 0 to 1, of the first frame drawn faded under the diff
    /// image. Default 0.1.
    pub alpha: f64,
    /// Colour of anti-aliased pixels in the diff image. Default yellow.
    pub aa_color: [u8; 3],
    /// Colour of differing pixels in the diff image. Default red.
    pub diff_color: [u8; 3],
    /// Colour of differing pixels where the second frame is darker; the
    /// diff colour when `None` (the default).
    pub diff_color_alt: Option<[u8; 3]>,
    /// Draw the differences over a transparent background, without
    /// anti-aliased pixels. Default false.
    pub diff_mask: bool,
    /// Blend translucent pixels over a checkerboard (true, the default) or
    /// over white before comparing. Opaque frames are not affected.
    pub checkerboard: bool,
    /// Compare only this rectangle (clipped to the frame); the whole frame
    /// when `None`.
    pub region: Option<Rect>,
    /// Rectangles whose pixels are not judged (a clock, a caret).
    pub masks: Vec<Rect>,
    /// Threads [`compare`] and [`compare_with_image`] use, each on a band of
    /// at least 16 rows; 0 counts as 1. [`decide`] always uses one.
    pub threads: usize,
    /// Which kernel runs. Default: the fastest this processor has.
    pub kernel: Kernel,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            threshold: 0.1,
            include_aa: false,
            alpha: 0.1,
            aa_color: [255, 255, 0],
            diff_color: [255, 0, 0],
            diff_color_alt: None,
            diff_mask: false,
            checkerboard: true,
            region: None,
            masks: Vec::new(),
            threads: 1,
            kernel: Kernel::Auto,
        }
    }
}

/// The implementations of the comparison. All give identical results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// The fastest kernel this processor runs.
    #[default]
    Auto,
    /// One pixel at a time, in safe code; runs everywhere.
    Scalar,
    /// 8 pixels at a time (x86-64 with AVX2).
    Avx2,
    /// 16 pixels at a time (x86-64 with AVX-512F).
    Avx512,
}

impl Kernel {
    /// Whether this processor runs the kernel.
    pub fn is_available(self) -> bool {
        match self {
            Kernel::Auto | Kernel::Scalar => true,
            Kernel::Avx2 => simd::Vector::avx2().is_some(),
            Kernel::Avx512 => simd::Vector::avx512().is_some(),
        }
    }

    /// The lower-case name, as the command line takes it.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Auto => "auto",
            Kernel::Scalar => "scalar",
            Kernel::Avx2 => "avx2",
            Kernel::Avx512 => "avx512",
        }
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The result of [`compare`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Pixels judged: those in the region and outside every mask.
    pub compared: u64,
    /// Pixels that differ: pixelmatch's count.
    pub differing: u64,
    /// Pixels over the threshold that were taken for anti-aliasing and not
    /// counted (always 0 with `include_aa`).
    pub anti_aliased: u64,
    /// Boxes around the changed areas, top to bottom then left to right;
    /// differing pixels at most 16 pixels apart share a box.
    pub boxes: Vec<Rect>,
}

impl Comparison {
    /// Differing pixels as a fraction of the compared ones (0 when nothing
    /// was compared).
    pub fn ratio(&self) -> f64 {
        if self.compared == 0 {
            0.0
        } else {
            self.differing as f64 / self.compared as f64
        }
    }

    /// Whether the difference is within `tolerance`.
    pub fn within(&self, tolerance: Tolerance) -> bool {
        self.differing <= tolerance.max_pixels(self.compared)
    }
}

/// The answer of [`decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No more pixels differ than the tolerance allows.
    Match,
    /// More pixels differ than the tolerance allows.
    Mismatch,
}

/// Why two frames could not be compared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiffError {
    /// The frames have different sizes.
    #[error(
        "the frames differ in size: the first is {}x{}, the second {}x{}; \
         only frames of equal size can be compared",
        first.0, first.1, second.0, second.1
    )]
    SizeMismatch {
        first: (u32, u32),
        second: (u32, u32),
    },
    /// A frame's buffer is not `width * height * 4` bytes long.
    #[error(
        "the {which} frame is {width}x{height} and needs {expected} bytes, its buffer has {found}"
    )]
    BufferSize {
        which: &'static str,
        width: u32,
        height: u32,
        expected: usize,
        found: usize,
    },
    /// An option is out of its range.
    #[error("option {name} is {value}, it should be {expected}")]
    BadOption {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// The kernel asked for does not run on this processor.
    #[error("the {0} kernel does not run on this processor; use the automatic choice")]
    KernelUnavailable(Kernel),
    /// Region and masks leave nothing to measure (SSIM only; the pixel
    /// comparison simply compares nothing).
    #[error("the region lies outside the frames: there is nothing to measure")]
    EmptyArea,
    /// image-compare failed.
    #[error("SSIM could not be computed: {0}")]
    Ssim(String),
}

/// Compares two frames and returns the counts and boxes of pixelmatch.
///
/// # Errors
///
/// Frames of different sizes, a buffer of the wrong length, an option out
/// of range, or a kernel this processor lacks.
///
/// # Example
///
/// ```
/// use trajectory::diff::{self, Options};
/// use trajectory::Frame;
///
/// let before = Frame::filled(64, 48, 0xFFFFFF);
/// let mut pixels = before.data().to_vec();
/// pixels[..4].copy_from_slice(&[0, 0, 0, 0]); // a black pixel, top left
/// let after = Frame::from_bgrx(64, 48, pixels)?;
///
/// let c = diff::compare(before.as_ref(), after.as_ref(), &Options::default())?;
/// assert_eq!((c.differing, c.compared), (1, 64 * 48));
/// assert_eq!(c.boxes, [trajectory::model::Rect::new(0, 0, 1, 1)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compare(
    a: FrameRef<'_>,
    b: FrameRef<'_>,
    options: &Options,
) -> Result<Comparison, DiffError> {
    let job = Job::new(&a, &b, options)?;
    let parts = job.split(options.threads);
    let tallies = run_all(parts, |rows| {
        let mut tally = Tally::new(job.p.width, job.p.height);
        let _ = kernel::drive(job.engine, &job.pair, &job.p, &job.area, rows, &mut tally);
        tally
    });
    Ok(job.finish(tallies))
}

/// Like [`compare`], and also draws pixelmatch's diff image (RGBA, the
/// size of the frames): the first frame faded by `alpha`, differing pixels
/// in the diff colours, anti-aliased ones in the aa colour. With
/// `diff_mask`, only the differing pixels, over transparency.
///
/// Pixels outside the region or under a mask are drawn like unchanged
/// ones.
///
/// # Errors
///
/// As [`compare`].
pub fn compare_with_image(
    a: FrameRef<'_>,
    b: FrameRef<'_>,
    options: &Options,
) -> Result<(Comparison, Frame), DiffError> {
    let job = Job::new(&a, &b, options)?;
    let (w, h) = (job.p.width, job.p.height);
    let palette = Palette {
        aa: options.aa_color,
        diff: options.diff_color,
        darker: options.diff_color_alt.unwrap_or(options.diff_color),
        skip_aa: options.diff_mask,
    };

    // Each thread paints its own rows; the background covers all rows,
    // compared or not, so the first and last part reach the image's edges.
    let mut out = vec![0u8; w * h * 4];
    let parts = job.split(options.threads);
    let mut tasks: Vec<(usize, Range<usize>, &mut [u8])> = Vec::new();
    let mut rest: &mut [u8] = &mut out;
    let mut from = 0;
    for (n, part) in parts.iter().enumerate() {
        let to = if n + 1 == parts.len() { h } else { part.end };
        let (mine, tail) = rest.split_at_mut((to - from) * w * 4);
        tasks.push((from, part.clone(), mine));
        rest = tail;
        from = to;
    }
    let tallies = run_all(tasks, |(first_row, rows, slice)| {
        if !options.diff_mask {
            let (first, alpha) = (first_row * w, options.alpha);
            match job.pair.la {
                PixelLayout::Bgrx => image::fade(Bgrx(job.pair.a), first, alpha, slice),
                PixelLayout::Rgba => image::fade(Rgba(job.pair.a), first, alpha, slice),
            }
        }
        let mut painter = Painter::new(w, h, palette, slice, first_row);
        let _ = kernel::drive(job.engine, &job.pair, &job.p, &job.area, rows, &mut painter);
        painter.tally
    });
    let comparison = job.finish(tallies);
    let image = Frame::from_rgba(w as u32, h as u32, out).expect("the image has w * h * 4 bytes");
    Ok((comparison, image))
}

/// Whether the frames match within `tolerance` (a count of differing
/// pixels, or a fraction of the compared ones). Stops at the first pixel
/// over the limit, or as soon as the pixels left could not reach it.
///
/// # Errors
///
/// As [`compare`].
pub fn decide(
    a: FrameRef<'_>,
    b: FrameRef<'_>,
    options: &Options,
    tolerance: Tolerance,
) -> Result<Decision, DiffError> {
    let job = Job::new(&a, &b, options)?;
    let mut limit = Limit::new(tolerance.max_pixels(job.area.compared()));
    let rows = job.area.rows();
    let _ = kernel::drive(job.engine, &job.pair, &job.p, &job.area, rows, &mut limit);
    Ok(if limit.exceeded() {
        Decision::Mismatch
    } else {
        Decision::Match
    })
}

/// Checks that two frames can be compared.
fn check_pair(a: &FrameRef<'_>, b: &FrameRef<'_>) -> Result<(), DiffError> {
    for (which, f) in [("first", a), ("second", b)] {
        // Sizes whose byte count does not fit in memory cannot match a
        // buffer either.
        let expected = (f.width as usize)
            .checked_mul(f.height as usize)
            .and_then(|n| n.checked_mul(4))
            .unwrap_or(usize::MAX);
        if f.data.len() != expected {
            return Err(DiffError::BufferSize {
                which,
                width: f.width,
                height: f.height,
                expected,
                found: f.data.len(),
            });
        }
    }
    if (a.width, a.height) != (b.width, b.height) {
        return Err(DiffError::SizeMismatch {
            first: (a.width, a.height),
            second: (b.width, b.height),
        });
    }
    Ok(())
}

/// Everything a comparison needs, checked.
struct Job<'a> {
    pair: Pair<'a>,
    p: Params,
    area: Area,
    engine: Engine,
}

impl<'a> Job<'a> {
    fn new(a: &FrameRef<'a>, b: &FrameRef<'a>, options: &Options) -> Result<Job<'a>, DiffError> {
        check_pair(a, b)?;
        for (name, value) in [("threshold", options.threshold), ("alpha", options.alpha)] {
            if !(0.0..=1.0).contains(&value) {
                return Err(DiffError::BadOption {
                    name,
                    value,
                    expected: "a number from 0 to 1",
                });
            }
        }
        let pair = Pair {
            a: a.data,
            b: b.data,
            la: a.layout,
            lb: b.layout,
        };
        let engine = Engine::select(options.kernel, &pair)
            .ok_or(DiffError::KernelUnavailable(options.kernel))?;
        Ok(Job {
            pair,
            p: Params {
                width: a.width as usize,
                height: a.height as usize,
                max_delta: metric::max_delta(options.threshold),
                include_aa: options.include_aa,
                checkerboard: options.checkerboard,
            },
            area: Area::new(a.width, a.height, options.region, &options.masks),
            engine,
        })
    }

    /// The compared rows cut into `threads` parts of about equal size, each
    /// at least 16 rows tall.
    fn split(&self, threads: usize) -> Vec<Range<usize>> {
        const MIN_ROWS: usize = 16;
        let rows = self.area.rows();
        let n = threads.min(rows.len() / MIN_ROWS).max(1);
        let step = rows.len().div_ceil(n).max(1);
        let mut parts: Vec<Range<usize>> = rows
            .clone()
            .step_by(step)
            .map(|s| s..(s + step).min(rows.end))
            .collect();
        if parts.is_empty() {
            parts.push(rows);
        }
        parts
    }

    fn finish(&self, tallies: Vec<Tally>) -> Comparison {
        let mut total = Tally::new(self.p.width, self.p.height);
        for t in &tallies {
            total.merge(t);
        }
        Comparison {
            width: self.p.width as u32,
            height: self.p.height as u32,
            compared: self.area.compared(),
            differing: total.differing,
            anti_aliased: total.anti_aliased,
            boxes: total.tiles.boxes(),
        }
    }
}

/// Runs `work` on each task, on scoped threads when there is more than
/// one.
fn run_all<I: Send, R: Send>(tasks: Vec<I>, work: impl Fn(I) -> R + Sync) -> Vec<R> {
    if tasks.len() <= 1 {
        return tasks.into_iter().map(work).collect();
    }
    let work = &work;
    std::thread::scope(|s| {
        let handles: Vec<_> = tasks
            .into_iter()
            .map(|task| s.spawn(move || work(task)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Frame, Frame) {
        let a = Frame::filled(20, 10, 0xFFFFFF);
        let mut px = a.data().to_vec();
        for x in 3..6 {
            px[(4 * 20 + x) * 4..(4 * 20 + x) * 4 + 3].fill(0);
        }
        (a, Frame::from_bgrx(20, 10, px).unwrap())
    }

    #[test]
    fn a_short_buffer_is_an_error_not_a_panic() {
        let data = vec![0u8; 10];
        let short = FrameRef {
            width: 4,
            height: 4,
            layout: PixelLayout::Rgba,
            data: &data,
        };
        let err = compare(short, short, &Options::default()).unwrap_err();
        assert!(
            matches!(
                err,
                DiffError::BufferSize {
                    expected: 64,
                    found: 10,
                    ..
                }
            ),
            "{err}"
        );
        let huge = FrameRef {
            width: u32::MAX,
            height: u32::MAX,
            ..short
        };
        assert!(compare(huge, huge, &Options::default()).is_err());
    }

    #[test]
    fn options_out_of_range_are_refused() {
        let (a, b) = pair();
        for (threshold, alpha) in [(1.5, 0.1), (-0.1, 0.1), (f64::NAN, 0.1), (0.1, 2.0)] {
            let o = Options {
                threshold,
                alpha,
                ..Options::default()
            };
            let err = compare(a.as_ref(), b.as_ref(), &o).unwrap_err();
            assert!(matches!(err, DiffError::BadOption { .. }), "{err}");
        }
    }

    #[test]
    fn region_and_masks_choose_the_judged_pixels() {
        let (a, b) = pair();
        let c = compare(a.as_ref(), b.as_ref(), &Options::default()).unwrap();
        assert_eq!((c.differing, c.compared), (3, 200));
        assert_eq!(c.boxes, [Rect::new(3, 4, 3, 1)]);

        let masked = Options {
            masks: vec![Rect::new(4, 0, 1, 10)],
            ..Options::default()
        };
        let c = compare(a.as_ref(), b.as_ref(), &masked).unwrap();
        assert_eq!((c.differing, c.compared), (2, 190));

        let elsewhere = Options {
            region: Some(Rect::new(10, 0, 10, 10)),
            ..Options::default()
        };
        let c = compare(a.as_ref(), b.as_ref(), &elsewhere).unwrap();
        assert_eq!((c.differing, c.compared), (0, 100));
        assert!(c.boxes.is_empty());
    }

    #[test]
    fn decide_answers_like_compare() {
        let (a, b) = pair();
        let o = Options::default();
        let decide = |t| decide(a.as_ref(), b.as_ref(), &o, t).unwrap();
        assert_eq!(decide(Tolerance::Pixels(3)), Decision::Match);
        assert_eq!(decide(Tolerance::Pixels(2)), Decision::Mismatch);
        assert_eq!(decide(Tolerance::Ratio(0.015)), Decision::Match);
        assert_eq!(decide(Tolerance::Ratio(0.01)), Decision::Mismatch);
    }

    #[test]
    fn the_diff_image_covers_the_whole_frame_on_every_thread_count() {
        let (a, b) = pair();
        let one = compare_with_image(a.as_ref(), b.as_ref(), &Options::default()).unwrap();
        let o = Options {
            threads: 3,
            region: Some(Rect::new(0, 2, 20, 8)),
            ..Options::default()
        };
        let three = compare_with_image(a.as_ref(), b.as_ref(), &o).unwrap();
        assert_eq!(one.1, three.1);
        assert_eq!(
            one.1.data()[(4 * 20 + 3) * 4..(4 * 20 + 3) * 4 + 4],
            [255, 0, 0, 255]
        );
    }
}
