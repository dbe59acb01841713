//! The recorder engine: device events and screen captures in, steps with
//! their frames out.

pub mod gesture;
