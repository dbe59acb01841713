//! zstd in a frame's payload (§7.3). The *main* part of a payload carries
//! the body (modes, vectors, literal pixels, residuals) as the next piece
//! of a stream that runs as one zstd frame from a keyframe (or refresh) to
//! the last delta before the next one, flushed to a block boundary after
//! each body. Deltas so find their new pixels in everything coded since
//! (a page scrolled back, a window raised again), not only in the frame
//! before. The *photo* part carries the residuals of predicted tiles as a
//! zstd frame of its own.
//!
//! The two are tuned apart: screen content repeats (glyphs, rows, whole
//! pages), so the main stream searches hard and far for matches;
//! photographs never repeat byte for byte, so the photo part spends its
//! time on entropy coding alone, which keeps a keyframe of a photograph
//! inside the encoding budget, and it keeps no history, which spares the
//! decoder a window to fill.

#![forbid(unsafe_code)]

use zstd::zstd_safe::{self, CCtx, CParameter, DCtx, DParameter, InBuffer, OutBuffer};

use super::CodecError;
use super::layout::WINDOW_LOG;

/// zstd window of the photo stream, as a power of two (4 MiB).
const PHOTO_WINDOW_LOG: u32 = 22;

/// Which of a chain's two streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Main,
    Photo,
}

/// The compressing side of one of a chain's streams.
pub struct Compressor {
    ctx: CCtx<'static>,
}

impl Compressor {
    pub fn new(which: Which) -> Compressor {
        let mut ctx = CCtx::create();
        let params: &[CParameter] = match which {
            // Long-distance matching finds content coded many megabytes
            // earlier in the chain, which zstd's hash tables have
            // forgotten. Level 7 (lazy matching, larger tables) finds the
            // glyphs and rows of text that a scroll or typing brings back
            // far better than zstd's default level 3: on the light corpus
            // scroll deltas are 10% and typing deltas 20% smaller, for a
            // small share of a frame's encoding time, since most of it
            // goes to finding tiles rather than to zstd. Higher levels gain
            // little more and cost a keyframe of text tens of milliseconds.
            Which::Main => &[
                CParameter::CompressionLevel(7),
                CParameter::EnableLongDistanceMatching(true),
            ],
            // A small hash table that stays in cache: residuals of
            // photographs have few matches worth finding.
            Which::Photo => &[CParameter::CompressionLevel(1), CParameter::HashLog(12)],
        };
        // Photographs match little beyond the last rows, so the photo
        // stream's window is small: less memory for the decoder to touch.
        let window = match which {
            Which::Main => WINDOW_LOG,
            Which::Photo => PHOTO_WINDOW_LOG,
        };
        let common = [
            CParameter::WindowLog(window),
            CParameter::ChecksumFlag(false),
            CParameter::ContentSizeFlag(false),
        ];
        for &p in params.iter().chain(&common) {
            ctx.set_parameter(p)
                .expect("zstd accepts the codec's fixed parameters");
        }
        Compressor { ctx }
    }

    /// Forgets everything before: the next body starts a new zstd frame.
    pub fn restart(&mut self) {
        self.ctx
            .reset(zstd_safe::ResetDirective::SessionOnly)
            .expect("resetting a session cannot fail");
    }

    /// Compresses `body` as a zstd frame of its own, appending to `out`.
    pub fn whole(&mut self, body: &[u8], out: &mut Vec<u8>) {
        self.restart();
        let bound = zstd_safe::compress_bound(body.len());
        let start = out.len();
        out.resize(start + bound, 0);
        let n = self
            .ctx
            .compress2(&mut out[start..], body)
            .expect("zstd compresses into a buffer of its bound");
        out.truncate(start + n);
    }

    /// Compresses the next body, appending to `out`.
    pub fn frame(&mut self, body: &[u8], out: &mut Vec<u8>) {
        out.reserve(zstd_safe::compress_bound(body.len()) + 64);
        let mut input = InBuffer::around(body);
        loop {
            if out.len() == out.capacity() {
                out.reserve(64 * 1024);
            }
            let pos = out.len();
            let mut output = OutBuffer::around_pos(out, pos);
            let left = self
                .ctx
                .compress_stream2(
                    &mut output,
                    &mut input,
                    zstd_safe::zstd_sys::ZSTD_EndDirective::ZSTD_e_flush,
                )
                .expect("zstd compresses into a growing buffer");
            if left == 0 && input.pos() == body.len() {
                return;
            }
        }
    }
}

/// The decompressing side of one of a chain's streams.
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

    /// Forgets everything before: the next payload starts a new zstd frame.
    pub fn restart(&mut self) -> Result<(), CodecError> {
        self.ctx
            .reset(zstd_safe::ResetDirective::SessionOnly)
            .map(drop)
            .map_err(|c| CodecError::Zstd(zstd_safe::get_error_name(c).to_owned()))
    }

    /// Decompresses a zstd frame of its own into `body`, which must then
    /// hold exactly `expected` bytes; `wrong` reports it otherwise.
    pub fn whole(
        &mut self,
        part: &[u8],
        body: &mut Vec<u8>,
        expected: usize,
        wrong: impl Fn(usize) -> CodecError,
    ) -> Result<(), CodecError> {
        body.clear();
        body.reserve_exact(expected);
        // One-shot: zstd writes straight into `body` and never past its
        // capacity; a part that holds more is an error from zstd.
        self.ctx
            .decompress(body, part)
            .map_err(|c| CodecError::Zstd(zstd_safe::get_error_name(c).to_owned()))?;
        if body.len() != expected {
            return Err(wrong(body.len()));
        }
        Ok(())
    }

    /// Decompresses one payload into `body`, which is cleared first and
    /// never grows past `max` bytes: a body that would is reported by
    /// `too_long`.
    pub fn frame(
        &mut self,
        payload: &[u8],
        body: &mut Vec<u8>,
        max: usize,
        too_long: impl Fn() -> CodecError,
    ) -> Result<(), CodecError> {
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
