//! A recording of a live X display, on its threads.
//!
//! - The listener thread ([`Listener`]) streams input events through RECORD;
//!   a small thread forwards them to the main loop.
//! - The capture thread waits for DAMAGE, captures, and hands over the
//!   areas that changed ([`CaptureLoop`]). It never waits for the encoder;
//!   when the main loop falls more than [`MAX_IN_FLIGHT`] captures behind,
//!   it stops capturing until it catches up (the damage adds up in the
//!   server meanwhile, so nothing is lost but intermediate screens).
//! - The encoder thread owns the file ([`Encoder`]).
//! - The calling thread runs the [`Session`]: it drives the recognizer,
//!   chooses frames, watches for the stop conditions and reports progress.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::ConnectionExt as _;

use super::RecordError;
use super::capture::{CaptureLoop, CaptureStats, Captured};
use super::encode::Encoder;
use super::gesture::Settings;
use super::session::{Control, Session, SessionOptions};
use super::stats::{Samples, Stats, process_cpu_time};
use crate::format::{Summary, Writer};
use crate::input::{InputEvent, KeyCombo, Listener};
use crate::model::{Header, ProposedMask, ScreenGeometry};
use crate::screen::{ScreenError, X11Screen};

/// How often the main loop lets time pass when nothing arrives.
pub const TICK: Duration = Duration::from_millis(20);

/// Captures the main loop may be behind before the capture thread waits.
pub const MAX_IN_FLIGHT: usize = 32;

/// How long the shutdown waits for the threads to hand over what they
/// have.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// How to record.
#[derive(Debug, Clone)]
pub struct Options {
    /// The display (`None`: the `DISPLAY` variable).
    pub display: Option<String>,
    /// The file to write.
    pub output: PathBuf,
    /// Replace `output` if it exists (once the new file is finished).
    pub force: bool,
    /// The header's title.
    pub title: Option<String>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// The key combination that stops the recording (not recorded).
    pub stop_key: KeyCombo,
    /// The key combination that pauses and resumes it (not recorded).
    pub pause_key: KeyCombo,
    /// Variables the next typed texts stand for, in order.
    pub secrets: Vec<String>,
    /// The gesture recognizer's thresholds.
    pub settings: Settings,
}

/// Why a recording ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndReason {
    /// The stop key was pressed.
    StopKey,
    /// The caller's stop flag was raised (Ctrl-C, SIGTERM).
    Stopped,
    /// The duration passed.
    Duration,
    /// The display failed mid-recording (it closed, or changed size); the
    /// file holds what came before.
    DisplayFailed(String),
}

/// What a recording tells its caller as it goes.
#[derive(Debug, Clone)]
pub enum Progress<'a> {
    /// Recording has started: input is listened to, the screen captured.
    Started {
        display: &'a str,
        screen: ScreenGeometry,
        file: &'a std::path::Path,
    },
    /// Now and then, and whenever pausing changes.
    Running {
        steps: usize,
        paused: bool,
        elapsed: Duration,
    },
}

/// A finished recording.
#[derive(Debug, Clone)]
pub struct Report {
    /// The file written.
    pub summary: Summary,
    /// How long the recording ran.
    pub duration: Duration,
    pub ended_by: EndReason,
    /// Places that changed on their own, written to the header.
    pub proposed_masks: Vec<ProposedMask>,
    /// The header's variables.
    pub variables: Vec<String>,
    pub stats: Stats,
}

enum Msg {
    Input(InputEvent),
    Capture(Captured),
    CaptureFailed(ScreenError),
}

/// Records the display until the stop key, `stop`, or the duration ends
/// it; reports progress through `progress`.
///
/// # Errors
///
/// When the output exists (without `force`), the display cannot be
/// captured or listened to, or the file cannot be written. A display that
/// fails during the recording is not an error: the file is finished with
/// what came before, and [`Report::ended_by`] says why.
pub fn record(
    options: &Options,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Report, RecordError> {
    if options.output.exists() && !options.force {
        return Err(RecordError::OutputExists {
            path: options.output.clone(),
        });
    }
    let screen = X11Screen::open(options.display.as_deref())?;
    let display = screen.display().to_string();
    let environment = screen.environment()?;
    let pointer = pointer_position(&display)?;

    let mut header = Header::new(environment.screen);
    environment.fill_header(&mut header);
    header.title = options.title.clone();
    header.variables = options.secrets.clone();
    let writer = Writer::create(&options.output, &header)?;

    let (capture_loop, first) = match CaptureLoop::start(screen) {
        Ok(started) => started,
        Err(e) => {
            let _ = writer.abandon();
            return Err(e.into());
        }
    };
    let started = Instant::now();
    let cpu_at_start = process_cpu_time();
    // Listening starts after the first capture, so that every event has a
    // screen from before it.
    let (listener, events) = match Listener::start(Some(&display)) {
        Ok(l) => l,
        Err(e) => {
            let _ = writer.abandon();
            return Err(e.into());
        }
    };
    let encoder = Encoder::start(writer)?;

    let (tx, rx) = mpsc::channel::<Msg>();
    let forwarder = forward_events(events, tx.clone())?;
    let capture_stop = Arc::new(AtomicBool::new(false));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let capture = spawn_capture(
        capture_loop,
        tx,
        Arc::clone(&capture_stop),
        Arc::clone(&in_flight),
    )?;

    let session_options = SessionOptions {
        settings: options.settings,
        stop_key: options.stop_key.clone(),
        pause_key: options.pause_key.clone(),
        secrets: options.secrets.clone(),
    };
    let mut session = Session::new(session_options, first, pointer, started, encoder)?;
    progress(Progress::Started {
        display: &display,
        screen: header.screen,
        file: &options.output,
    });

    let mut lag = Samples::default();
    let mut ended_by = None;
    let mut last_tick = Instant::now();
    let mut failed = None;
    while ended_by.is_none() {
        let msg = rx.recv_timeout(TICK);
        let now = Instant::now();
        match msg {
            Ok(Msg::Input(event)) => match session.input(event, now) {
                Control::Continue => {}
                Control::Stop => ended_by = Some(EndReason::StopKey),
                Control::Paused(paused) => {
                    log::info!("{}", if paused { "paused" } else { "resumed" });
                    progress(Progress::Running {
                        steps: session.steps(),
                        paused,
                        elapsed: started.elapsed(),
                    });
                }
            },
            Ok(Msg::Capture(c)) => {
                in_flight.fetch_sub(1, Ordering::Relaxed);
                session.capture(c, now);
            }
            Ok(Msg::CaptureFailed(e)) => {
                log::error!("the display failed; finishing the file with what came before: {e}");
                ended_by = Some(EndReason::DisplayFailed(e.to_string()));
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                ended_by = Some(EndReason::DisplayFailed(
                    "the input listener and the capture thread both ended".into(),
                ));
            }
        }
        if stop.load(Ordering::Relaxed) {
            ended_by.get_or_insert(EndReason::Stopped);
        }
        if options.duration.is_some_and(|d| started.elapsed() >= d) {
            ended_by.get_or_insert(EndReason::Duration);
        }
        if now.duration_since(last_tick) >= TICK {
            last_tick = now;
            lag.push(listener.lag());
            if let Err(e) = session.tick(now) {
                failed = Some(e);
                break;
            }
            progress(Progress::Running {
                steps: session.steps(),
                paused: session.paused(),
                elapsed: started.elapsed(),
            });
        }
    }
    let duration = started.elapsed();

    // Stop the sources and take in what they still hold: the events up to
    // now (after the stop key, none is recorded) and the captures.
    capture_stop.store(true, Ordering::Relaxed);
    if let Err(e) = listener.stop() {
        log::warn!("{e}");
    }
    let stop_key_pressed = ended_by == Some(EndReason::StopKey);
    let mut after_stop_key = stop_key_pressed;
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Msg::Input(event)) if !after_stop_key => {
                if session.input(event, Instant::now()) == Control::Stop {
                    after_stop_key = true;
                }
            }
            Ok(Msg::Input(_)) => {}
            Ok(Msg::Capture(c)) => session.capture(c, Instant::now()),
            Ok(Msg::CaptureFailed(e)) => log::debug!("capture after the stop: {e}"),
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                log::warn!("the recorder's threads did not end within {DRAIN_TIMEOUT:?}");
                break;
            }
        }
    }
    let capture_stats = join(capture, "capture").unwrap_or_default();
    let _ = forwarder.join();

    let outcome = session.finish(Instant::now());
    let outcome = match (outcome, failed) {
        (_, Some(e)) | (Err(e), None) => return Err(e),
        (Ok(o), None) => o,
    };
    let new_header = (!outcome.proposed_masks.is_empty()).then(|| Header {
        proposed_masks: outcome.proposed_masks.clone(),
        ..header.clone()
    });
    let queue_peak = outcome.sink.queue_peak();
    let finished = outcome.sink.finish(new_header)?;
    if outcome.early_frames > 0 {
        log::debug!(
            "{} steps started before the oldest capture held",
            outcome.early_frames
        );
    }

    let stats = Stats {
        captures: capture_stats.captures + 1,
        unchanged_captures: capture_stats.unchanged,
        capture_latency: capture_stats.latency.summary(),
        capture_time: capture_stats.capture_time.summary(),
        listener_lag: lag.summary(),
        encoder_queue_peak: queue_peak,
        encode_time: finished.encode_time.summary(),
        held_bytes_peak: outcome.held_bytes_peak,
        cpu_seconds: process_cpu_time()
            .saturating_sub(cpu_at_start)
            .as_secs_f64(),
    };
    Ok(Report {
        summary: finished.summary,
        duration,
        ended_by: ended_by.unwrap_or(EndReason::Stopped),
        proposed_masks: outcome.proposed_masks,
        variables: options.secrets.clone(),
        stats,
    })
}

/// Where the pointer is, for the recognizer to start from.
fn pointer_position(display: &str) -> Result<(i32, i32), RecordError> {
    let fail = |reason: String| RecordError::Pointer {
        display: display.to_string(),
        reason,
    };
    let (conn, screen) = x11rb::connect(Some(display)).map_err(|e| fail(e.to_string()))?;
    let root = conn.setup().roots[screen].root;
    let reply = conn
        .query_pointer(root)
        .map_err(|e| fail(e.to_string()))?
        .reply()
        .map_err(|e| fail(e.to_string()))?;
    Ok((i32::from(reply.root_x), i32::from(reply.root_y)))
}

/// Moves the listener's events into the main loop's channel until the
/// listener ends.
fn forward_events(
    events: mpsc::Receiver<InputEvent>,
    tx: mpsc::Sender<Msg>,
) -> Result<JoinHandle<()>, RecordError> {
    std::thread::Builder::new()
        .name("record-input".into())
        .spawn(move || {
            for event in events {
                if tx.send(Msg::Input(event)).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| RecordError::Thread {
            what: "input",
            reason: e.to_string(),
        })
}

fn spawn_capture(
    mut lp: CaptureLoop<X11Screen>,
    tx: mpsc::Sender<Msg>,
    stop: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
) -> Result<JoinHandle<CaptureStats>, RecordError> {
    std::thread::Builder::new()
        .name("record-capture".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if in_flight.load(Ordering::Relaxed) >= MAX_IN_FLIGHT {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                match lp.next(Duration::from_millis(100)) {
                    Ok(Some(c)) => {
                        in_flight.fetch_add(1, Ordering::Relaxed);
                        if tx.send(Msg::Capture(c)).is_err() {
                            break;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        let _ = tx.send(Msg::CaptureFailed(e));
                        break;
                    }
                }
            }
            lp.stats
        })
        .map_err(|e| RecordError::Thread {
            what: "capture",
            reason: e.to_string(),
        })
}

fn join<T>(handle: JoinHandle<T>, what: &str) -> Option<T> {
    handle
        .join()
        .map_err(|_| log::error!("the recorder's {what} thread panicked"))
        .ok()
}
