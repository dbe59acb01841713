//! pixelmatch's anti-aliasing detector for a vector of pixels.
//!
//! pixelmatch asks, for a pixel over the threshold, whether it looks like
//! anti-aliasing in the first image and, if not, in the second. In one
//! image the answer is yes when the pixel has at most two equal neighbours,
//! both a darker and a brighter one, and its darkest or its brightest
//! neighbour has three or more equal neighbours ("many siblings") in both
//! images. The kernel answers the same question for all lanes at once, in
//! this order of cost:
//!
//! 1. Sibling bits of the rows around the vector, in each image, computed
//!    once per block of pixels and row ([`SiblingRows`]).
//! 2. A lane none of whose neighbours has many siblings in both images is
//!    not anti-aliasing in either image, whatever the brightness scan
//!    would find. On photos and gradients this settles most lanes.
//! 3. A lane whose centre has many siblings in an image is not
//!    anti-aliasing in that image: its equal neighbours are the zero
//!    brightness deltas pixelmatch counts (for opaque pixels a delta is 0
//!    exactly when the colours are equal; a test checks every possible
//!    channel difference).
//! 4. The brightness scan of the eight neighbours in doubles, with the
//!    positions of the darkest and the brightest, and the sibling test at
//!    those positions as bit lookups.

#![forbid(unsafe_code)]

use super::super::kernel::{Pair, Params};
use super::super::metric::{Layout, Y_B, Y_G, Y_R, antialiased, has_many_siblings};
use super::Backend;
use super::scan::{ALPHA, NEIGHBOURS, lane_bits, set_lanes, weigh_add};

/// Which of the `need` lanes of the vector at `(x, y)` are anti-aliasing in
/// either image; `ca` and `cb` are the vector's pixels in each image, all
/// opaque.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn anti_aliased<B: Backend, L: Layout>(
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

    // Bit k of row r: column x - 1 + k of row y - 1 + r has many siblings.
    let sa = scratch.a.around::<B, L>(b, pair.a, p, x, y);
    let sb = scratch.b.around::<B, L>(b, pair.b, p, x, y);
    let both = [sa[0] & sb[0], sa[1] & sb[1], sa[2] & sb[2]];

    // Lane j's neighbours are bits j to j + 2 of the rows above and below,
    // and bits j and j + 2 of its own row.
    let vertical = both[0] | both[2];
    let near = vertical | vertical >> 1 | vertical >> 2 | both[1] | both[1] >> 2;
    let need = need & near;
    if need == 0 {
        return aa;
    }
    let row = B::LANES + 2;
    let around = u64::from(both[0]) | u64::from(both[1]) << row | u64::from(both[2]) << (2 * row);

    let need_a = need & !(sa[1] >> 1);
    if need_a != 0 {
        aa |= match scan::<B, L>(b, pair.a, p, i, ca, need_a, around) {
            Some(found) => found,
            None => in_a(need_a),
        };
    }
    // pixelmatch asks about the second image only when the first said no.
    let need_b = need & !aa & !(sb[1] >> 1);
    if need_b != 0 {
        aa |= match scan::<B, L>(b, pair.b, p, i, cb, need_b, around) {
            Some(found) => found,
            None => in_b(need_b),
        };
    }
    aa
}

/// The brightness scan of pixelmatch's `antialiased` over the neighbours of
/// the lanes starting at pixel `i` of `img` (centres `c`), and the sibling
/// test at the darkest and brightest neighbour, read from `around` (the
/// three rows of both-image sibling bits, `LANES + 2` bits each). Returns
/// the `need` lanes that are anti-aliasing in `img`, or `None` when a
/// neighbour of one of them is translucent (the caller then asks the
/// scalar code).
///
/// The caller has already ruled out lanes with three or more equal
/// neighbours, so pixelmatch's count of zero deltas is not kept here.
#[inline(always)]
fn scan<B: Backend, L: Layout>(
    b: B,
    img: &[u8],
    p: &Params,
    i: usize,
    c: B::P,
    need: u32,
    around: u64,
) -> Option<u32> {
    let row = B::LANES + 2;
    let (cr, cg, cbl) = (
        b.channel(c, L::R_SHIFT),
        b.channel(c, L::G_SHIFT),
        b.channel(c, L::B_SHIFT),
    );
    let zero = b.fsplat(0.0);
    let (mut min, mut max) = ([zero; 2], [zero; 2]);
    let (mut min_at, mut max_at) = ([zero; 2], [zero; 2]);
    let alpha = b.splat(ALPHA);
    let mut translucent = 0;

    let rows = three_rows::<B>(img, p.width, i);
    for &(dx, dy) in &NEIGHBOURS {
        let n = b.load(&rows[(dy + 1) as usize][(dx + 1) as usize * 4..]);
        if !L::ALWAYS_OPAQUE {
            translucent |= !b.same_bits(n, alpha, alpha);
        }
        let dr = b.widen(b.sub(cr, b.channel(n, L::R_SHIFT)));
        let dg = b.widen(b.sub(cg, b.channel(n, L::G_SHIFT)));
        let db = b.widen(b.sub(cbl, b.channel(n, L::B_SHIFT)));
        // Where this neighbour's bit lies in `around`, counted from the
        // lane's own column.
        let at = b.fbits(((dy + 1) as usize * row + (dx + 1) as usize) as u64);
        for h in 0..2 {
            let delta = weigh_add(b, dr[h], Y_R, dg[h], Y_G, db[h], Y_B);
            // pixelmatch's if / else if chain: a zero delta is never below
            // the minimum (at most 0) nor above the maximum (at least 0),
            // and a delta below the minimum is never above the maximum, so
            // the two tests are independent. Strict comparisons keep the
            // first of equal neighbours, as pixelmatch does.
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
    let mut aa = 0;
    for h in 0..2 {
        let darker_and_brighter = b.mand(b.flt(min[h], zero), b.fgt(max[h], zero));
        let siblings = b.mor(
            b.bit_at(around, min_at[h], h),
            b.bit_at(around, max_at[h], h),
        );
        aa |= b.bits(b.mand(darker_and_brighter, siblings)) << (h * half);
    }
    Some(aa & need)
}

/// The bytes of the `LANES + 2` pixels from column `x - 1` to `x + LANES`
/// in the row above pixel `i` (at `(x, y)`), its own row and the row below.
/// The caller has checked that they all lie inside `img`; slicing them
/// once lets the compiler drop the bounds checks of the neighbour loads,
/// whose offsets are constants.
#[inline(always)]
fn three_rows<B: Backend>(img: &[u8], w: usize, i: usize) -> [&[u8]; 3] {
    let len = (B::LANES + 2) * 4;
    let (above, own, below) = ((i - w - 1) * 4, (i - 1) * 4, (i + w - 1) * 4);
    [
        &img[above..above + len],
        &img[own..own + len],
        &img[below..below + len],
    ]
}

/// Per-thread memory of the kernel: which pixels have many siblings, in
/// each image, for the rows around the one being compared.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    a: SiblingRows,
    b: SiblingRows,
}

/// pixelmatch's `hasManySiblings` for the pixels of a few rows, computed
/// 64 columns at a time on first use (one check of the cache per word,
/// rather than per vector, keeps the lookups cheap on dense changes). Rows are kept in a ring
/// of four slots: the kernel asks only about the row it compares and the
/// two around it.
#[derive(Debug, Default)]
struct SiblingRows {
    slots: Vec<Slot>,
}

#[derive(Debug)]
struct Slot {
    /// The row held, `usize::MAX` for none.
    row: usize,
    /// One bit per word of `bits`: computed yet?
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

    /// Bits for the `n` pixels from `(x, y)` on (all in one row, at most
    /// 32): set when the pixel has many siblings in `img`.
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
        let words = p.width.div_ceil(64);
        if self.slots.is_empty() {
            self.slots = (0..4)
                .map(|_| Slot {
                    row: usize::MAX,
                    done: vec![0; words.div_ceil(64)],
                    bits: vec![0; words],
                })
                .collect();
        }
        let slot = &mut self.slots[y % 4];
        if slot.row != y {
            slot.row = y;
            slot.done.fill(0);
        }
        for k in x / 64..=(x + n - 1) / 64 {
            if slot.done[k / 64] & (1 << (k % 64)) == 0 {
                slot.done[k / 64] |= 1 << (k % 64);
                slot.bits[k] = word_siblings::<B, L>(b, img, p, y, k * 64);
            }
        }
        let off = x % 64;
        let mut word = slot.bits[x / 64] >> off;
        if off + n > 64 {
            word |= slot.bits[x / 64 + 1] << (64 - off);
        }
        (word as u32) & lane_bits(0..n)
    }
}

/// `hasManySiblings` for the pixels of row `y` from column `x0` on, up to
/// 64 of them (fewer at the end of the row), one bit each.
#[inline(always)]
fn word_siblings<B: Backend, L: Layout>(b: B, img: &[u8], p: &Params, y: usize, x0: usize) -> u64 {
    let mut word = 0;
    let mut x = x0;
    while x < (x0 + 64).min(p.width) {
        word |= block_siblings::<B, L>(b, img, p, y, x) << (x - x0);
        x += B::LANES;
    }
    word
}

/// `hasManySiblings` for the pixels of row `y` from column `x0` on, up to
/// `LANES` of them (fewer at the end of the row), one bit each.
#[inline(always)]
fn block_siblings<B: Backend, L: Layout>(b: B, img: &[u8], p: &Params, y: usize, x0: usize) -> u64 {
    let (w, h) = (p.width, p.height);
    let view = L::view(img);
    let i = y * w + x0;
    let fits = i > w && i + w + B::LANES < w * h && x0 + B::LANES <= w;
    if !fits {
        let mut word = 0;
        for x in x0..(x0 + B::LANES).min(w) {
            word |= u64::from(has_many_siblings(view, x, y, w, h)) << (x - x0);
        }
        return word;
    }

    // Count equal neighbours per lane, saturating at three, on bits.
    let same = b.splat(L::SAME_MASK);
    let rows = three_rows::<B>(img, w, i);
    let c = b.load(&rows[1][4..]);
    let (mut ones, mut twos, mut threes) = (0u32, 0u32, 0u32);
    for &(dx, dy) in &NEIGHBOURS {
        let n = b.load(&rows[(dy + 1) as usize][(dx + 1) as usize * 4..]);
        let eq = b.same_bits(c, n, same);
        threes |= twos & eq;
        twos |= ones & eq;
        ones |= eq;
    }
    let mut word = u64::from(threes & lane_bits(0..B::LANES));
    // The first and last column have a clipped neighbourhood (the first
    // and last row never get here: `fits` needs a row above and below).
    for lane in [0, B::LANES - 1] {
        let x = x0 + lane;
        if x == 0 || x == w - 1 {
            word &= !(1 << lane);
            word |= u64::from(has_many_siblings(view, x, y, w, h)) << lane;
        }
    }
    word
}

#[cfg(test)]
mod tests {
    use super::super::super::metric::luma;

    /// The kernel leaves out pixelmatch's count of zero brightness deltas
    /// and relies on the centre's sibling bit instead. That is the same
    /// thing only if two opaque colours that differ never have a luma
    /// difference of exactly 0: checked here for every channel difference,
    /// in the order `luma` adds them.
    #[test]
    fn only_equal_opaque_colours_have_a_zero_luma_delta() {
        let mut zeroes = Vec::new();
        for dr in -255i32..=255 {
            for dg in -255i32..=255 {
                for db in -255i32..=255 {
                    let delta = luma(f64::from(dr), f64::from(dg), f64::from(db));
                    if delta == 0.0 && (dr, dg, db) != (0, 0, 0) {
                        zeroes.push((dr, dg, db));
                    }
                }
            }
        }
        assert_eq!(zeroes, [], "channel differences with a zero luma delta");
    }
}
