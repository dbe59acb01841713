//! The zstd stream of a chain (§7.3): one zstd frame runs from a keyframe
//! to the last delta before the next keyframe, and each frame's payload is
//! the part of it that carries the frame's body, flushed to a block
//! boundary. Deltas so find their new pixels in everything coded since
//! the keyframe (a page scrolled back, a window raised again), not only in
//! the frame before.

#![forbid(unsafe_code)]

use zstd::zstd_safe::{self, CCtx, CParameter, DCtx, DParameter, InBuffer, OutBuffer};

use super::CodecError;
use super::layout::WINDOW_LOG;

/// zstd level: 3 (zstd's default) keeps a full-screen change under the
/// encode budget on one core; higher levels gained little on screens.
const LEVEL: i32 = 3;

/// The compressing side of a chain's stream.
pub struct Compressor {
    ctx: CCtx<'static>,
}

impl Compressor {
    pub fn new() -> Compressor {
        let mut ctx = CCtx::create();
        let params = [
            CParameter::CompressionLevel(LEVEL),
            CParameter::WindowLog(WINDOW_LOG),
            // Long-distance matching finds content coded many megabytes
            // earlier in the chain, which zstd's hash tables have forgotten.
            CParameter::EnableLongDistanceMatching(true),
            CParameter::ChecksumFlag(false),
            CParameter::ContentSizeFlag(false),
        ];
        for p in params {
            ctx.set_parameter(p)
                .expect("zstd accepts the codec's fixed parameters");
        }
        Compressor { ctx }
    }

    /// Compresses the body of the next frame. `key` starts a new stream,
    /// forgetting everything before.
    pub fn frame(&mut self, key: bool, body: &[u8]) -> Vec<u8> {
        if key {
            self.ctx
                .reset(zstd_safe::ResetDirective::SessionOnly)
                .expect("resetting a session cannot fail");
        }
        let mut out: Vec<u8> = Vec::with_capacity(zstd_safe::compress_bound(body.len()) + 64);
        let mut input = InBuffer::around(body);
        loop {
            if out.len() == out.capacity() {
                out.reserve(64 * 1024);
            }
            let pos = out.len();
            let mut output = OutBuffer::around_pos(&mut out, pos);
            let left = self
                .ctx
                .compress_stream2(
                    &mut output,
                    &mut input,
                    zstd_safe::zstd_sys::ZSTD_EndDirective::ZSTD_e_flush,
                )
                .expect("zstd compresses into a growing buffer");
            if left == 0 && input.pos() == body.len() {
                return out;
            }
        }
    }
}

/// The decompressing side of a chain's stream.
pub struct Decompressor {
    ctx: DCtx<'static>,
}

impl Decompressor {
    pub fn new() -> Decompressor {
        let mut ctx = DCtx::create();
        ctx.set_parameter(DParameter::WindowLogMax(WINDOW_LOG))
            .expect("zstd accepts its own window limit");
        Decompressor { ctx }
    }

    /// Decompresses one payload into `body`, which is cleared first and
    /// never grows past `max` bytes. `key` starts a new stream.
    pub fn frame(
        &mut self,
        key: bool,
        payload: &[u8],
        body: &mut Vec<u8>,
        max: usize,
        too_long: impl Fn() -> CodecError,
    ) -> Result<(), CodecError> {
        if key {
            self.ctx
                .reset(zstd_safe::ResetDirective::SessionOnly)
                .map_err(|c| CodecError::Zstd(zstd_safe::get_error_name(c).to_owned()))?;
        }
        body.clear();
        // One byte more than allowed, so that a body that is too long is
        // seen as one rather than cut silently.
        if body.capacity() < max + 1 {
            body.reserve_exact(max + 1);
        }
        let cap = body.capacity();
        let mut input = InBuffer::around(payload);
        loop {
            let (before_in, before_out) = (input.pos(), body.len());
            let pos = body.len();
            let mut output = OutBuffer::around_pos(body, pos);
            self.ctx
                .decompress_stream(&mut output, &mut input)
                .map_err(|c| CodecError::Zstd(zstd_safe::get_error_name(c).to_owned()))?;
            if body.len() > max {
                return Err(too_long());
            }
            let progressed = input.pos() > before_in || body.len() > before_out;
            if input.pos() == payload.len() && body.len() < cap && !progressed {
                return Ok(());
            }
            if !progressed {
                return Err(CodecError::Stalled {
                    unread: payload.len() - input.pos(),
                });
            }
        }
    }
}
