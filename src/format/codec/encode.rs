//! The encoder: decides for every tile of a new frame whether it stayed,
//! moved, changed a little, shows again what the keyframe showed, or is
//! new, and where keyframes go.

#![forbid(unsafe_code)]

use super::Encoded;
use super::cost::{self, BUDGET_NS, Census};
use super::layout::{FLAG_REFRESH, Grid, KIND_DELTA, KIND_KEY, MAX_VECTORS, Op, Px};
use super::motion::{self, AnchorIndex};
use super::sections::Sections;
use super::stream::{Compressor, Which};
use super::tiles::{self, Vector};
use crate::frame::{FrameRef, PixelLayout};

/// Changed tiles below which motion is not searched: a click or a
/// keystroke changes a few tiles in place, and searching for them would
/// cost more than it saves.
const MOTION_MIN_TILES: usize = 8;

/// Share of a frame's pixels that, when new (literal or predicted) in a
/// delta, makes the frame a keyframe instead: it costs about as many
/// bytes, and it makes the frames after it cheap to reach.
const KEY_NEW_SHARE: (u64, u64) = (3, 5);

/// What a coded frame decodes after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Nothing: a keyframe.
    Key,
    /// The frame before it.
    Delta,
    /// The chain's keyframe.
    Refresh,
}

/// Codes the frames of one stream, in order.
pub struct Encoder {
    grid: Grid,
    /// The previous frame, as the decoder will have it.
    prev: Vec<Px>,
    /// The frame being coded.
    cur: Vec<Px>,
    /// The chain's keyframe, which recall tiles and refreshes refer to.
    key: Vec<Px>,
    has_prev: bool,
    /// Anchors of `prev`, built when a frame first needs them, then kept
    /// up to date until the next keyframe.
    index: AnchorIndex,
    index_built: bool,
    /// Anchors of `key`, built when a refresh first needs them.
    key_index: AnchorIndex,
    key_index_built: bool,
    /// Estimated decoding time no frame may pass.
    budget_ns: f64,
    /// Estimated time to decode the previous frame, if a delta.
    last_ns: f64,
    main: Compressor,
    photo: Compressor,
    /// Estimated time to decode the keyframe.
    key_ns: f64,
    /// Estimated time to decode the previous frame from the keyframe: the
    /// keyframe, the last refresh since, and the deltas after it.
    run_ns: f64,
    modes: Vec<u8>,
    /// The vector of every tile that has one.
    vectors: Vec<Vector>,
    sections: Sections,
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
            key: Vec::new(),
            has_prev: false,
            index: AnchorIndex::default(),
            index_built: false,
            key_index: AnchorIndex::default(),
            key_index_built: false,
            budget_ns: BUDGET_NS,
            last_ns: 0.0,
            main: Compressor::new(Which::Main),
            photo: Compressor::new(Which::Photo),
            key_ns: 0.0,
            run_ns: 0.0,
            modes: Vec::new(),
            vectors: Vec::new(),
            sections: Sections::default(),
        }
    }

    /// An encoder whose chains keep every frame's estimated decoding time
    /// under `budget_ns` rather than the codec's budget: tests use small
    /// frames and small budgets to reach chain ends quickly.
    #[cfg(test)]
    pub(crate) fn with_budget(width: u32, height: u32, budget_ns: f64) -> Encoder {
        Encoder {
            budget_ns,
            ..Encoder::new(width, height)
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

        // A delta if it fits the budget and is not mostly new; else a
        // refresh if that does; else a keyframe. A frame costs at least its
        // frame and tile shares to decode, so hopeless plans are skipped.
        // A frame usually costs about what the one before it did: when that
        // no longer fits, the delta is not even planned, which spares the
        // encoder a second plan on the frames that end a run.
        let least = cost::min_delta_ns(&self.grid).max(self.last_ns);
        let mut kind = Kind::Key;
        let budget = self.budget();
        let started = std::time::Instant::now();
        if self.has_prev && self.run_ns + least <= budget && self.plan(Kind::Delta) {
            kind = Kind::Delta;
        } else if self.has_prev && self.key_ns + least <= budget && self.plan(Kind::Refresh) {
            kind = Kind::Refresh;
        } else {
            self.plan_key();
        }
        let planned = started.elapsed();

        let census = Census::of(&self.grid, &self.modes);
        let frame_ns = cost::frame_ns(&self.grid, &census, kind == Kind::Key);
        self.last_ns = if kind == Kind::Delta { frame_ns } else { 0.0 };
        self.run_ns = match kind {
            Kind::Key => {
                self.key_ns = frame_ns;
                frame_ns
            }
            Kind::Delta => self.run_ns + frame_ns,
            Kind::Refresh => self.key_ns + cost::refresh_ns(&self.grid) + frame_ns,
        };
        let payload = self.write(kind);
        log::trace!(
            "{kind:?}: planned in {:.1} ms, written in {:.1} ms, {} bytes, pixels same/literal/copy/patch/predicted/recall {:?}, \
             main body {} bytes, photo body {} bytes, {} vectors, decode estimate {:.2} ms \
             (from the keyframe {:.2} ms)",
            planned.as_secs_f64() * 1e3,
            (started.elapsed() - planned).as_secs_f64() * 1e3,
            payload.len(),
            census.pixels,
            self.sections.main.len(),
            self.sections.photo.len(),
            self.sections.vector_count,
            frame_ns / 1e6,
            self.run_ns / 1e6,
        );

        if kind == Kind::Key {
            self.key.clone_from(&self.cur);
            self.key_index_built = false;
        }
        std::mem::swap(&mut self.prev, &mut self.cur);
        self.has_prev = true;
        // The index follows the previous frame band by band while frames
        // change in part; a keyframe changed most of the screen, so the
        // index is built anew when a frame next needs it.
        if kind == Kind::Key {
            self.index_built = false;
        } else if self.index_built {
            let dirty = motion::dirty_bands(&self.cur, &self.prev, &self.grid);
            self.index.update(&self.prev, &self.grid, &dirty);
        }
        Encoded {
            key: kind == Kind::Key,
            refresh: kind == Kind::Refresh,
            payload,
        }
    }

    /// Chooses every tile's mode for a delta (against the previous frame)
    /// or a refresh (against the keyframe). Returns false when the frame
    /// is better coded otherwise: it is mostly new, or decoding it would
    /// pass the budget.
    fn plan(&mut self, kind: Kind) -> bool {
        let grid = self.grid;
        let (reference, index, built, run_ns) = match kind {
            Kind::Refresh => (
                &self.key,
                &mut self.key_index,
                &mut self.key_index_built,
                self.key_ns + cost::refresh_ns(&grid),
            ),
            _ => (
                &self.prev,
                &mut self.index,
                &mut self.index_built,
                self.run_ns,
            ),
        };
        let cur = &self.cur;

        let changed = tiles::changed(reference, cur, &grid);
        let n_changed = changed.iter().filter(|&&c| c).count();

        let candidates = if n_changed >= MOTION_MIN_TILES {
            if !*built {
                index.build(reference, &grid);
                *built = true;
            }
            motion::candidates(index, cur, &grid, &changed)
        } else {
            Vec::new()
        };
        self.modes.clear();
        self.modes.resize(grid.tiles(), Op::Same as u8);
        self.vectors.clear();
        self.vectors.resize(grid.tiles(), (0, 0));
        let refs = tiles::References {
            prev: reference,
            cur,
            // A refresh's reference is the keyframe already.
            key: if kind == Kind::Refresh {
                &[]
            } else {
                &self.key
            },
        };
        for t in (0..grid.tiles()).filter(|&t| changed[t]) {
            let (op, v) = tiles::choose(&refs, &grid, t, &candidates, &self.modes, &self.vectors);
            self.modes[t] = op as u8;
            self.vectors[t] = v;
        }

        let census = Census::of(&grid, &self.modes);
        let new = census.get(Op::Literal) + census.get(Op::Predicted);
        if new * KEY_NEW_SHARE.1 > grid.pixels() as u64 * KEY_NEW_SHARE.0 {
            return false;
        }
        run_ns + cost::frame_ns(&grid, &census, false) <= self.budget()
    }

    /// The decoding budget of the current chain. When the keyframe alone
    /// comes near the codec's budget (a photograph on a large screen, or a
    /// tighter budget), a keyframe on every frame would cost the most bytes
    /// and encoding time and gain nothing: a frame may then take a quarter
    /// longer than its keyframe, and at least four minimal deltas longer.
    fn budget(&self) -> f64 {
        let least = cost::min_delta_ns(&self.grid);
        self.budget_ns
            .max(1.25 * self.key_ns)
            .max(self.key_ns + 4.0 * least)
    }

    /// Chooses every tile's mode for a keyframe: literal or predicted.
    /// Tiles a plan already found new keep their choice.
    fn plan_key(&mut self) {
        let grid = self.grid;
        if self.modes.len() != grid.tiles() {
            self.modes.clear();
            self.modes.resize(grid.tiles(), Op::Same as u8);
        }
        for t in 0..grid.tiles() {
            let m = self.modes[t];
            if m != Op::Literal as u8 && m != Op::Predicted as u8 {
                self.modes[t] = tiles::classify(&self.cur, &grid, t) as u8;
            }
        }
        self.vectors.clear();
        self.vectors.resize(grid.tiles(), (0, 0));
    }

    /// Writes the planned frame's body through the streams and returns its
    /// payload (§7.3).
    fn write(&mut self, kind: Kind) -> Vec<u8> {
        if kind != Kind::Delta {
            self.main.restart();
        }
        let reference = match kind {
            Kind::Refresh => &self.key,
            _ => &self.prev,
        };
        self.sections.fill(
            &self.grid,
            if kind == Kind::Key {
                KIND_KEY
            } else {
                KIND_DELTA
            },
            &self.modes,
            &self.vectors,
            reference,
            &self.cur,
        );
        debug_assert!(self.sections.vector_count <= MAX_VECTORS);

        let mut main = Vec::new();
        self.main.frame(&self.sections.main, &mut main);
        let mut payload = Vec::with_capacity(main.len() + 16);
        payload.push(if kind == Kind::Refresh {
            FLAG_REFRESH
        } else {
            0
        });
        write_varint(&mut payload, main.len());
        payload.extend_from_slice(&main);
        if !self.sections.photo.is_empty() {
            self.photo.whole(&self.sections.photo, &mut payload);
        }
        payload
    }
}

/// Appends `n` as a LEB128 varint (§7.3).
fn write_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
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
