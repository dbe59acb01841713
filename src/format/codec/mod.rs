//! Frame coding (spec §7): turns a stream of screens into compact payloads
//! and back, losslessly.
//!
//! Frames form a stream cut into *chains*. A chain starts with a keyframe,
//! which decodes on its own; each later frame of the chain is a *delta*
//! that decodes only right after the frame before it. The encoder decides
//! where chains start, so that decoding any frame (its keyframe plus the
//! deltas up to it) stays cheap.
//!
//! A delta splits the screen into 16x16 tiles and says for each one whether
//! it stayed, moved (a scrolled page, a moved window: found by a motion
//! search over content-defined anchors and copied from the previous frame
//! at an offset),
//! changed a little (XOR against its prediction) or is new (literal
//! pixels). The bytes of all frames of a chain go through one zstd stream,
//! so that new pixels are also matched against everything coded since the
//! keyframe.
//!
//! ```
//! use trajectory::Frame;
//! use trajectory::format::codec::{Decoder, Encoder};
//!
//! let a = Frame::filled(64, 48, 0x336699);
//! let b = Frame::filled(64, 48, 0x336699 ^ 1);
//! let mut enc = Encoder::new(64, 48);
//! let (ea, eb) = (enc.encode(a.as_ref()), enc.encode(b.as_ref()));
//! assert!(ea.key && !eb.key);
//!
//! let mut dec = Decoder::new(64, 48);
//! assert_eq!(dec.decode(ea.key, &ea.payload)?, &a);
//! assert_eq!(dec.decode(eb.key, &eb.payload)?, &b);
//! # Ok::<(), trajectory::format::codec::CodecError>(())
//! ```

mod cost;
mod decode;
mod encode;
mod error;
mod layout;
mod motion;
mod sections;
mod stream;
mod tiles;

pub use decode::Decoder;
pub use encode::Encoder;
pub use error::CodecError;
pub use layout::{MAX_SIDE, TILE};

/// A coded frame, as stored in a frame record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Whether the frame decodes on its own (a keyframe, spec §7.2).
    pub key: bool,
    /// Whether the frame is a refresh (spec §7.2): it decodes right after
    /// the chain's keyframe, so a reader that wants it or a later frame
    /// may skip the frames between the keyframe and it. Never set
    /// together with `key`.
    pub refresh: bool,
    /// The coded bytes (spec §7.3).
    pub payload: Vec<u8>,
}

#[cfg(test)]
mod tests;
