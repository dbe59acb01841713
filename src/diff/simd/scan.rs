//! The kernel, once, over any [`Backend`].
//!
//! A row is read 64 columns at a time. Most groups are identical in both
//! frames, which costs two loads and an exclusive or per vector. A vector
//! with differing pixels gets their colour deltas, and lanes over the
//! threshold get the anti-aliasing test: the brightness scan of the eight
//! neighbours for all lanes at once, then the sibling test for the darkest
//! and brightest neighbour, read from a per-row cache of sibling bits.

#![forbid(unsafe_code)]

use std::ops::{ControlFlow, Range};

use super::super::kernel::{Pair, Params};
use super::super::metric::{
    DELTA_I, DELTA_Q, DELTA_Y, I_B, I_G, I_R, Layout, Q_B, Q_G, Q_R, Y_B, Y_G, Y_R, antialiased,
    has_many_siblings,
};
use super::super::scalar::{self, Verdict};
use super::super::sink::{Found, Sink};
use super::Backend;

/// The eight neighbours as `(dx, dy)`, in the order pixelmatch visits them
/// (column by column): ties between equally dark or bright neighbours go to
/// the first.
const NEIGHBOURS: [(isize, isize); 8] = [
    (-1, -1),
    (-1, 0),
    (-1, 1),
    (0, -1),
    (0, 1),
    (1, -1),
    (1, 0),
    (1, 1),
];

/// Alpha bits of an RGBA pixel word.
const ALPHA: u32 = 0xFF00_0000;

/// Compares the `spans` of row `y`, reporting to `sink`.
#[inline(always)]
pub(super) fn row<B: Backend, L: Layout>(
    b: B,
    pair: &Pair<'_>,
    p: &Params,
    y: usize,
    spans: &[Range<usize>],
    scratch: &mut Scratch,
    sink: &mut dyn Sink,
) -> ControlFlow<()> {
    let row_bytes = p.width * 4;
    let ra = &pair.a[y * row_bytes..(y + 1) * row_bytes];
    let rb = &pair.b[y * row_bytes..(y + 1) * row_bytes];
    let same = b.splat(L::SAME_MASK);
    let vbytes = B::LANES * 4;

    for span in spans {
        let mut base = span.start & !63;
        while base < span.end {
            let cols = span.start.max(base)..span.end.min(base + 64);
            if cols.start == base && cols.end == base + 64 {
                // The common case, and the one that must run at memory
                // speed: a whole group, most likely unchanged.
                let ga = &ra[base * 4..base * 4 + 256];
                let gb = &rb[base * 4..base * 4 + 256];
                let mut acc = b.xor(b.load(ga), b.load(gb));
                for k in 1..64 / B::LANES {
                    let at = k * vbytes;
                    acc = b.or(acc, b.xor(b.load(&ga[at..]), b.load(&gb[at..])));
                }
                if b.any_bits(acc, same) == 0 {
                    base += 64;
                    continue;
                }
            }
            let found = group::<B, L>(b, pair, p, y, base, cols, scratch);
            if !found.is_empty() {
                sink.found(y, base, found)?;
            }
            base += 64;
        }
    }
    ControlFlow::Continue(())
}

/// Bits `range` of a lane mask.
#[inline(always)]
fn lane_bits(range: Range<usize>) -> u32 {
    let upto = |n: usize| if n >= 32 { u32::MAX } else { (1u32 << n) - 1 };
    upto(range.end) & !upto(range.start)
}

/// Loads the `LANES` pixels of `img` from pixel `i` on, of which only the
/// first `n` may exist; the rest read as zero.
#[inline(always)]
fn load_some<B: Backend>(b: B, img: &[u8], i: usize, n: usize) -> B::P {
    if n >= B::LANES {
        b.load(&img[i * 4..])
    } else {
        let mut buf = [0u8; 64];
        buf[..n * 4].copy_from_slice(&img[i * 4..(i + n) * 4]);
        b.load(&buf)
    }
}

/// Finds what differs in columns `cols` of the group at `base` in row `y`.
#[inline(always)]
fn group<B: Backend, L: Layout>(
    b: B,
    pair: &Pair<'_>,
    p: &Params,
    y: usize,
    base: usize,
    cols: Range<usize>,
    scratch: &mut Scratch,
) -> Found {
    let mut found = Found::default();
    let same = b.splat(L::SAME_MASK);
    for k in 0..64 / B::LANES {
        let x = base + k * B::LANES;
        if x >= cols.end {
            break;
        }
        if x + B::LANES <= cols.start {
            continue;
        }
        let active = lane_bits(cols.start.saturating_sub(x)..(cols.end - x).min(B::LANES));
        let i = y * p.width + x;
        let n = p.width - x;
        let ca = load_some(b, pair.a, i, n);
        let cb = load_some(b, pair.b, i, n);
        let differ = b.any_bits(b.xor(ca, cb), same) & active;
        if differ == 0 {
            continue;
        }
        let lanes = judge::<B, L>(b, pair, p, x, y, ca, cb, differ, scratch);
        let shift = k * B::LANES;
        found.diff |= u64::from(lanes.diff) << shift;
        found.aa |= u64::from(lanes.aa) << shift;
        found.darker |= u64::from(lanes.darker) << shift;
    }
    found
}

/// Findings for the lanes of one vector.
#[derive(Default)]
struct Lanes {
    diff: u32,
    aa: u32,
    darker: u32,
}

impl Lanes {
    fn record(&mut self, lane: usize, verdict: Verdict) {
        let bit = 1 << lane;
        match verdict {
            Verdict::Same => {}
            Verdict::AntiAliased => self.aa |= bit,
            Verdict::Differs { darker } => {
                self.diff |= bit;
                if darker {
                    self.darker |= bit;
                }
            }
        }
    }
}

/// Iterates over the set bits of a lane mask.
fn set_lanes(mut bits: u32) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (bits != 0).then(|| {
            let lane = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            lane
        })
    })
}

/// Judges the `differ` lanes of the vector at `(x, y)`, whose pixels are
/// `ca` and `cb`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn judge<B: Backend, L: Layout>(
    b: B,
    pair: &Pair<'_>,
    p: &Params,
    x: usize,
    y: usize,
    ca: B::P,
    cb: B::P,
    mut differ: u32,
    scratch: &mut Scratch,
) -> Lanes {
    let mut out = Lanes::default();
    let (va, vb) = (L::view(pair.a), L::view(pair.b));

    if !L::ALWAYS_OPAQUE {
        // Translucent pixels are blended over a background first: leave
        // them to the scalar code.
        let alpha = b.splat(ALPHA);
        let opaque = b.same_bits(ca, alpha, alpha) & b.same_bits(cb, alpha, alpha);
        for lane in set_lanes(differ & !opaque) {
            out.record(lane, scalar::judge(va, vb, p, x + lane, y));
        }
        differ &= opaque;
        if differ == 0 {
            return out;
        }
    }

    // pixelmatch's colorDelta, operation for operation.
    let delta = |shift| b.widen(b.sub(b.channel(ca, shift), b.channel(cb, shift)));
    let (dr, dg, db) = (delta(L::R_SHIFT), delta(L::G_SHIFT), delta(L::B_SHIFT));
    let c = |v| b.fsplat(v);
    let half = B::LANES / 2;
    let (mut over, mut darker) = (0, 0);
    for h in 0..2 {
        let (r, g, bl) = (dr[h], dg[h], db[h]);
        let yy = b.fadd(
            b.fadd(b.fmul(r, c(Y_R)), b.fmul(g, c(Y_G))),
            b.fmul(bl, c(Y_B)),
        );
        let ii = b.fsub(
            b.fsub(b.fmul(r, c(I_R)), b.fmul(g, c(I_G))),
            b.fmul(bl, c(I_B)),
        );
        let qq = b.fadd(
            b.fsub(b.fmul(r, c(Q_R)), b.fmul(g, c(Q_G))),
            b.fmul(bl, c(Q_B)),
        );
        let d = b.fadd(
            b.fadd(
                b.fmul(b.fmul(c(DELTA_Y), yy), yy),
                b.fmul(b.fmul(c(DELTA_I), ii), ii),
            ),
            b.fmul(b.fmul(c(DELTA_Q), qq), qq),
        );
        over |= b.bits(b.fgt(d, c(p.max_delta))) << (h * half);
        // The returned delta is negative (the second image darker) when
        // the luma difference is positive.
        darker |= b.bits(b.fgt(yy, c(0.0))) << (h * half);
    }
    over &= differ;
    if over == 0 {
        return out;
    }

    let aa = if p.include_aa {
        0
    } else {
        anti_aliased::<B, L>(b, pair, p, x, y, ca, cb, over, scratch)
    };
    out.aa |= aa;
    out.diff |= over & !aa;
    out.darker |= darker & over & !aa;
    out
}

/// Which of the `need` lanes of the vector at `(x, y)` are anti-aliasing in
/// either image.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn anti_aliased<B: Backend, L: Layout>(
    b: B,
    pair: &Pair<'_>,
    p: &Params,
    x: usize,
    y: usize,
    ca: B::P,
    cb: B::P,
    need: u32,
    scratch: &mut Scratch,
) -> u32 {
    let (w, h) = (p.width, p.height);
    let (va, vb) = (L::view(pair.a), L::view(pair.b));
    let scalar = |lanes: u32, first_a: bool| {
        let mut aa = 0;
        for lane in set_lanes(lanes) {
            let (px, board) = (x + lane, p.checkerboard);
            let hit = if first_a {
                antialiased(va, vb, px, y, w, h, board) || antialiased(vb, va, px, y, w, h, board)
            } else {
                antialiased(vb, va, px, y, w, h, board)
            };
            if hit {
                aa |= 1 << lane;
            }
        }
        aa
    };

    // The vector path reads the 3x3 neighbourhood of every lane; it needs
    // them all inside the frames, a whole vector inside the row, and
    // leaves the first and last column (whose neighbourhood is clipped) to
    // the scalar code.
    let i = y * w + x;
    let fits = y >= 1 && i + w + B::LANES < w * h && i > w && x + B::LANES <= w;
    if !fits {
        return scalar(need, true);
    }
    let mut edges = 0;
    if x == 0 {
        edges |= 1;
    }
    if x + B::LANES == w {
        edges |= 1 << (B::LANES - 1);
    }
    let mut aa = scalar(need & edges, true);
    let need = need & !edges;

    let in_a = match extremes::<B, L>(b, pair.a, p, i, ca, need) {
        Some(e) => siblings::<B, L>(b, pair, p, x, y, e, scratch),
        None => scalar(need, true),
    };
    aa |= in_a;
    let rest = need & !in_a;
    if rest == 0 {
        return aa;
    }
    // pixelmatch asks about the second image only when the first said no.
    let in_b = match extremes::<B, L>(b, pair.b, p, i, cb, rest) {
        Some(e) => siblings::<B, L>(b, pair, p, x, y, e, scratch),
        None => scalar(rest, false),
    };
    aa | in_b
}

/// The outcome of the brightness scan for each lane: which lanes have both
/// a darker and a brighter neighbour and at most two equal ones, and which
/// neighbour (index into [`NEIGHBOURS`]) is the darkest and the brightest.
struct Extremes<F> {
    candidates: u32,
    min_at: [F; 2],
    max_at: [F; 2],
}

/// pixelmatch's brightness scan over the neighbours of the lanes starting
/// at pixel `i` of `img` (centres `c`), for opaque pixels. `None` when a
/// neighbour of a `need` lane is translucent.
#[inline(always)]
fn extremes<B: Backend, L: Layout>(
    b: B,
    img: &[u8],
    p: &Params,
    i: usize,
    c: B::P,
    need: u32,
) -> Option<Extremes<B::F>> {
    let w = p.width as isize;
    let (cr, cg, cbl) = (
        b.channel(c, L::R_SHIFT),
        b.channel(c, L::G_SHIFT),
        b.channel(c, L::B_SHIFT),
    );
    let k = |v| b.fsplat(v);
    let zero = k(0.0);
    let mut zeroes = [zero; 2];
    let (mut min, mut max) = ([zero; 2], [zero; 2]);
    let (mut min_at, mut max_at) = ([k(-1.0); 2], [k(-1.0); 2]);
    let alpha = b.splat(ALPHA);
    let mut translucent = 0;

    for (d, &(dx, dy)) in NEIGHBOURS.iter().enumerate() {
        let j = (i as isize + dy * w + dx) as usize;
        let n = b.load(&img[j * 4..]);
        if !L::ALWAYS_OPAQUE {
            translucent |= !b.same_bits(n, alpha, alpha);
        }
        let dr = b.widen(b.sub(cr, b.channel(n, L::R_SHIFT)));
        let dg = b.widen(b.sub(cg, b.channel(n, L::G_SHIFT)));
        let db = b.widen(b.sub(cbl, b.channel(n, L::B_SHIFT)));
        let at = k(d as f64);
        for h in 0..2 {
            let delta = b.fadd(
                b.fadd(b.fmul(dr[h], k(Y_R)), b.fmul(dg[h], k(Y_G))),
                b.fmul(db[h], k(Y_B)),
            );
            // The three cases of pixelmatch's if / else if chain exclude
            // each other on their own: 0 is never below the minimum (at
            // most 0) nor above the maximum (at least 0).
            zeroes[h] = b.count(zeroes[h], b.feq(delta, zero));
            let lt = b.flt(delta, min[h]);
            min[h] = b.select(lt, delta, min[h]);
            min_at[h] = b.select(lt, at, min_at[h]);
            let gt = b.fgt(delta, max[h]);
            max[h] = b.select(gt, delta, max[h]);
            max_at[h] = b.select(gt, at, max_at[h]);
        }
    }
    if translucent & need != 0 {
        return None;
    }

    let half = B::LANES / 2;
    let mut candidates = 0;
    for h in 0..2 {
        let few_equal = b.fle(zeroes[h], k(2.0));
        let both = b.mand(b.flt(min[h], zero), b.fgt(max[h], zero));
        candidates |= b.bits(b.mand(few_equal, both)) << (h * half);
    }
    Some(Extremes {
        candidates: candidates & need,
        min_at,
        max_at,
    })
}

/// The sibling test of pixelmatch's `antialiased` for the candidate lanes:
/// a lane is anti-aliasing when its darkest or its brightest neighbour has
/// three or more equal neighbours in both images.
#[inline(always)]
fn siblings<B: Backend, L: Layout>(
    b: B,
    pair: &Pair<'_>,
    p: &Params,
    x: usize,
    y: usize,
    e: Extremes<B::F>,
    scratch: &mut Scratch,
) -> u32 {
    if e.candidates == 0 {
        return 0;
    }
    let half = B::LANES / 2;
    let mut aa = 0;
    for (d, &(dx, dy)) in NEIGHBOURS.iter().enumerate() {
        let at = b.fsplat(d as f64);
        let mut pick = 0;
        for h in 0..2 {
            pick |= b.bits(b.feq(e.min_at[h], at)) << (h * half);
            pick |= b.bits(b.feq(e.max_at[h], at)) << (h * half);
        }
        pick &= e.candidates;
        if pick == 0 {
            continue;
        }
        // The neighbours of the lanes, clipped to the row: the lanes whose
        // neighbour falls off the row are edge lanes, never candidates.
        let nx = x as isize + dx;
        let ny = (y as isize + dy) as usize;
        let (from, skip) = if nx < 0 { (0, 1) } else { (nx as usize, 0) };
        let n = (B::LANES - skip).min(p.width - from);
        let both = scratch.a.bits::<B, L>(b, pair.a, p, from, ny, n)
            & scratch.b.bits::<B, L>(b, pair.b, p, from, ny, n);
        aa |= pick & (both << skip);
    }
    aa
}

/// Per-thread memory of the kernel: which pixels have many siblings, in
/// each image, for the rows around the one being compared.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    a: SiblingRows,
    b: SiblingRows,
}

/// pixelmatch's `hasManySiblings` for every pixel of a few rows, computed a
/// 64-column group at a time on first use. Rows are kept in a ring of four
/// slots: the kernel asks only about the row it compares and the two
/// around it.
#[derive(Debug, Default)]
struct SiblingRows {
    slots: Vec<Slot>,
}

#[derive(Debug, Default)]
struct Slot {
    row: Option<usize>,
    /// One bit per 64-column group: computed yet?
    done: Vec<u64>,
    /// One bit per pixel.
    bits: Vec<u64>,
}

impl SiblingRows {
    /// Bits for the `n` pixels from `(x, y)` on (all in one row): set when
    /// the pixel has many siblings in `img`.
    #[inline(always)]
    fn bits<B: Backend, L: Layout>(
        &mut self,
        b: B,
        img: &[u8],
        p: &Params,
        x: usize,
        y: usize,
        n: usize,
    ) -> u32 {
        let groups = p.width.div_ceil(64);
        if self.slots.is_empty() {
            self.slots = (0..4)
                .map(|_| Slot {
                    row: None,
                    done: vec![0; groups.div_ceil(64)],
                    bits: vec![0; groups],
                })
                .collect();
        }
        let slot = &mut self.slots[y % 4];
        if slot.row != Some(y) {
            slot.row = Some(y);
            slot.done.fill(0);
        }
        let (g0, g1) = (x / 64, (x + n - 1) / 64);
        for g in g0..=g1.min(groups - 1) {
            if slot.done[g / 64] & (1 << (g % 64)) == 0 {
                slot.bits[g] = group_siblings::<B, L>(b, img, p, y, g);
                slot.done[g / 64] |= 1 << (g % 64);
            }
        }
        let off = x % 64;
        let mut word = slot.bits[g0] >> off;
        if off + n > 64 && g0 + 1 < groups {
            word |= slot.bits[g0 + 1] << (64 - off);
        }
        (word as u32) & lane_bits(0..n)
    }
}

/// `hasManySiblings` for the pixels of group `g` of row `y`, one bit each.
#[inline(always)]
fn group_siblings<B: Backend, L: Layout>(b: B, img: &[u8], p: &Params, y: usize, g: usize) -> u64 {
    let (w, h) = (p.width, p.height);
    let view = L::view(img);
    let same = b.splat(L::SAME_MASK);
    let (start, end) = (g * 64, (g * 64 + 64).min(w));
    let mut word = 0u64;
    let mut x = start;
    while x < end {
        let i = y * w + x;
        let fits = y >= 1 && i > w && i + w + B::LANES < w * h && x + B::LANES <= end;
        if !fits {
            word |= u64::from(has_many_siblings(view, x, y, w, h)) << (x - start);
            x += 1;
            continue;
        }
        let c = b.load(&img[i * 4..]);
        // Count equal neighbours per lane, saturating at three, on bits.
        let (mut ones, mut twos, mut threes) = (0u32, 0u32, 0u32);
        for &(dx, dy) in &NEIGHBOURS {
            let j = (i as isize + dy * w as isize + dx) as usize;
            let eq = b.same_bits(c, b.load(&img[j * 4..]), same);
            threes |= twos & eq;
            twos |= ones & eq;
            ones |= eq;
        }
        let mut lanes = u64::from(threes & lane_bits(0..B::LANES));
        // The first and last column have a clipped neighbourhood.
        for lane in [0, B::LANES - 1] {
            let px = x + lane;
            if px == 0 || px == w - 1 {
                lanes &= !(1 << lane);
                lanes |= u64::from(has_many_siblings(view, px, y, w, h)) << lane;
            }
        }
        word |= lanes << (x - start);
        x += B::LANES;
    }
    word
}
