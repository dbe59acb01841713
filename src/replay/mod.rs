//! The replay engine: re-executes a trajectory on a live screen, acting only
//! once the screen matches each step's recorded frame.

pub mod plan;
pub mod report;
pub mod suite;
pub mod vars;
