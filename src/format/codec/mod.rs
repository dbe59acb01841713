//! Frame coding (spec §7): turns a stream of screens into compact payloads
//! and back, losslessly.
//!
//! Frames form a stream cut into *chains*. A chain starts with a keyframe,
//! which decodes on its own; each later frame of the chain is a *delta*,
//! coded against the frame before it, or a *refresh*, coded against the
//! keyframe. A frame so decodes from its keyframe, its last refresh and
//! the deltas since; the encoder places keyframes and refreshes so that
//! this path stays cheap to decode.
//!
//! A frame splits the screen into 16x16 tiles and says for each one
//! whether it stayed, moved (a scrolled page, a moved window: found by a
//! motion search over content-defined anchors and copied at an offset),
//! changed a little (XOR against its prediction), shows again what the
//! keyframe showed (recall), or is new: literal colour planes for screen
//! content, residuals of a pixel predictor for photographs. Main bodies
//! go through one zstd stream from a keyframe or refresh on, so that new
//! pixels are also matched against everything coded since; predicted
//! residuals go through a zstd frame of their own.
//!
//! ```
//! use trajectory::Frame;
//! use trajectory::format::codec::{Decoder, Encoder};
//!
//! let a = Frame::filled(64, 48, 0x336699);
//! // A pointer-sized mark on it: a small change, coded as a delta.
//! let mut pixels = a.data().to_vec();
//! pixels[..16].copy_from_slice(&[0xFF; 16]);
//! let b = Frame::from_bgrx(64, 48, pixels).unwrap();
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

/// Whether a coded frame's payload is a refresh (spec §7.2, §7.3), as
/// its flags byte says. A reader that reads the records between a frame's
/// keyframe and the frame can so find the last refresh among them and
/// decode only the keyframe and the frames from that refresh on.
pub fn is_refresh(payload: &[u8]) -> bool {
    payload.first() == Some(&layout::FLAG_REFRESH)
}

#[cfg(test)]
mod tests;
