//! Frame coding (spec §7): turns a stream of screens into compact payloads
//! and back, losslessly.
//!
//! Frames form a stream. A keyframe decodes on its own; any other frame
//! decodes only after the frames before it, back to its keyframe, have
//! been decoded in order. The encoder decides where keyframes go.
//!
//! This first version codes every frame as a keyframe: the blue, green and
//! red bytes of each pixel, compressed with zstd.

use crate::frame::{Frame, FrameRef, PixelLayout};

/// A coded frame, as stored in a frame record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Whether the frame decodes on its own.
    pub key: bool,
    /// The coded bytes.
    pub payload: Vec<u8>,
}

/// Why a payload could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("frame payload is not valid zstd data: {0}")]
    Zstd(std::io::Error),
    #[error("frame payload decodes to {found} bytes, a {width}x{height} frame has {expected}")]
    Size {
        width: u32,
        height: u32,
        expected: usize,
        found: usize,
    },
    #[error("a delta frame came without the keyframe it depends on")]
    NoKeyframe,
}

/// Codes the frames of one stream, in order.
pub struct Encoder {
    width: u32,
    height: u32,
    bgr: Vec<u8>,
}

impl Encoder {
    /// An encoder for frames of `width` x `height`.
    pub fn new(width: u32, height: u32) -> Encoder {
        Encoder {
            width,
            height,
            bgr: Vec::new(),
        }
    }

    /// Codes the next frame of the stream, which must have the encoder's
    /// size.
    pub fn encode(&mut self, frame: FrameRef<'_>) -> Encoded {
        assert_eq!((frame.width, frame.height), (self.width, self.height));
        self.bgr.clear();
        for px in frame.data.chunks_exact(4) {
            match frame.layout {
                PixelLayout::Bgrx => self.bgr.extend_from_slice(&px[..3]),
                PixelLayout::Rgba => self.bgr.extend_from_slice(&[px[2], px[1], px[0]]),
            }
        }
        let payload = zstd::bulk::compress(&self.bgr, 3).expect("zstd compresses a buffer");
        Encoded { key: true, payload }
    }
}

/// Decodes the frames of one stream, in order from a keyframe.
pub struct Decoder {
    width: u32,
    height: u32,
    current: Option<Frame>,
}

impl Decoder {
    /// A decoder for frames of `width` x `height`.
    pub fn new(width: u32, height: u32) -> Decoder {
        Decoder {
            width,
            height,
            current: None,
        }
    }

    /// Decodes the next frame. A keyframe may come at any time; a delta
    /// frame must follow the frame before it in the stream.
    pub fn decode(&mut self, key: bool, payload: &[u8]) -> Result<&Frame, CodecError> {
        if !key && self.current.is_none() {
            return Err(CodecError::NoKeyframe);
        }
        let expected = self.width as usize * self.height as usize * 3;
        let bgr = zstd::bulk::decompress(payload, expected).map_err(CodecError::Zstd)?;
        if bgr.len() != expected {
            return Err(CodecError::Size {
                width: self.width,
                height: self.height,
                expected,
                found: bgr.len(),
            });
        }
        let mut data = Vec::with_capacity(expected / 3 * 4);
        for px in bgr.chunks_exact(3) {
            data.extend_from_slice(&[px[0], px[1], px[2], 0xFF]);
        }
        let frame = Frame::from_bgrx(self.width, self.height, data).expect("size checked above");
        Ok(self.current.insert(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_exactly() {
        let a = Frame::filled(64, 32, 0x336699);
        let mut enc = Encoder::new(64, 32);
        let mut dec = Decoder::new(64, 32);
        let e = enc.encode(a.as_ref());
        assert_eq!(dec.decode(e.key, &e.payload).unwrap(), &a);
    }

    #[test]
    fn a_delta_without_its_keyframe_is_refused() {
        let mut dec = Decoder::new(4, 4);
        assert!(matches!(
            dec.decode(false, &[]),
            Err(CodecError::NoKeyframe)
        ));
    }
}
