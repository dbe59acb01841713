//! The encoder: decides for every tile of a new frame whether it stayed,
//! moved, changed a little or is new, and where keyframes go.

#![forbid(unsafe_code)]

use super::Encoded;
use super::layout::{
    Grid, KIND_DELTA, KIND_KEY, MAX_VECTORS, Op, Px, TILE, literal_bytes, mode, vector_of,
};
use super::motion::{self, AnchorIndex};
use super::stream::Compressor;
use crate::frame::{FrameRef, PixelLayout};

/// Changed tiles below which motion is not searched: a click or a
/// keystroke changes a few tiles in place, and indexing a whole frame for
/// them would cost more than it saves.
const MOTION_MIN_TILES: usize = 8;

/// Decoding work a chain may accumulate before the encoder starts a new
/// one, in frames' worth of pixels (a keyframe counts two, a delta a
/// quarter plus the pixels it writes). It keeps the decoding of any frame,
/// keyframe plus the deltas before it, near 50 ms of CPU time at 1080p;
/// `benches/codec.rs` measures the worst case. Longer chains code smaller
/// (content seen earlier in the chain costs little) but decode slower.
const CHAIN_BUDGET_FRAMES: u64 = 12;

/// Largest share of a tile's pixels, as a fraction, that may differ from
/// its prediction for the tile to be coded as a patch rather than literal.
const PATCH_MAX_DIFFERING: (usize, usize) = (1, 8);

/// Codes the frames of one stream, in order.
pub struct Encoder {
    grid: Grid,
    /// The previous frame, as the decoder will have it.
    prev: Vec<Px>,
    /// The frame being coded.
    cur: Vec<Px>,
    has_prev: bool,
    /// Anchors of `prev`, built when a frame first needs them.
    index: Option<AnchorIndex>,
    stream: Compressor,
    /// Decoding work of the chain so far, in pixels.
    chain_work: u64,
    modes: Vec<u8>,
    literal: Vec<u8>,
    residual: Vec<u8>,
}

impl Encoder {
    /// An encoder for frames of `width` x `height`.
    ///
    /// # Panics
    ///
    /// If a side is 0 or larger than 16384 (spec §7.1).
    pub fn new(width: u32, height: u32) -> Encoder {
        let grid = match Grid::new(width, height) {
            Ok(grid) => grid,
            Err(e) => panic!("{e}"),
        };
        Encoder {
            grid,
            prev: Vec::new(),
            cur: Vec::new(),
            has_prev: false,
            index: None,
            stream: Compressor::new(),
            chain_work: 0,
            modes: Vec::new(),
            literal: Vec::new(),
            residual: Vec::new(),
        }
    }

    /// Codes the next frame of the stream, which must have the encoder's
    /// size. BGRX and RGBA frames are both taken; the fourth byte is
    /// ignored.
    ///
    /// # Panics
    ///
    /// If the frame's size is not the encoder's.
    pub fn encode(&mut self, frame: FrameRef<'_>) -> Encoded {
        assert_eq!(
            (frame.width, frame.height),
            (self.grid.width, self.grid.height),
            "frame size differs from the encoder's"
        );
        load(frame, &mut self.cur);

        // A delta costs at least the mode map to decode; when even that
        // does not fit the chain's budget, a keyframe is certain.
        let fits = self.chain_work + base_work(&self.grid) <= self.budget();
        let delta = (self.has_prev && fits).then(|| self.delta());
        let encoded = match delta {
            Some((body, work)) if self.chain_work + work <= self.budget() => {
                self.chain_work += work;
                let payload = self.stream.frame(false, &body);
                log::trace!(
                    "delta of {} bytes, body {} bytes",
                    payload.len(),
                    body.len()
                );
                Encoded {
                    key: false,
                    payload,
                }
            }
            _ => {
                let body = self.key_body();
                self.chain_work = self.key_work();
                Encoded {
                    key: true,
                    payload: self.stream.frame(true, &body),
                }
            }
        };

        std::mem::swap(&mut self.prev, &mut self.cur);
        self.has_prev = true;
        self.index = None;
        encoded
    }

    fn budget(&self) -> u64 {
        CHAIN_BUDGET_FRAMES * self.grid.pixels() as u64
    }

    /// Decoding work of a keyframe: every pixel decompressed and written,
    /// counted twice since a keyframe's zstd input is the whole frame.
    fn key_work(&self) -> u64 {
        2 * self.grid.pixels() as u64
    }

    fn key_body(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(1 + 3 * self.cur.len());
        body.push(KIND_KEY);
        for &p in &self.cur {
            body.extend_from_slice(&literal_bytes(p));
        }
        body
    }

    /// The body of the current frame as a delta of the previous one, with
    /// the work it takes to decode.
    fn delta(&mut self) -> (Vec<u8>, u64) {
        let grid = self.grid;
        let (prev, cur) = (&self.prev, &self.cur);

        let changed: Vec<bool> = (0..grid.tiles())
            .map(|t| !tile_matches(prev, cur, &grid, t, (0, 0)))
            .collect();
        let n_changed = changed.iter().filter(|&&c| c).count();

        let vectors = if n_changed >= MOTION_MIN_TILES {
            let index = self
                .index
                .get_or_insert_with(|| AnchorIndex::build(prev, &grid));
            motion::candidates(index, cur, &grid, &changed)
        } else {
            Vec::new()
        };
        debug_assert!(vectors.len() <= MAX_VECTORS);

        self.modes.clear();
        self.modes.resize(grid.tiles(), mode(Op::Same, 0));
        let mut touched = 0u64;
        for t in (0..grid.tiles()).filter(|&t| changed[t]) {
            let (_, _, w, h) = grid.rect(t);
            touched += u64::from(w * h);
            self.modes[t] = choose(prev, cur, &grid, t, &vectors, &self.modes);
        }

        // Literal and residual pixels go row by row across a band of
        // tiles, so that a run of new tiles reads like the image itself.
        self.literal.clear();
        self.residual.clear();
        let w = grid.width as usize;
        for band in 0..grid.rows {
            let tiles = band * grid.cols..(band + 1) * grid.cols;
            if self.modes[tiles.clone()]
                .iter()
                .all(|&m| Op::of(m) == Op::Same)
            {
                continue;
            }
            let y0 = band as u32 * TILE;
            for y in y0..(y0 + TILE).min(grid.height) {
                for t in tiles.clone() {
                    let m = self.modes[t];
                    let (x0, _, tw, _) = grid.rect(t);
                    let row = y as usize * w + x0 as usize..y as usize * w + (x0 + tw) as usize;
                    match Op::of(m) {
                        Op::Literal => {
                            for &p in &cur[row] {
                                self.literal.extend_from_slice(&literal_bytes(p));
                            }
                        }
                        Op::Patch => {
                            let (dx, dy) = vector(&vectors, m);
                            let shift = dy as isize * w as isize + dx as isize;
                            for i in row {
                                let q = prev[(i as isize + shift) as usize];
                                let d = (cur[i] ^ q).to_le_bytes();
                                self.residual.extend_from_slice(&d[..3]);
                            }
                        }
                        Op::Same | Op::Copy => {}
                    }
                }
            }
        }

        let mut body = Vec::with_capacity(
            2 + 4 * vectors.len() + self.modes.len() + self.literal.len() + self.residual.len(),
        );
        body.push(KIND_DELTA);
        body.push(vectors.len() as u8);
        for &(dx, dy) in &vectors {
            body.extend_from_slice(&(dx as i16).to_le_bytes());
            body.extend_from_slice(&(dy as i16).to_le_bytes());
        }
        body.extend_from_slice(&self.modes);
        body.extend_from_slice(&self.literal);
        body.extend_from_slice(&self.residual);

        if log::log_enabled!(log::Level::Trace) {
            let mut ops = [0usize; 4];
            for &m in &self.modes {
                ops[Op::of(m) as usize] += 1;
            }
            log::trace!(
                "delta: {} vectors (first {:?}), tiles same/literal/copy/patch {ops:?}, \
                 {} literal and {} residual bytes",
                vectors.len(),
                vectors.first(),
                self.literal.len(),
                self.residual.len()
            );
        }
        let work = base_work(&grid) + touched;
        (body, work)
    }
}

/// Decoding work of a delta beyond the pixels it writes: reading its mode
/// map, and above all continuing the chain's zstd stream, whose matches
/// reach back into megabytes of cold memory. Counted as a quarter of the
/// frame's pixels, which is what deltas of real sessions cost next to a
/// keyframe (`benches/codec.rs`).
fn base_work(grid: &Grid) -> u64 {
    grid.pixels() as u64 / 4
}

/// The mode of changed tile `t`: a copy if some candidate vector (the
/// neighbours' first) reproduces it exactly, else a patch on the best
/// prediction if few pixels differ from it, else literal pixels.
fn choose(
    prev: &[Px],
    cur: &[Px],
    grid: &Grid,
    t: usize,
    vectors: &[(i32, i32)],
    modes: &[u8],
) -> u8 {
    // Neighbours that already moved are the likeliest vectors: a scrolled
    // region or a moved window spans many tiles.
    let mut order: Vec<usize> = Vec::with_capacity(vectors.len() + 2);
    let neighbours = [
        (!t.is_multiple_of(grid.cols)).then(|| modes[t - 1]),
        (t >= grid.cols).then(|| modes[t - grid.cols]),
    ];
    for m in neighbours.into_iter().flatten() {
        let v = vector_of(m);
        if v > 0 && matches!(Op::of(m), Op::Copy | Op::Patch) && !order.contains(&v) {
            order.push(v);
        }
    }
    let first = order.len();
    for v in 1..=vectors.len() {
        if !order[..first].contains(&v) {
            order.push(v);
        }
    }

    for &v in &order {
        let d = vectors[v - 1];
        if grid.inside(t, d) && tile_matches(prev, cur, grid, t, d) {
            return mode(Op::Copy, v);
        }
    }

    let (_, _, w, h) = grid.rect(t);
    let pixels = (w * h) as usize;
    let mut best = (differing(prev, cur, grid, t, (0, 0), pixels), 0);
    for &v in order.iter().take(3) {
        let d = vectors[v - 1];
        if grid.inside(t, d) {
            let n = differing(prev, cur, grid, t, d, best.0);
            if n < best.0 {
                best = (n, v);
            }
        }
    }
    // A patch pays when the prediction is nearly right (a hovered button,
    // a typed character). New content over old content (a scrolled-in
    // line of text over the one it replaced) differs in fewer than half
    // its pixels, yet its XOR is noise to zstd, while its literal pixels
    // repeat glyphs coded before.
    if best.0 * PATCH_MAX_DIFFERING.1 <= pixels * PATCH_MAX_DIFFERING.0 {
        mode(Op::Patch, best.1)
    } else {
        mode(Op::Literal, 0)
    }
}

fn vector(vectors: &[(i32, i32)], m: u8) -> (i32, i32) {
    match vector_of(m) {
        0 => (0, 0),
        v => vectors[v - 1],
    }
}

/// Whether tile `t` of `cur` equals the tile of `prev` moved by `d`.
fn tile_matches(prev: &[Px], cur: &[Px], grid: &Grid, t: usize, (dx, dy): (i32, i32)) -> bool {
    let (x, y, w, h) = grid.rect(t);
    let stride = grid.width as usize;
    let (sx, sy) = ((x as i32 + dx) as usize, (y as i32 + dy) as usize);
    (0..h as usize).all(|r| {
        let a = &cur[(y as usize + r) * stride + x as usize..][..w as usize];
        let b = &prev[(sy + r) * stride + sx..][..w as usize];
        a == b
    })
}

/// How many pixels of tile `t` of `cur` differ from `prev` moved by `d`,
/// counting no further than `limit`.
fn differing(
    prev: &[Px],
    cur: &[Px],
    grid: &Grid,
    t: usize,
    (dx, dy): (i32, i32),
    limit: usize,
) -> usize {
    let (x, y, w, h) = grid.rect(t);
    let stride = grid.width as usize;
    let (sx, sy) = ((x as i32 + dx) as usize, (y as i32 + dy) as usize);
    let mut n = 0;
    for r in 0..h as usize {
        let a = &cur[(y as usize + r) * stride + x as usize..][..w as usize];
        let b = &prev[(sy + r) * stride + sx..][..w as usize];
        n += a.iter().zip(b).filter(|(p, q)| p != q).count();
        if n >= limit {
            break;
        }
    }
    n
}

/// Reads a frame into codec pixels (blue, green, red in the low bytes).
fn load(frame: FrameRef<'_>, out: &mut Vec<Px>) {
    out.clear();
    out.reserve(frame.data.len() / 4);
    let px = frame.data.chunks_exact(4);
    match frame.layout {
        PixelLayout::Bgrx => out.extend(px.map(|p| u32::from_le_bytes([p[0], p[1], p[2], 0]))),
        PixelLayout::Rgba => out.extend(px.map(|p| u32::from_le_bytes([p[2], p[1], p[0], 0]))),
    }
}
