//! The run: for each step, wait for the recorded screen, then act.
//!
//! [`run`] is generic over the screen, the input and where frames come
//! from, so that its rules are unit-tested with [`FakeScreen`] and
//! [`RecordingInjector`]:
//!
//! - An action is injected only after its step's checkpoint matched. A
//!   checkpoint that times out leaves `step-N-expected.png`,
//!   `step-N-actual.png` and `step-N-diff.png` in the report directory and
//!   a [`Failure`] in the result; the run stops there, or with
//!   [`Settings::keep_going`] skips that step's action and goes on with the
//!   next step.
//! - [`Observer::mismatch`] may repair the state (a person, a script, an
//!   agent); when it says so, the checkpoint is tried again, with its full
//!   timeout, up to [`Settings::max_retries`] times.
//! - Pacing: the step's wait for its gap after the previous action
//!   ([`Pacing::gap`]) comes before its checkpoint, so that the screen is
//!   checked right before the action and the application draws meanwhile.
//! - Whatever ends the run (the last step, a failure, a stop, an error),
//!   every key and button still held is released.
//!
//! [`FakeScreen`]: crate::screen::FakeScreen
//! [`RecordingInjector`]: crate::input::RecordingInjector

#![forbid(unsafe_code)]

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::diff;
use crate::format::{self, Reader};
use crate::frame::{Frame, FrameRef};
use crate::input::{InjectError, Injector};
use crate::model::{FrameId, Header, Step};
use crate::screen::Screen;

use super::actions::{self, ActionError, PerformError, Prepared};
use super::checkpoint::{self, CheckError, Checked, SLICE};
use super::plan::{CheckOverrides, Pacing, StepCheck};
use super::report::{Failure, Status, artefact_paths};
use super::vars::Vars;

/// Where the recorded frames come from: a trajectory file, or frames in
/// memory.
pub trait Frames {
    /// The frame `id`, decoded.
    ///
    /// # Errors
    ///
    /// When it does not exist or cannot be decoded.
    fn frame(&mut self, id: FrameId) -> Result<&Frame, format::Error>;
}

impl<R: Read + Seek> Frames for Reader<R> {
    fn frame(&mut self, id: FrameId) -> Result<&Frame, format::Error> {
        Reader::frame(self, id)
    }
}

impl Frames for Vec<Frame> {
    fn frame(&mut self, id: FrameId) -> Result<&Frame, format::Error> {
        let frames = self.len();
        self.get(id as usize)
            .ok_or(format::Error::NoFrame { frame: id, frames })
    }
}

/// One step, ready to run.
#[derive(Debug, Clone)]
pub struct PlannedStep {
    /// When the step happened in the recording.
    pub at_us: u64,
    /// The frame its checkpoint expects.
    pub frame: FrameId,
    /// Its checkpoint.
    pub check: StepCheck,
    /// Its action.
    pub action: Prepared,
    /// The action as `show` prints it (variables by name only).
    pub description: String,
}

/// Everything a run does, worked out and checked before the first action.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The steps, in order.
    pub steps: Vec<PlannedStep>,
    /// Values of the variables typed.
    pub vars: Vars,
}

impl Plan {
    /// Resolves every step's checkpoint and prepares every action.
    ///
    /// # Errors
    ///
    /// The first action that cannot be replayed (an unknown key name, a
    /// point off the screen), naming its step.
    pub fn new(
        header: &Header,
        steps: &[Step],
        overrides: &CheckOverrides,
        vars: Vars,
    ) -> Result<Plan, ActionError> {
        let steps = steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                Ok(PlannedStep {
                    at_us: step.at_us,
                    frame: step.frame,
                    check: StepCheck::resolve(header, step, overrides),
                    action: actions::prepare(i, &step.action, header.screen)?,
                    description: step.action.to_string(),
                })
            })
            .collect::<Result<_, ActionError>>()?;
        Ok(Plan { steps, vars })
    }
}

/// How a run behaves, beyond the checkpoints.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How actions are spaced in time.
    pub pacing: Pacing,
    /// `--continue`: after a failed checkpoint, skip that step's action
    /// and go on with the next step instead of stopping.
    pub keep_going: bool,
    /// Where failure images go.
    pub report_dir: PathBuf,
    /// The first checkpoint waits at least this long: it also waits for
    /// the application under test to start.
    pub first_timeout: Option<Duration>,
    /// How many times [`Observer::mismatch`] may have a checkpoint tried
    /// again.
    pub max_retries: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            pacing: Pacing::ASAP,
            keep_going: false,
            report_dir: PathBuf::from("."),
            first_timeout: None,
            max_retries: 10,
        }
    }
}

/// Why a run was told to stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// The environment broke down (the application under test exited);
    /// the run ends with this error.
    Broken(String),
}

/// What the run tells its observer as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// Step `step` of `total` starts: its gap, then its checkpoint.
    Checking {
        step: usize,
        total: usize,
        description: &'a str,
    },
    /// Its checkpoint matched.
    Matched { step: usize, waited: Duration },
    /// Its checkpoint failed; the images are written.
    Failed(&'a Failure),
    /// Its action was injected.
    Acted { step: usize },
}

/// Watches a run and steers it: may stop it, and may repair the state
/// after a failed checkpoint.
pub trait Observer {
    /// Asked between waits: `Some` ends the run.
    fn stop(&mut self) -> Option<Stop> {
        None
    }

    /// Told what happens.
    fn event(&mut self, _event: Event<'_>) {}

    /// A checkpoint failed (attempt 1 is the first failure of this step);
    /// `true` tries it again.
    fn mismatch(&mut self, _failure: &Failure, _attempt: u32) -> bool {
        false
    }
}

/// An observer that never stops or repairs anything.
#[derive(Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// A failure to carry out the run (as opposed to a checkpoint that did
/// not match).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The screen could not be captured, or frames not compared.
    #[error("step {step}: checkpoint: {source}")]
    Check {
        step: usize,
        #[source]
        source: CheckError,
    },
    /// Input could not be injected.
    #[error("step {step}: {source}")]
    Inject {
        step: usize,
        #[source]
        source: InjectError,
    },
    /// The step's recorded frame could not be read.
    #[error("step {step}: reading frame {frame}: {source}")]
    Frame {
        step: usize,
        frame: FrameId,
        #[source]
        source: format::Error,
    },
    /// A failure image could not be written.
    #[error("writing {}: {source}", path.display())]
    Artefact {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The environment broke down while the run waited.
    #[error("step {step}: {reason}")]
    Broken { step: usize, reason: String },
}

/// How one checkpoint went, for the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckpointTime {
    /// Step index.
    pub step: usize,
    /// From the end of the step's gap to the match or the failure.
    pub waited_ms: u64,
    /// Screen captures taken.
    pub captures: u32,
    /// Whether it matched (in the end, after any repair).
    pub matched: bool,
}

/// What a run did.
#[derive(Debug)]
pub struct Ran {
    /// How it ended: passed, failed or interrupted; `Error` when `error`
    /// is set.
    pub status: Status,
    /// Steps whose checkpoint matched.
    pub passed_steps: usize,
    /// Actions injected.
    pub actions_injected: usize,
    /// Failed checkpoints, in order, repaired ones included.
    pub failures: Vec<Failure>,
    /// Every checkpoint's wait.
    pub checkpoints: Vec<CheckpointTime>,
    /// From the start of the run to the release of held input.
    pub duration: Duration,
    /// What stopped the run, when it could not be carried out.
    pub error: Option<RunError>,
}

/// Replays `plan` on `screen` through `injector`, with frames from
/// `frames`. Never returns with input held down.
pub fn run<F, S, I>(
    plan: &Plan,
    frames: &mut F,
    screen: &mut S,
    injector: &mut I,
    settings: &Settings,
    observer: &mut dyn Observer,
) -> Ran
where
    F: Frames + ?Sized,
    S: Screen + ?Sized,
    I: Injector + ?Sized,
{
    let start = Instant::now();
    let mut ran = Ran {
        status: Status::Passed,
        passed_steps: 0,
        actions_injected: 0,
        failures: Vec::new(),
        checkpoints: Vec::new(),
        duration: Duration::ZERO,
        error: None,
    };
    let result = steps(plan, frames, screen, injector, settings, observer, &mut ran);

    // Whatever happened, nothing stays held.
    let released = injector.release_all();
    match result {
        Ok(status) => ran.status = status,
        Err(e) => {
            ran.status = Status::Error;
            ran.error = Some(e);
        }
    }
    if let Err(e) = released {
        log::warn!("releasing held keys and buttons: {e}");
    }
    ran.duration = start.elapsed();
    ran
}

fn steps<F, S, I>(
    plan: &Plan,
    frames: &mut F,
    screen: &mut S,
    injector: &mut I,
    settings: &Settings,
    observer: &mut dyn Observer,
    ran: &mut Ran,
) -> Result<Status, RunError>
where
    F: Frames + ?Sized,
    S: Screen + ?Sized,
    I: Injector + ?Sized,
{
    let total = plan.steps.len();
    let mut failed = false;
    // When the last injected action started, and its step's recorded time.
    let mut previous: Option<(Instant, u64)> = None;

    for (index, step) in plan.steps.iter().enumerate() {
        observer.event(Event::Checking {
            step: index,
            total,
            description: &step.description,
        });
        if let Some((acted, at_us)) = previous {
            let gap = settings.pacing.gap(at_us, step.at_us);
            match sleep_until(acted + gap, observer) {
                None => {}
                Some(Stop::Interrupted) => return Ok(Status::Interrupted),
                Some(Stop::Broken(reason)) => {
                    return Err(RunError::Broken {
                        step: index,
                        reason,
                    });
                }
            }
        }

        let expected = frames.frame(step.frame).map_err(|source| RunError::Frame {
            step: index,
            frame: step.frame,
            source,
        })?;
        let timeout = match settings.first_timeout {
            Some(t) if index == 0 => step.check.timeout.max(t),
            _ => step.check.timeout,
        };

        let mut attempt = 0;
        let matched = loop {
            let checked = checkpoint::wait_for_match(
                screen,
                expected.as_ref(),
                &step.check,
                timeout,
                &mut || observer.stop(),
            )
            .map_err(|source| RunError::Check {
                step: index,
                source,
            })?;
            match checked {
                Checked::Matched { waited, captures } => {
                    ran.checkpoints.push(CheckpointTime {
                        step: index,
                        waited_ms: millis(waited),
                        captures,
                        matched: true,
                    });
                    observer.event(Event::Matched {
                        step: index,
                        waited,
                    });
                    break true;
                }
                Checked::TimedOut {
                    waited,
                    captures,
                    actual,
                } => {
                    let failure = failure(
                        index,
                        step,
                        expected.as_ref(),
                        actual.as_ref(),
                        waited,
                        &settings.report_dir,
                    )?;
                    observer.event(Event::Failed(&failure));
                    attempt += 1;
                    let retry =
                        attempt <= settings.max_retries && observer.mismatch(&failure, attempt);
                    ran.failures.push(Failure {
                        repaired: retry,
                        ..failure
                    });
                    if !retry {
                        ran.checkpoints.push(CheckpointTime {
                            step: index,
                            waited_ms: millis(waited),
                            captures,
                            matched: false,
                        });
                        break false;
                    }
                }
                Checked::Stopped(Stop::Interrupted) => return Ok(Status::Interrupted),
                Checked::Stopped(Stop::Broken(reason)) => {
                    return Err(RunError::Broken {
                        step: index,
                        reason,
                    });
                }
            }
        };
        if !matched {
            failed = true;
            if settings.keep_going {
                continue;
            }
            return Ok(Status::Failed);
        }
        ran.passed_steps += 1;

        previous = Some((Instant::now(), step.at_us));
        let mut interrupted = None;
        let performed = actions::perform(
            &step.action,
            injector,
            &plan.vars,
            settings.pacing,
            &mut |until| {
                interrupted = sleep_until(until, observer);
                interrupted.is_none()
            },
        );
        match performed {
            Ok(()) => {}
            Err(PerformError::Stopped) => {
                return match interrupted {
                    Some(Stop::Broken(reason)) => Err(RunError::Broken {
                        step: index,
                        reason,
                    }),
                    _ => Ok(Status::Interrupted),
                };
            }
            Err(PerformError::Inject(source)) => {
                return Err(RunError::Inject {
                    step: index,
                    source,
                });
            }
        }
        ran.actions_injected += 1;
        observer.event(Event::Acted { step: index });
    }
    Ok(if failed {
        Status::Failed
    } else {
        Status::Passed
    })
}

/// Sleeps until `until` in slices, asking the observer whether to stop.
fn sleep_until(until: Instant, observer: &mut dyn Observer) -> Option<Stop> {
    loop {
        if let Some(stop) = observer.stop() {
            return Some(stop);
        }
        let left = until.checked_duration_since(Instant::now())?;
        if left.is_zero() {
            return None;
        }
        std::thread::sleep(left.min(SLICE));
    }
}

/// Compares the failed checkpoint's frames in full, writes the three
/// images, and describes the failure.
fn failure(
    index: usize,
    step: &PlannedStep,
    expected: FrameRef<'_>,
    actual: FrameRef<'_>,
    waited: Duration,
    dir: &Path,
) -> Result<Failure, RunError> {
    let check = &step.check;
    let mut options = checkpoint::diff_options(check);
    options.threads = std::thread::available_parallelism().map_or(1, usize::from);
    let (comparison, diff_image) =
        diff::compare_with_image(expected, actual, &options).map_err(|e| RunError::Check {
            step: index,
            source: e.into(),
        })?;

    let [expected_path, actual_path, diff_path] = artefact_paths(dir, index);
    for (path, image) in [
        (&expected_path, expected),
        (&actual_path, actual),
        (&diff_path, diff_image.as_ref()),
    ] {
        write_png(path, image).map_err(|source| RunError::Artefact {
            path: path.clone(),
            source,
        })?;
    }

    Ok(Failure {
        step: index,
        action: step.description.clone(),
        waited_ms: millis(waited),
        differing_pixels: comparison.differing,
        compared_pixels: comparison.compared,
        ratio: comparison.ratio(),
        anti_aliased_pixels: comparison.anti_aliased,
        tolerance: check.tolerance.to_string(),
        area: check.area,
        masks: check.masks.clone(),
        boxes: comparison.boxes,
        expected: expected_path,
        actual: actual_path,
        diff: diff_path,
        repaired: false,
    })
}

/// Writes a PNG whole or not at all. Fast compression: these images are
/// written while a person or CI waits.
pub fn write_png(path: &Path, image: FrameRef<'_>) -> std::io::Result<()> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};

    let (color, pixels): (image::ExtendedColorType, std::borrow::Cow<'_, [u8]>) = match image.layout
    {
        crate::frame::PixelLayout::Bgrx => {
            let mut rgb = Vec::with_capacity(image.data.len() / 4 * 3);
            for px in image.data.chunks_exact(4) {
                rgb.extend_from_slice(&[px[2], px[1], px[0]]);
            }
            (image::ExtendedColorType::Rgb8, rgb.into())
        }
        crate::frame::PixelLayout::Rgba => (image::ExtendedColorType::Rgba8, image.data.into()),
    };
    let mut bytes = Vec::new();
    PngEncoder::new_with_quality(&mut bytes, CompressionType::Fast, FilterType::Adaptive)
        .write_image(&pixels, image.width, image.height, color)
        .map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(path, &bytes)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
