//! The visual checkpoint: wait until the live screen matches a step's
//! frame, inside the compared area and outside the masks, within the
//! step's tolerance.
//!
//! The loop captures the screen and decides ([`diff::decide`], which stops
//! as soon as the answer is certain). On a mismatch it sleeps until the
//! display reports a change ([`Screen::wait_for_change`], DAMAGE on X11),
//! never on a fixed poll rate, and captures again. A change that lies
//! wholly outside the compared area cannot change the answer, and is not
//! compared again. With `stable` N, the match must hold over N captures in
//! a row, at least [`STABLE_GAP`] apart (a screen that reports no change
//! for that long counts as captured again, unchanged).
//!
//! Waits are cut into slices of at most [`SLICE`] so that a stop (Ctrl-C,
//! the application exiting) is noticed promptly; a slice that ends without
//! a change captures nothing.

#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use crate::diff::{self, Decision, DiffError, Options};
use crate::frame::{Frame, FrameRef};
use crate::model::Rect;
use crate::screen::{Screen, ScreenError};

use super::plan::StepCheck;

/// The longest a checkpoint sleeps before it asks whether to stop.
pub const SLICE: Duration = Duration::from_millis(50);

/// The least time between two captures that count towards `stable`.
pub const STABLE_GAP: Duration = Duration::from_millis(100);

/// Why a checkpoint could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The screen could not be captured or watched.
    #[error(transparent)]
    Screen(#[from] ScreenError),
    /// The frames could not be compared (a recorded frame of another size
    /// than the screen, a threshold out of range).
    #[error("comparing the screen with the recorded frame: {0}")]
    Diff(#[from] DiffError),
}

/// How a checkpoint ended.
#[derive(Debug)]
pub enum Checked<S> {
    /// The screen matched.
    Matched {
        /// From the start of the checkpoint to the match.
        waited: Duration,
        /// Captures taken.
        captures: u32,
    },
    /// The timeout passed without a match; `actual` is the last capture.
    TimedOut {
        waited: Duration,
        captures: u32,
        actual: Frame,
    },
    /// The caller asked to stop, with its reason.
    Stopped(S),
}

/// The diff options of a resolved checkpoint.
pub fn diff_options(check: &StepCheck) -> Options {
    Options {
        threshold: check.threshold,
        include_aa: check.include_aa,
        region: Some(check.area),
        masks: check.masks.clone(),
        ..Options::default()
    }
}

/// One poll: captures the screen and decides whether it matches
/// `expected`. The cost of this call is the cost of a checkpoint on a
/// screen that already matches.
///
/// # Errors
///
/// When the screen cannot be captured or the frames cannot be compared.
pub fn poll<S: Screen + ?Sized>(
    screen: &mut S,
    expected: FrameRef<'_>,
    check: &StepCheck,
    options: &Options,
) -> Result<Decision, CheckError> {
    let capture = screen.capture()?;
    Ok(diff::decide(
        expected,
        capture.frame,
        options,
        check.tolerance,
    )?)
}

/// Waits until the screen matches `expected` as `check` says, for at most
/// `timeout`. `stop` is asked between waits; when it returns a reason, the
/// checkpoint ends with it.
///
/// # Errors
///
/// When the screen cannot be captured or watched, or the frames cannot be
/// compared.
pub fn wait_for_match<S: Screen + ?Sized, R>(
    screen: &mut S,
    expected: FrameRef<'_>,
    check: &StepCheck,
    timeout: Duration,
    stop: &mut dyn FnMut() -> Option<R>,
) -> Result<Checked<R>, CheckError> {
    let options = diff_options(check);
    let start = Instant::now();
    let deadline = start + timeout;
    let mut captures = 0u32;
    let mut in_a_row = 0u32;
    let mut last: Option<Decision> = None;

    loop {
        if let Some(reason) = stop() {
            return Ok(Checked::Stopped(reason));
        }
        let capture = screen.capture()?;
        captures += 1;
        // Pixels outside the area cannot change the answer.
        let decision = match last {
            Some(d) if !capture.changed.iter().any(|r| overlaps(r, &check.area)) => d,
            _ => diff::decide(expected, capture.frame, &options, check.tolerance)?,
        };
        last = Some(decision);

        let now = Instant::now();
        if decision == Decision::Match {
            in_a_row += 1;
        } else {
            in_a_row = 0;
        }
        if in_a_row >= check.stable {
            return Ok(Checked::Matched {
                waited: now - start,
                captures,
            });
        }
        if now >= deadline {
            let actual = capture.frame.to_frame();
            return Ok(Checked::TimedOut {
                waited: now - start,
                captures,
                actual,
            });
        }

        if decision == Decision::Mismatch {
            if let Wake::Stopped(reason) = wait_change(screen, deadline, stop)? {
                return Ok(Checked::Stopped(reason));
            }
            continue;
        }
        // A match that must prove stable: each STABLE_GAP without a change
        // counts as one more matching capture; a change is captured and
        // compared.
        loop {
            let until = (Instant::now() + STABLE_GAP).min(deadline);
            match wait_change(screen, until, stop)? {
                Wake::Changed => break,
                Wake::Stopped(reason) => return Ok(Checked::Stopped(reason)),
                Wake::Deadline if Instant::now() >= deadline => break,
                Wake::Deadline => {
                    in_a_row += 1;
                    if in_a_row >= check.stable {
                        return Ok(Checked::Matched {
                            waited: start.elapsed(),
                            captures,
                        });
                    }
                }
            }
        }
    }
}

enum Wake<R> {
    Changed,
    Deadline,
    Stopped(R),
}

/// Sleeps until the screen changes or `until` passes, in slices, asking
/// `stop` after each.
fn wait_change<S: Screen + ?Sized, R>(
    screen: &mut S,
    until: Instant,
    stop: &mut dyn FnMut() -> Option<R>,
) -> Result<Wake<R>, CheckError> {
    loop {
        let Some(left) = until.checked_duration_since(Instant::now()) else {
            return Ok(Wake::Deadline);
        };
        if left.is_zero() {
            return Ok(Wake::Deadline);
        }
        if screen.wait_for_change(left.min(SLICE))?.is_some() {
            return Ok(Wake::Changed);
        }
        if let Some(reason) = stop() {
            return Ok(Wake::Stopped(reason));
        }
    }
}

fn overlaps(a: &Rect, b: &Rect) -> bool {
    let (ax1, ay1) = (
        i64::from(a.x) + i64::from(a.width),
        i64::from(a.y) + i64::from(a.height),
    );
    let (bx1, by1) = (
        i64::from(b.x) + i64::from(b.width),
        i64::from(b.y) + i64::from(b.height),
    );
    i64::from(a.x) < bx1 && i64::from(b.x) < ax1 && i64::from(a.y) < by1 && i64::from(b.y) < ay1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Tolerance;
    use crate::screen::FakeScreen;

    fn grey(level: u8) -> Frame {
        Frame::filled(8, 6, u32::from_be_bytes([0, level, level, level]))
    }

    /// `grey(0)` with one white pixel at (x, y).
    fn dot(x: usize, y: usize) -> Frame {
        let mut data = grey(0).into_data();
        data[(y * 8 + x) * 4..][..3].copy_from_slice(&[255; 3]);
        Frame::from_bgrx(8, 6, data).unwrap()
    }

    fn check() -> StepCheck {
        StepCheck {
            area: Rect::new(0, 0, 8, 6),
            masks: vec![],
            threshold: 0.1,
            include_aa: false,
            tolerance: Tolerance::Pixels(0),
            timeout: Duration::from_secs(5),
            stable: 1,
        }
    }

    fn never() -> Option<()> {
        None
    }

    #[test]
    fn a_matching_screen_passes_on_the_first_capture() {
        let mut screen = FakeScreen::new(grey(0));
        let r = wait_for_match(
            &mut screen,
            grey(0).as_ref(),
            &check(),
            Duration::from_secs(5),
            &mut never,
        )
        .unwrap();
        assert!(matches!(r, Checked::Matched { captures: 1, .. }), "{r:?}");
        assert_eq!(screen.waits(), 0);
    }

    #[test]
    fn a_mismatch_waits_for_changes_and_captures_only_after_one() {
        let mut screen = FakeScreen::new(grey(0));
        screen.then(grey(1)).then(dot(3, 3));
        let r = wait_for_match(
            &mut screen,
            dot(3, 3).as_ref(),
            &check(),
            Duration::from_secs(5),
            &mut never,
        )
        .unwrap();
        assert!(matches!(r, Checked::Matched { captures: 3, .. }), "{r:?}");
        assert_eq!(screen.waits(), 2);
    }

    #[test]
    fn a_timeout_keeps_the_last_capture() {
        let mut screen = FakeScreen::new(grey(0));
        let r = wait_for_match(
            &mut screen,
            dot(1, 1).as_ref(),
            &check(),
            Duration::from_millis(120),
            &mut never,
        )
        .unwrap();
        let Checked::TimedOut {
            waited,
            captures,
            actual,
        } = r
        else {
            panic!("{r:?}")
        };
        assert!(waited >= Duration::from_millis(120));
        assert_eq!(captures, 2, "one at the start, one at the deadline");
        assert_eq!(actual, grey(0));
    }

    #[test]
    fn masked_and_tolerated_differences_match() {
        let mut screen = FakeScreen::new(dot(2, 2));
        let mut c = check();
        c.masks = vec![Rect::new(2, 2, 1, 1)];
        let r = wait_for_match(
            &mut screen,
            grey(0).as_ref(),
            &c,
            Duration::ZERO,
            &mut never,
        );
        assert!(matches!(r, Ok(Checked::Matched { .. })));

        let mut c = check();
        c.tolerance = Tolerance::Pixels(1);
        let r = wait_for_match(
            &mut screen,
            grey(0).as_ref(),
            &c,
            Duration::ZERO,
            &mut never,
        );
        assert!(matches!(r, Ok(Checked::Matched { .. })));

        let r = wait_for_match(
            &mut screen,
            grey(0).as_ref(),
            &check(),
            Duration::ZERO,
            &mut never,
        );
        assert!(matches!(r, Ok(Checked::TimedOut { .. })));
    }

    #[test]
    fn changes_outside_the_area_are_not_compared_again() {
        let mut screen = FakeScreen::new(grey(0));
        // The area is the left half; a change on the right wakes the
        // checkpoint but cannot turn its mismatch into a match.
        screen.then(dot(7, 0));
        let mut c = check();
        c.area = Rect::new(0, 0, 4, 6);
        let r = wait_for_match(
            &mut screen,
            dot(1, 1).as_ref(),
            &c,
            Duration::from_millis(150),
            &mut never,
        )
        .unwrap();
        assert!(matches!(r, Checked::TimedOut { .. }), "{r:?}");
        assert!(screen.captures() >= 2);
    }

    #[test]
    fn stable_needs_the_match_to_hold() {
        let mut screen = FakeScreen::new(grey(0));
        let mut c = check();
        c.stable = 3;
        let start = Instant::now();
        let r = wait_for_match(
            &mut screen,
            grey(0).as_ref(),
            &c,
            Duration::from_secs(5),
            &mut never,
        )
        .unwrap();
        assert!(matches!(r, Checked::Matched { .. }), "{r:?}");
        assert!(start.elapsed() >= STABLE_GAP * 2);

        // A screen that flickers away breaks the run of matches.
        let mut screen = FakeScreen::new(grey(0));
        screen.then(grey(200)).then(grey(0));
        c.stable = 2;
        let r = wait_for_match(
            &mut screen,
            grey(0).as_ref(),
            &c,
            Duration::from_secs(5),
            &mut never,
        )
        .unwrap();
        let Checked::Matched { captures, .. } = r else {
            panic!("{r:?}")
        };
        assert_eq!(captures, 3, "match, flicker, match again, then it held");
    }

    #[test]
    fn a_stop_ends_the_wait() {
        let mut screen = FakeScreen::new(grey(0));
        let mut asked = 0;
        let r = wait_for_match(
            &mut screen,
            dot(1, 1).as_ref(),
            &check(),
            Duration::from_secs(60),
            &mut || {
                asked += 1;
                (asked > 2).then_some("interrupted")
            },
        )
        .unwrap();
        assert!(matches!(r, Checked::Stopped("interrupted")), "{r:?}");
    }

    #[test]
    fn rectangles_overlap_only_when_they_share_a_pixel() {
        let a = Rect::new(0, 0, 4, 4);
        assert!(overlaps(&a, &Rect::new(3, 3, 4, 4)));
        assert!(!overlaps(&a, &Rect::new(4, 0, 4, 4)));
        assert!(!overlaps(&a, &Rect::new(0, 4, 4, 4)));
    }
}
