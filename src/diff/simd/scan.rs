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
    DELTA_I, DELTA_Q, DELTA_Y, I_B, I_G, I_R, Layout, Q_B, Q_G, Q_R, Y_B, Y_G, Y_R,
};
use super::super::scalar::{self, Verdict};
use super::super::sink::{Found, Sink};
use super::Backend;
use super::aa::{self, Scratch};

/// The eight neighbours as `(dx, dy)`, in the order pixelmatch visits them
/// (column by column): ties between equally dark or bright neighbours go to
/// the first.
pub(super) const NEIGHBOURS: [(isize, isize); 8] = [
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
pub(super) const ALPHA: u32 = 0xFF00_0000;

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
pub(super) fn lane_bits(range: Range<usize>) -> u32 {
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
pub(super) fn set_lanes(mut bits: u32) -> impl Iterator<Item = usize> {
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
        aa::anti_aliased::<B, L>(b, pair, p, x, y, ca, cb, over, scratch)
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
pub(super) fn weigh_add<B: Backend>(
    b: B,
    r: B::F,
    wr: f64,
    g: B::F,
    wg: f64,
    bl: B::F,
    wb: f64,
) -> B::F {
    b.fadd(
        b.fadd(b.fmul(r, b.fsplat(wr)), b.fmul(g, b.fsplat(wg))),
        b.fmul(bl, b.fsplat(wb)),
    )
}
