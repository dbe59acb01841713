//! The AVX2 backend: 8 pixels a vector, doubles 4 at a time, masks as
//! vectors of all-ones lanes.

use std::arch::x86_64::*;
use std::ops::{ControlFlow, Range};

use super::super::kernel::{Pair, Params};
use super::super::metric::Layout;
use super::super::sink::Sink;
use super::{Backend, Scratch, scan};

/// Proof that the processor runs AVX2 (and the scalar bit instructions that
/// come with every such processor). Only [`Avx2::detect`] makes one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2(());

impl Avx2 {
    pub fn detect() -> Option<Avx2> {
        let ok = is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("popcnt")
            && is_x86_feature_detected!("bmi1")
            && is_x86_feature_detected!("lzcnt");
        ok.then_some(Avx2(()))
    }
}

/// The kernel compiled for AVX2.
#[target_feature(enable = "avx2,popcnt,bmi1,lzcnt")]
fn row_avx2<L: Layout>(
    t: Avx2,
    pair: &Pair<'_>,
    p: &Params,
    y: usize,
    spans: &[Range<usize>],
    scratch: &mut Scratch,
    sink: &mut dyn Sink,
) -> ControlFlow<()> {
    scan::row::<Avx2, L>(t, pair, p, y, spans, scratch, sink)
}

/// Compares the `spans` of row `y` with the AVX2 kernel.
#[inline]
pub(super) fn row<L: Layout>(
    t: Avx2,
    pair: &Pair<'_>,
    p: &Params,
    y: usize,
    spans: &[Range<usize>],
    scratch: &mut Scratch,
    sink: &mut dyn Sink,
) -> ControlFlow<()> {
    // SAFETY: `t` exists only when `detect` found every feature `row_avx2`
    // is compiled for.
    unsafe { row_avx2::<L>(t, pair, p, y, spans, scratch, sink) }
}

/// Whether the first 256 bytes of `a` and `b` agree on the bits of `same`
/// in every 32-bit word, with 32-byte loads. The AVX-512 backend uses it
/// too: on the processors measured, streaming two frames from cache with
/// 64-byte loads ran at half the speed of 32-byte loads.
#[inline(always)]
pub(super) fn same_group_256(_: Avx2, a: &[u8], b: &[u8], same: u32) -> bool {
    let (a, b) = (&a[..256], &b[..256]);
    let (pa, pb) = (a.as_ptr().cast::<__m256i>(), b.as_ptr().cast::<__m256i>());
    // SAFETY: both slices hold the 256 bytes read (eight unaligned 32-byte
    // loads), and the token proves AVX2.
    unsafe {
        let mut acc = _mm256_xor_si256(_mm256_loadu_si256(pa), _mm256_loadu_si256(pb));
        for k in 1..8 {
            let x = _mm256_xor_si256(_mm256_loadu_si256(pa.add(k)), _mm256_loadu_si256(pb.add(k)));
            acc = _mm256_or_si256(acc, x);
        }
        _mm256_testz_si256(acc, _mm256_set1_epi32(same as i32)) == 1
    }
}

impl Avx2 {
    /// The token for the AVX2 half of an AVX-512 processor.
    pub(super) fn from_avx512(_: super::avx512::Avx512) -> Avx2 {
        Avx2(())
    }
}

// Every method below calls AVX or AVX2 intrinsics. SAFETY (for each
// `unsafe` block that does only that): `self` is an `Avx2` token, which
// exists only when `detect` found AVX2 on this processor.
impl Backend for Avx2 {
    const LANES: usize = 8;
    type P = __m256i;
    type F = __m256d;
    type M = __m256d;

    #[inline(always)]
    fn same_group(self, a: &[u8], b: &[u8], same: u32) -> bool {
        same_group_256(self, a, b, same)
    }

    #[inline(always)]
    fn load(self, src: &[u8]) -> __m256i {
        let src = &src[..32];
        // SAFETY: `src` holds the 32 bytes read (unaligned load), and the
        // token proves AVX.
        unsafe { _mm256_loadu_si256(src.as_ptr().cast()) }
    }

    #[inline(always)]
    fn splat(self, v: u32) -> __m256i {
        // SAFETY: see the impl.
        unsafe { _mm256_set1_epi32(v as i32) }
    }

    #[inline(always)]
    fn xor(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: see the impl.
        unsafe { _mm256_xor_si256(a, b) }
    }

    #[inline(always)]
    fn any_bits(self, v: __m256i, mask: __m256i) -> u32 {
        // SAFETY: see the impl.
        unsafe {
            let zero = _mm256_cmpeq_epi32(_mm256_and_si256(v, mask), _mm256_setzero_si256());
            !(_mm256_movemask_ps(_mm256_castsi256_ps(zero)) as u32) & 0xFF
        }
    }

    #[inline(always)]
    fn same_bits(self, a: __m256i, b: __m256i, mask: __m256i) -> u32 {
        // SAFETY: see the impl.
        unsafe {
            let diff = _mm256_and_si256(_mm256_xor_si256(a, b), mask);
            let zero = _mm256_cmpeq_epi32(diff, _mm256_setzero_si256());
            _mm256_movemask_ps(_mm256_castsi256_ps(zero)) as u32
        }
    }

    #[inline(always)]
    fn channel(self, v: __m256i, shift: u32) -> __m256i {
        // SAFETY: see the impl.
        unsafe {
            let shifted = _mm256_srl_epi32(v, _mm_cvtsi32_si128(shift as i32));
            _mm256_and_si256(shifted, _mm256_set1_epi32(0xFF))
        }
    }

    #[inline(always)]
    fn sub(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: see the impl.
        unsafe { _mm256_sub_epi32(a, b) }
    }

    #[inline(always)]
    fn widen(self, v: __m256i) -> [__m256d; 2] {
        // SAFETY: see the impl.
        unsafe {
            [
                _mm256_cvtepi32_pd(_mm256_castsi256_si128(v)),
                _mm256_cvtepi32_pd(_mm256_extracti128_si256::<1>(v)),
            ]
        }
    }

    #[inline(always)]
    fn fsplat(self, x: f64) -> __m256d {
        // SAFETY: see the impl.
        unsafe { _mm256_set1_pd(x) }
    }

    #[inline(always)]
    fn fadd(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: see the impl.
        unsafe { _mm256_add_pd(a, b) }
    }

    #[inline(always)]
    fn fsub(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: see the impl.
        unsafe { _mm256_sub_pd(a, b) }
    }

    #[inline(always)]
    fn fmul(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: see the impl.
        unsafe { _mm256_mul_pd(a, b) }
    }

    #[inline(always)]
    fn flt(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: see the impl.
        unsafe { _mm256_cmp_pd::<_CMP_LT_OQ>(a, b) }
    }

    #[inline(always)]
    fn fgt(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: see the impl.
        unsafe { _mm256_cmp_pd::<_CMP_GT_OQ>(a, b) }
    }

    #[inline(always)]
    fn mand(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: see the impl.
        unsafe { _mm256_and_pd(a, b) }
    }

    #[inline(always)]
    fn select(self, m: __m256d, t: __m256d, f: __m256d) -> __m256d {
        // SAFETY: see the impl.
        unsafe { _mm256_blendv_pd(f, t, m) }
    }

    #[inline(always)]
    fn mor(self, a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: see the impl.
        unsafe { _mm256_or_pd(a, b) }
    }

    #[inline(always)]
    fn fbits(self, v: u64) -> __m256d {
        // SAFETY: see the impl.
        unsafe { _mm256_castsi256_pd(_mm256_set1_epi64x(v as i64)) }
    }

    #[inline(always)]
    fn bit_at(self, word: u64, at: __m256d, h: usize) -> __m256d {
        // SAFETY: see the impl.
        unsafe {
            let lane = _mm256_setr_epi64x(0, 1, 2, 3);
            let first = _mm256_set1_epi64x((h * 4) as i64);
            let shift = _mm256_add_epi64(_mm256_castpd_si256(at), _mm256_add_epi64(lane, first));
            let bits = _mm256_srlv_epi64(_mm256_set1_epi64x(word as i64), shift);
            let one = _mm256_set1_epi64x(1);
            _mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_and_si256(bits, one), one))
        }
    }

    #[inline(always)]
    fn bits(self, m: __m256d) -> u32 {
        // SAFETY: see the impl.
        unsafe { _mm256_movemask_pd(m) as u32 }
    }
}
