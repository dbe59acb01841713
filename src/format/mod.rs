//! The `.traj` file format, version 1 (`formats/trajectory-v1.md`).

pub mod codec;
