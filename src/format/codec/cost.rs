//! What decoding a frame costs, estimated by the encoder before it writes
//! the frame (encoder only).
//!
//! Random access decodes a chain from its keyframe up to the frame asked
//! for, so the encoder ends a chain before the estimated time to decode
//! its last frame passes a budget. The estimate counts what the decoder
//! does: a fixed share per frame and per tile, the bytes zstd produces,
//! and the pixels each tile operation writes. Its constants are CPU time
//! measured on the reference machine (a shared 2-core VM, so on the slow
//! side), with `benches/codec.rs` reporting estimate and measurement side
//! by side.

#![forbid(unsafe_code)]

use super::layout::{Grid, Op};

/// Nanoseconds per unit of decoding work.
mod ns {
    /// A frame: a payload to split, two streams to continue.
    pub const FRAME: f64 = 30_000.0;
    /// A tile's mode byte, read and checked.
    pub const TILE: f64 = 4.0;
    /// A byte of body out of the main stream.
    pub const MAIN_BYTE: f64 = 0.4;
    /// A byte of predicted residuals out of the photo stream: nearly all
    /// are Huffman-coded literals.
    pub const PHOTO_BYTE: f64 = 2.2;
    /// A pixel written from literal planes.
    pub const LITERAL: f64 = 0.6;
    /// A pixel rebuilt from its residual and its neighbours.
    pub const PREDICTED: f64 = 6.0;
    /// A pixel copied from the previous frame (gathered, then written).
    pub const COPY: f64 = 0.8;
    /// A pixel copied and XORed with its residual.
    pub const PATCH: f64 = 1.5;
    /// A pixel copied from the keyframe.
    pub const RECALL: f64 = 0.6;
    /// A pixel of the keyframe copied: kept for recalls, or restored for
    /// a refresh.
    pub const KEEP: f64 = 0.5;
    /// A pixel's share of the memory a decoder touches for the first time
    /// when it starts from a keyframe (frame, kept keyframe, body and
    /// zstd window): page faults, dear on virtual machines.
    pub const FIRST_TOUCH: f64 = 2.0;
}

/// Budget of estimated decoding time for any frame, keyframe included, in
/// nanoseconds, on the reference machine. Issue 2 allows 50 ms; the rest
/// is for the error of the estimate and for slower machines.
pub const BUDGET_NS: f64 = 35_000_000.0;

/// How many pixels of each operation a frame writes.
#[derive(Debug, Default, Clone, Copy)]
pub struct Census {
    pub pixels: [u64; 6],
}

impl Census {
    /// Counts the pixels of every tile by its mode.
    pub fn of(grid: &Grid, modes: &[u8]) -> Census {
        let mut c = Census::default();
        for (t, &m) in modes.iter().enumerate() {
            c.pixels[usize::from(m)] += grid.area(t) as u64;
        }
        c
    }

    pub fn get(&self, op: Op) -> u64 {
        self.pixels[op as usize]
    }
}

/// Estimated nanoseconds to decode a frame with these tiles. `key` adds
/// keeping the keyframe for recalls.
pub fn frame_ns(grid: &Grid, census: &Census, key: bool) -> f64 {
    let px = |op: Op| census.get(op) as f64;
    let new = px(Op::Literal) + px(Op::Patch);
    let mut t = ns::FRAME
        + ns::TILE * grid.tiles() as f64
        + ns::MAIN_BYTE * 3.0 * new
        + ns::PHOTO_BYTE * 3.0 * px(Op::Predicted)
        + ns::LITERAL * px(Op::Literal)
        + ns::PREDICTED * px(Op::Predicted)
        + ns::COPY * px(Op::Copy)
        + ns::PATCH * px(Op::Patch)
        + ns::RECALL * px(Op::Recall);
    if key {
        t += (ns::KEEP + ns::FIRST_TOUCH) * grid.pixels() as f64;
    }
    t
}

/// Estimated nanoseconds a refresh costs beyond its body: starting from a
/// copy of the keyframe.
pub fn refresh_ns(grid: &Grid) -> f64 {
    ns::KEEP * grid.pixels() as f64
}

/// The least a delta costs to decode: its frame and tile shares.
pub fn min_delta_ns(grid: &Grid) -> f64 {
    ns::FRAME + ns::TILE * grid.tiles() as f64
}
