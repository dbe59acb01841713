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
    for span in spans {
        let mut base = span.start & !63;
        while base < span.end {
            let cols = span.start.max(base)..span.end.min(base + 64);
            if cols.start == base && cols.end == base + 64 {
                // The common case, and the one that must run at memory
                // speed: a whole group, most likely unchanged.
                if b.same_group(&ra[base * 4..], &rb[base * 4..], L::SAME_MASK) {
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

    // pixelmatch's colorDelta, operation for operation. (No closures in
    // this module: a closure is a function of its own, without the target
    // features, and the intrinsics it calls would not be inlined.)
    let dr = channel_delta::<B>(b, ca, cb, L::R_SHIFT);
    let dg = channel_delta::<B>(b, ca, cb, L::G_SHIFT);
    let db = channel_delta::<B>(b, ca, cb, L::B_SHIFT);
    let half = B::LANES / 2;
    let max_delta = b.fsplat(p.max_delta);
    let zero = b.fsplat(0.0);
    let (mut over, mut darker) = (0, 0);
    for h in 0..2 {
        let (r, g, bl) = (dr[h], dg[h], db[h]);
        let yy = weigh_add(b, r, Y_R, g, Y_G, bl, Y_B);
        let ii = b.fsub(
            b.fsub(b.fmul(r, b.fsplat(I_R)), b.fmul(g, b.fsplat(I_G))),
            b.fmul(bl, b.fsplat(I_B)),
        );
        let qq = b.fadd(
            b.fsub(b.fmul(r, b.fsplat(Q_R)), b.fmul(g, b.fsplat(Q_G))),
            b.fmul(bl, b.fsplat(Q_B)),
        );
        let d = b.fadd(
            b.fadd(
                b.fmul(b.fmul(b.fsplat(DELTA_Y), yy), yy),
                b.fmul(b.fmul(b.fsplat(DELTA_I), ii), ii),
            ),
            b.fmul(b.fmul(b.fsplat(DELTA_Q), qq), qq),
        );
        over |= b.bits(b.fgt(d, max_delta)) << (h * half);
        // The returned delta is negative (the second image darker) when
        // the luma difference is positive.
        darker |= b.bits(b.fgt(yy, zero)) << (h * half);
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

/// The difference of one channel of `c` and `n`, as doubles.
#[inline(always)]
fn channel_delta<B: Backend>(b: B, c: B::P, n: B::P, shift: u32) -> [B::F; 2] {
    b.widen(b.sub(b.channel(c, shift), b.channel(n, shift)))
}

/// `r * wr + g * wg + bl * wb`, in that order.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn weigh_add<B: Backend>(b: B, r: B::F, wr: f64, g: B::F, wg: f64, bl: B::F, wb: f64) -> B::F {
    b.fadd(
        b.fadd(b.fmul(r, b.fsplat(wr)), b.fmul(g, b.fsplat(wg))),
        b.fmul(bl, b.fsplat(wb)),
    )
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
    let in_a = |lanes: u32| {
        let mut aa = 0;
        for lane in set_lanes(lanes) {
            if antialiased(va, vb, x + lane, y, w, h, p.checkerboard) {
                aa |= 1 << lane;
            }
        }
        aa
    };
    let in_b = |lanes: u32| {
        let mut aa = 0;
        for lane in set_lanes(lanes) {
            if antialiased(vb, va, x + lane, y, w, h, p.checkerboard) {
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
    let fits = i > w && i + w + B::LANES < w * h && x + B::LANES <= w;
    if !fits {
        let aa = in_a(need);
        return aa | in_b(need & !aa);
    }
    let mut edges = 0;
    if x == 0 {
        edges |= 1;
    }
    if x + B::LANES == w {
        edges |= 1 << (B::LANES - 1);
    }
    let mut aa = in_a(need & edges);
    aa |= in_b(need & edges & !aa);
    let need = need & !edges;
    if need == 0 {
        return aa;
    }

    // Which pixels around the lanes have many siblings, in each image and
    // in both. A centre with three equal neighbours has at least three
    // zero brightness deltas, so it is not anti-aliasing in that image: in
    // flat areas this spares the whole brightness scan.
    let sa = scratch.a.around::<B, L>(b, pair.a, p, x, y);
    let sb = scratch.b.around::<B, L>(b, pair.b, p, x, y);
    let both = [sa[0] & sb[0], sa[1] & sb[1], sa[2] & sb[2]];

    let need_a = need & !(sa[1] >> 1);
    if need_a != 0 {
        aa |= match extremes::<B, L>(b, pair.a, p, i, ca, need_a) {
            Some(e) => siblings::<B>(b, &e, &both),
            None => in_a(need_a),
        };
    }
    // pixelmatch asks about the second image only when the first said no.
    let need_b = need & !aa & !(sb[1] >> 1);
    if need_b != 0 {
        aa |= match extremes::<B, L>(b, pair.b, p, i, cb, need_b) {
            Some(e) => siblings::<B>(b, &e, &both),
            None => in_b(need_b),
        };
    }
    aa
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
    let zero = b.fsplat(0.0);
    let mut zeroes = [zero; 2];
    let (mut min, mut max) = ([zero; 2], [zero; 2]);
    let (mut min_at, mut max_at) = ([b.fsplat(-1.0); 2], [b.fsplat(-1.0); 2]);
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
        let at = b.fsplat(d as f64);
        for h in 0..2 {
            let delta = weigh_add(b, dr[h], Y_R, dg[h], Y_G, db[h], Y_B);
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
        let few_equal = b.fle(zeroes[h], b.fsplat(2.0));
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
/// three or more equal neighbours in both images. `both[r]` holds that
/// property for row `y - 1 + r`, bit `k` for column `x - 1 + k`.
#[inline(always)]
fn siblings<B: Backend>(b: B, e: &Extremes<B::F>, both: &[u32; 3]) -> u32 {
    if e.candidates == 0 {
        return 0;
    }
    let half = B::LANES / 2;
    let lanes = lane_bits(0..B::LANES);
    let mut aa = 0;
    for (d, &(dx, dy)) in NEIGHBOURS.iter().enumerate() {
        let at = b.fsplat(d as f64);
        let mut pick = 0;
        for h in 0..2 {
            pick |= b.bits(b.feq(e.min_at[h], at)) << (h * half);
            pick |= b.bits(b.feq(e.max_at[h], at)) << (h * half);
        }
        pick &= e.candidates;
        if pick != 0 {
            // Lane j's neighbour is column x + j + dx: bit j + dx + 1.
            let sib = (both[(dy + 1) as usize] >> (dx + 1)) & lanes;
            aa |= pick & sib;
        }
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
    /// Bits for rows `y - 1` to `y + 1`, columns `x - 1` to `x + LANES`
    /// (bit `k` for column `x - 1 + k`; columns off the row read as 0).
    /// Row `y` must not be the first or the last.
    #[inline(always)]
    fn around<B: Backend, L: Layout>(
        &mut self,
        b: B,
        img: &[u8],
        p: &Params,
        x: usize,
        y: usize,
    ) -> [u32; 3] {
        let (from, skip) = if x == 0 { (0, 1) } else { (x - 1, 0) };
        let n = (B::LANES + 2 - skip).min(p.width - from);
        [
            self.bits::<B, L>(b, img, p, from, y - 1, n) << skip,
            self.bits::<B, L>(b, img, p, from, y, n) << skip,
            self.bits::<B, L>(b, img, p, from, y + 1, n) << skip,
        ]
    }

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
