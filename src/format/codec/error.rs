//! Why a frame payload could not be decoded. Every variant names what the
//! specification (`formats/trajectory-v1.md` §7) expects and what the
//! payload held instead.

#![forbid(unsafe_code)]

/// A frame payload that does not follow spec §7, or a decoder used against
/// it.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The frame size is outside what §7.1 allows.
    #[error(
        "frame size {width}x{height} is outside spec §7.1 (each side 1 to {max} pixels); \
         the file's header is corrupt or was not written by trajectory"
    )]
    Geometry { width: u32, height: u32, max: u32 },

    /// A delta came first, or after a payload that failed to decode.
    #[error(
        "a delta frame came without the keyframe it depends on (spec §7.2): decode the \
         chain from its keyframe, in order"
    )]
    NoKeyframe,

    /// The zstd stream of the chain (§7.3) is damaged.
    #[error(
        "frame payload is not a valid continuation of the chain's zstd stream (spec §7.3): {0}"
    )]
    Zstd(String),

    /// The zstd stream stopped making progress before the payload ended.
    #[error(
        "frame payload has {unread} bytes that the chain's zstd stream (spec §7.3) does not \
         take; the payload is truncated or corrupt"
    )]
    Stalled { unread: usize },

    /// The body decodes to more bytes than any valid body of this size can
    /// have.
    #[error(
        "frame body is longer than the {max} bytes a {width}x{height} frame allows \
         (spec §7.4); the payload is corrupt"
    )]
    BodyTooLong { width: u32, height: u32, max: usize },

    /// The body's kind byte disagrees with the container's key flag.
    #[error(
        "frame body has kind {found}, the frame record says {expected} (spec §7.4: 0 keyframe, \
         1 delta)"
    )]
    Kind { expected: u8, found: u8 },

    /// The body stops before a field it must have.
    #[error(
        "frame body ends at byte {found} inside {field}, which needs {expected} bytes (spec §7.4)"
    )]
    Truncated {
        field: &'static str,
        expected: usize,
        found: usize,
    },

    /// The body has bytes after its last field.
    #[error("frame body has {found} bytes, its tile modes call for {expected} (spec §7.5)")]
    Length { expected: usize, found: usize },

    /// The payload's flags byte is not one §7.3 allows here.
    #[error(
        "frame payload has flags {found:#04x}; spec §7.3 allows 0, or 1 (refresh) on a frame \
         that is not a keyframe (this one is {}a keyframe)",
        if *key { "" } else { "not " }
    )]
    Flags { key: bool, found: u8 },

    /// The payload declares a main part longer than itself.
    #[error(
        "frame payload declares a main part of {declared} bytes but has only {available} \
         after the length (spec §7.3); the payload is truncated or corrupt"
    )]
    MainLength { declared: usize, available: usize },

    /// The photo stream's part yields a different number of bytes than the
    /// body's predicted tiles call for.
    #[error(
        "frame payload's photo part holds {found} bytes of predicted planes, the body's \
         predicted tiles call for {expected} (spec §7.3, §7.5)"
    )]
    PhotoLength { expected: usize, found: usize },

    /// A mode byte names no operation.
    #[error("tile {tile} has mode {found}, spec §7.5 defines modes 0 to 5")]
    Mode { tile: usize, found: u8 },

    /// A keyframe tile refers to a frame before it.
    #[error(
        "keyframe tile {tile} has mode {found}, a keyframe has only literal (1) and predicted \
         (4) tiles (spec §7.4)"
    )]
    KeyMode { tile: usize, found: u8 },

    /// A tile names a motion vector the body does not list.
    #[error("tile {tile} uses motion vector {found}, the body lists {count} (spec §7.5)")]
    VectorIndex {
        tile: usize,
        found: usize,
        count: usize,
    },

    /// A tile copies from outside the previous frame.
    #[error(
        "tile {tile} at ({x}, {y}) moved by ({dx}, {dy}) reads outside the \
         {width}x{height} frame (spec §7.5)"
    )]
    VectorOutside {
        tile: usize,
        x: u32,
        y: u32,
        dx: i32,
        dy: i32,
        width: u32,
        height: u32,
    },
}
