//! The recorder engine: device events and screen captures in, steps with
//! their frames out.
//!
//! [`record`] records a live X display into a trajectory file until the
//! stop key, a stop flag (Ctrl-C) or a duration ends it. Its parts:
//!
//! - [`gesture`]: the [`Recognizer`](gesture::Recognizer) that turns input
//!   events into actions;
//! - `capture`: captures the screen whenever it changes and hands over
//!   only what changed;
//! - `timeline`: keeps the captures pending actions may still need, and
//!   no more;
//! - `session`: the main loop's logic: stop and pause keys, secrets, the
//!   frame of each step;
//! - `volatile`: finds the places that change on their own, proposed as
//!   masks;
//! - `encode`: the thread that compresses frames and writes the file;
//! - `recorder`: the threads put together.
//!
//! A step's frame is the last screen captured before its action's server
//! time: never one taken after the action took effect.

mod capture;
mod encode;
mod error;
pub mod gesture;
mod recorder;
mod session;
mod stats;
mod time;
mod timeline;
mod volatile;

pub use capture::MIN_CAPTURE_INTERVAL;
pub use encode::QUEUE_STEPS;
pub use error::RecordError;
pub use recorder::{EndReason, MAX_IN_FLIGHT, Options, Progress, Report, TICK, record};
pub use session::{CAPTURE_GRACE, EVENT_GRACE, HELD_BUDGET};
pub use stats::{Samples, Stats, Summary as Timings, process_cpu_time};
pub use volatile::{CELL, MIN_QUIET_CHANGES, MIN_QUIET_PERIODS, QUIET_AFTER_INPUT};
