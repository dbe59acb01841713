//! Errors of the file format: I/O, format violations (each naming the
//! offset where it was found and the spec section it breaks), limits, and
//! mistakes of the caller.

use std::io;
use std::path::PathBuf;

use super::codec::CodecError;
use super::record::{MAGIC, MAX_RECORD_LEN, Tag, VERSION_MAJOR};
use crate::model::{FrameId, ScreenGeometry};

/// Everything that can go wrong reading or writing a `.traj` file.
///
/// Messages name the offset, step or frame concerned and the section of
/// `formats/trajectory-v1.md` (§N) that a file breaks. They do not name the
/// file: callers know the path and add it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused a read or a write.
    #[error("{doing}")]
    Io {
        /// What was being done, for example "reading the record at offset 12".
        doing: String,
        source: io::Error,
    },

    /// The file is shorter than its head.
    #[error(
        "the file is {len} bytes long, shorter than the 12-byte file head (§2): \
         it is not a trajectory file, or it was cut before anything was written"
    )]
    TooShort { len: u64 },

    /// The file does not start with the magic bytes.
    #[error(
        "not a trajectory file: at offset 0 it has {}, a trajectory file starts with {} (§2)",
        hex(found), hex(&MAGIC)
    )]
    Magic { found: [u8; 8] },

    /// The file is of a major version this reader does not know.
    #[error(
        "the file is format version {major}.{minor}, this trajectory {} reads version {}.x (§8){}",
        env!("CARGO_PKG_VERSION"), VERSION_MAJOR,
        if *major > VERSION_MAJOR { ": install a newer trajectory to read it" } else { "" }
    )]
    Version { major: u16, minor: u16 },

    /// A record declares a length over the limit, checked before anything
    /// is allocated for it.
    #[error(
        "the {tag} record at offset {offset} declares {len} bytes, over the limit of {} (§3.3): \
         the file is damaged",
        MAX_RECORD_LEN
    )]
    TooLong { offset: u64, tag: Tag, len: u32 },

    /// A record runs past the end of the file.
    #[error(
        "the record at offset {offset} needs {needed} bytes up to offset {}, but the file ends \
         at {file_len} (§3): the file was cut short; `trajectory repair` keeps what comes before",
        offset + needed
    )]
    Truncated {
        offset: u64,
        needed: u64,
        file_len: u64,
    },

    /// A record's checksum does not match its contents.
    #[error(
        "the {tag} record at offset {offset} is damaged: it stores the checksum {stored:08x}, \
         its bytes give {computed:08x} (§3.2)"
    )]
    Checksum {
        offset: u64,
        tag: Tag,
        stored: u32,
        computed: u32,
    },

    /// A record's checksum holds but its contents break the spec.
    #[error("the {tag} record at offset {offset} is malformed: {problem}")]
    Malformed {
        offset: u64,
        tag: Tag,
        /// What was expected and what was found, with the section (§N).
        problem: String,
    },

    /// A structured record is not the MessagePack the spec describes.
    #[error("the {tag} record at offset {offset} does not decode as a {what} (§5)")]
    Decode {
        offset: u64,
        tag: Tag,
        what: &'static str,
        source: rmp_serde::decode::Error,
    },

    /// The trailer exists but cannot be trusted.
    #[error(
        "the trailer is damaged: {problem} (§6.1); `trajectory repair` rebuilds it from the records"
    )]
    Trailer { problem: String },

    /// Scanning found records but no header before the first bad one.
    #[error(
        "no header (HEAD) record before offset {scanned_to} (§6.3): nothing in the file can be read"
    )]
    NoHeader { scanned_to: u64 },

    /// The header's screen is outside the limits of §9.
    #[error(
        "the screen {width}x{height} is outside the limits of v1 (§9): width and height from 1 \
         to {}, at most {} pixels",
        super::record::MAX_SIDE,
        super::record::MAX_PIXELS
    )]
    Geometry { width: u32, height: u32 },

    /// A step names a frame the file does not hold.
    #[error("step {step} refers to frame {frame}, but the file holds {frames} frames before it")]
    StepFrame {
        step: usize,
        frame: FrameId,
        frames: usize,
    },

    /// A frame was asked for that the file does not hold.
    #[error("there is no frame {frame}: the file holds {frames} frames")]
    NoFrame { frame: FrameId, frames: usize },

    /// A frame's payload does not decode.
    #[error("frame {frame} (record at offset {offset}) does not decode (§7)")]
    Codec {
        frame: FrameId,
        offset: u64,
        source: CodecError,
    },

    /// A frame pushed to the writer is not of the header's size.
    #[error("the frame is {width}x{height}, the trajectory's screen is {screen}")]
    FrameSize {
        width: u32,
        height: u32,
        screen: ScreenGeometry,
    },

    /// A frame pushed to the writer has a buffer of the wrong length.
    #[error(
        "the frame's buffer has {found} bytes, a frame of the trajectory's screen has {expected}"
    )]
    FrameBuffer { expected: usize, found: usize },

    /// A replacement header changes the screen after frames were written.
    #[error(
        "a new header may not change the screen from {old} to {new}: the frames are coded for {old}"
    )]
    ScreenChanged {
        old: ScreenGeometry,
        new: ScreenGeometry,
    },

    /// A record would be over the length limit.
    #[error(
        "a {tag} record of {len} bytes would be over the limit of {} (§3.3)",
        MAX_RECORD_LEN
    )]
    RecordTooLarge { tag: Tag, len: usize },

    /// A partial file from an earlier recording is in the way.
    #[error(
        "{} already exists: it is what an interrupted recording left; recover it with \
         `trajectory repair {}`, or delete it",
        path.display(), path.display()
    )]
    PartialExists { path: PathBuf },

    /// An earlier write failed; the writer accepts nothing more.
    #[error(
        "an earlier write failed ({cause}); {} keeps every record before it: \
         recover it with `trajectory repair {}`",
        partial.display(), partial.display()
    )]
    WriterFailed { cause: String, partial: PathBuf },
}

impl Error {
    /// Wraps an I/O error with what was being done.
    pub(crate) fn io(doing: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
        let doing = doing.into();
        move |source| Error::Io { doing, source }
    }

    /// The offset in the file the error was found at, if it concerns one
    /// place.
    pub fn offset(&self) -> Option<u64> {
        match *self {
            Error::TooLong { offset, .. }
            | Error::Truncated { offset, .. }
            | Error::Checksum { offset, .. }
            | Error::Malformed { offset, .. }
            | Error::Decode { offset, .. }
            | Error::Codec { offset, .. } => Some(offset),
            Error::Magic { .. } | Error::Version { .. } => Some(0),
            _ => None,
        }
    }
}

/// Bytes as spaced hex, the way the spec writes them.
fn hex(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(" ")
}
