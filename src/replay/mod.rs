//! The replay engine: re-executes a trajectory on a live screen, acting only
//! once the screen matches each step's recorded frame.
//!
//! - [`plan`] resolves each step's checkpoint (header, step, command line)
//!   and the pacing; [`actions`] checks and performs actions; [`vars`]
//!   supplies `${NAME}` values.
//! - [`checkpoint`] waits for the screen to match a frame; [`engine`] runs
//!   the steps, writes failure images, and releases held input whatever
//!   ends the run.
//! - [`preflight`] compares the live display with the recording before the
//!   first action; [`report`] writes `report.json` and JUnit; [`suite`]
//!   shares files among CI machines.
//!
//! ```no_run
//! use trajectory::format::Reader;
//! use trajectory::input::XTestInjector;
//! use trajectory::replay::engine::{self, Plan, Quiet, Settings};
//! use trajectory::replay::plan::CheckOverrides;
//! use trajectory::replay::vars::Vars;
//! use trajectory::screen::X11Screen;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut file = Reader::open("login.traj".as_ref())?;
//! let header = file.header().clone();
//! let steps = file.steps().to_vec();
//! let plan = Plan::new(&header, &steps, &CheckOverrides::default(), Vars::default())?;
//! let mut screen = X11Screen::open(Some(":7"))?;
//! let mut input = XTestInjector::connect(Some(":7"))?;
//! let ran = engine::run(&plan, &mut file, &mut screen, &mut input, &Settings::default(), &mut Quiet);
//! println!("{:?}: {} of {} steps", ran.status, ran.passed_steps, steps.len());
//! # Ok(())
//! # }
//! ```

pub mod actions;
pub mod checkpoint;
pub mod engine;
pub mod plan;
pub mod preflight;
pub mod report;
pub mod suite;
pub mod vars;
