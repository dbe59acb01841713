//! The encoding side of a recording: a thread that owns the file
//! [`Writer`], compresses each step's frame and writes the step, so that
//! capturing never waits for compression.
//!
//! Steps reach it through a bounded queue. When the queue is full (the
//! encoder cannot keep up with a burst of steps), the recorder says so on
//! stderr and waits for room: it neither grows without limit nor drops a
//! step.

#![forbid(unsafe_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Instant;

use super::RecordError;
use super::stats::Samples;
use crate::format::{Summary, Writer};
use crate::frame::Frame;
use crate::model::{FrameId, Header, Step};

/// Steps the queue holds before the recorder waits (a new frame is up to
/// 8 MB at 1080p).
pub const QUEUE_STEPS: usize = 16;

/// A step's frame, as the encoder receives it.
#[derive(Debug)]
pub(crate) enum FrameJob {
    /// A screen to store (the writer still stores an identical screen
    /// once).
    New(Frame),
    /// The same capture as the step before.
    Same,
}

/// Where the recorder puts its steps: the encoder, or a list in tests.
pub(crate) trait StepSink {
    /// Takes a step (its `frame` field is filled in by the sink) and its
    /// frame.
    fn push(&mut self, step: Step, frame: FrameJob) -> Result<(), RecordError>;
}

enum Job {
    Step(Step, FrameJob),
    Finish(Option<Header>),
}

/// What the encoding thread hands back at the end.
pub(crate) struct Finished {
    pub summary: Summary,
    pub encode_time: Samples,
}

/// The encoding thread and the queue to it.
pub(crate) struct Encoder {
    tx: SyncSender<Job>,
    thread: Option<JoinHandle<Result<Finished, RecordError>>>,
    queued: Arc<AtomicUsize>,
    peak: usize,
}

impl Encoder {
    /// Starts the thread, which writes to `writer`.
    pub(crate) fn start(writer: Writer) -> Result<Encoder, RecordError> {
        let (tx, rx) = mpsc::sync_channel::<Job>(QUEUE_STEPS);
        let queued = Arc::new(AtomicUsize::new(0));
        let q = Arc::clone(&queued);
        let thread = std::thread::Builder::new()
            .name("record-encoder".into())
            .spawn(move || encode(writer, &rx, &q))
            .map_err(|e| RecordError::Thread {
                what: "encoder",
                reason: e.to_string(),
            })?;
        Ok(Encoder {
            tx,
            thread: Some(thread),
            queued,
            peak: 0,
        })
    }

    /// The most steps that waited in the queue at once.
    pub(crate) fn queue_peak(&self) -> usize {
        self.peak
    }

    /// Writes the new header (when there is one), the trailer, and gives
    /// the file its name.
    pub(crate) fn finish(mut self, header: Option<Header>) -> Result<Finished, RecordError> {
        // A thread that ended early has its error waiting in `join`.
        let _ = self.tx.send(Job::Finish(header));
        self.join()
    }

    fn join(&mut self) -> Result<Finished, RecordError> {
        let thread = self.thread.take().ok_or(RecordError::Thread {
            what: "encoder",
            reason: "it was already stopped".into(),
        })?;
        thread.join().unwrap_or_else(|_| {
            Err(RecordError::Thread {
                what: "encoder",
                reason: "it panicked".into(),
            })
        })
    }

    fn send(&mut self, job: Job) -> Result<(), RecordError> {
        let waiting = self.queued.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak = self.peak.max(waiting);
        let job = match self.tx.try_send(job) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(job)) => job,
            Err(TrySendError::Disconnected(_)) => return Err(self.failure()),
        };
        let since = Instant::now();
        log::warn!(
            "encoding is {QUEUE_STEPS} steps behind; the recorder waits for it (input and \
             screen changes are kept meanwhile)"
        );
        if self.tx.send(job).is_err() {
            return Err(self.failure());
        }
        log::warn!("encoding caught up after {:.1?}", since.elapsed());
        Ok(())
    }

    /// The error that ended the thread.
    fn failure(&mut self) -> RecordError {
        match self.join() {
            Err(e) => e,
            Ok(_) => RecordError::Thread {
                what: "encoder",
                reason: "it ended before the recording did".into(),
            },
        }
    }
}

impl StepSink for Encoder {
    fn push(&mut self, step: Step, frame: FrameJob) -> Result<(), RecordError> {
        self.send(Job::Step(step, frame))
    }
}

/// The thread: pushes each step's frame (when new) and the step.
fn encode(
    mut writer: Writer,
    rx: &mpsc::Receiver<Job>,
    queued: &AtomicUsize,
) -> Result<Finished, RecordError> {
    let mut last: Option<FrameId> = None;
    let mut encode_time = Samples::default();
    for job in rx.iter() {
        queued.fetch_sub(1, Ordering::Relaxed);
        match job {
            Job::Step(mut step, frame) => {
                let began = Instant::now();
                let id = match (frame, last) {
                    (FrameJob::Same, Some(id)) => id,
                    (FrameJob::New(f), _) => writer.push_frame(f.as_ref())?,
                    (FrameJob::Same, None) => {
                        return Err(RecordError::Thread {
                            what: "encoder",
                            reason: "a step reused a frame before any was stored".into(),
                        });
                    }
                };
                last = Some(id);
                step.frame = id;
                writer.push_step(&step)?;
                encode_time.push(began.elapsed());
            }
            Job::Finish(header) => {
                if let Some(h) = header {
                    writer.set_header(&h)?;
                }
                let summary = writer.finish()?;
                return Ok(Finished {
                    summary,
                    encode_time,
                });
            }
        }
    }
    Err(RecordError::Thread {
        what: "encoder",
        reason: "the recorder went away without finishing the file".into(),
    })
}

/// Steps kept in memory, for the session's unit tests.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct StepList {
    pub steps: Vec<(Step, Option<Frame>)>,
}

#[cfg(test)]
impl StepSink for StepList {
    fn push(&mut self, step: Step, frame: FrameJob) -> Result<(), RecordError> {
        let frame = match frame {
            FrameJob::New(f) => Some(f),
            FrameJob::Same => None,
        };
        self.steps.push((step, frame));
        Ok(())
    }
}
