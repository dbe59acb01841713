//! The `.traj` file format, version 1 (`formats/trajectory-v1.md`).
//!
//! A file is a 12-byte head (magic and version, §2) followed by records
//! (§3), each a four-byte type, a length, a checksum and a payload: the
//! header (`HEAD`), frames (`FRAM`) and steps (`STEP`) as they are
//! recorded, then a trailer (`INDX` and `TAIL`) that makes opening one read
//! at the end of the file (§6.1). A file without a trailer opens by
//! scanning its records (§6.3).
//!
//! [`Writer`] writes a file as it is recorded; [`Reader`] opens one and
//! decodes its frames on demand; [`scan_file`] and [`write_recovered`]
//! rebuild a file whose trailer is missing. The [`codec`] turns screens
//! into frame payloads and back (§7).

#![forbid(unsafe_code)]

pub mod codec;
mod error;
mod hash;
mod index;
mod payload;
mod reader;
pub mod record;
mod repair;
mod scan;
mod writer;

pub use error::Error;
pub use hash::frame_hash;
pub use index::FrameEntry;
pub use reader::{Opened, Reader, Stats};
pub use record::{Tag, Version};
pub use repair::{scan_file, write_recovered};
pub use scan::{Recovery, Scanned};
pub use writer::{Summary, Writer, partial_path};
