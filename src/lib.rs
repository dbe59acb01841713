//! `trajectory` records desktop sessions on X11 and replays them with visual
//! checkpoints.
//!
//! A trajectory is a header plus steps ([`model`]); each step is an action
//! with the frame the screen showed right before it. The [`format`] module
//! reads and writes `.traj` files, [`diff`] compares two frames the way
//! pixelmatch does, [`screen`] and [`input`] talk to the X server, and
//! [`record`] and [`replay`] are the engines behind the command-line verbs.
//!
//! Data flows one way: the recorder turns X events and screen captures into
//! model values and hands them to the format writer; the replayer reads
//! model values from the format reader, drives input and screen, and asks
//! the diff whether a checkpoint holds. The diff knows nothing of files or
//! X, the format nothing of X or diffs.

pub mod diff;
pub mod format;
pub mod frame;
pub mod headless;
pub mod input;
pub mod model;
pub mod record;
pub mod screen;

pub use frame::{Frame, FrameRef, PixelLayout};
