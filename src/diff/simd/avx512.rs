//! The AVX-512 backend: 16 pixels a vector, doubles 8 at a time, masks in
//! mask registers.

use std::arch::x86_64::*;
use std::ops::{ControlFlow, Range};

use super::super::kernel::{Pair, Params};
use super::super::metric::Layout;
use super::super::sink::Sink;
use super::{Backend, Scratch, scan};

/// Proof that the processor runs AVX-512F (and the scalar bit instructions
/// that come with every such processor). Only [`Avx512::detect`] makes one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx512(());

impl Avx512 {
    pub fn detect() -> Option<Avx512> {
        let ok = is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("popcnt")
            && is_x86_feature_detected!("bmi1")
            && is_x86_feature_detected!("lzcnt");
        ok.then_some(Avx512(()))
    }
}

/// The kernel compiled for AVX-512.
#[target_feature(enable = "avx512f,avx2,popcnt,bmi1,lzcnt")]
fn row_avx512<L: Layout>(
    t: Avx512,
    pair: &Pair<'_>,
    p: &Params,
    y: usize,
    spans: &[Range<usize>],
    scratch: &mut Scratch,
    sink: &mut dyn Sink,
) -> ControlFlow<()> {
    scan::row::<Avx512, L>(t, pair, p, y, spans, scratch, sink)
}

/// Compares the `spans` of row `y` with the AVX-512 kernel.
#[inline]
pub(super) fn row<L: Layout>(
    t: Avx512,
    pair: &Pair<'_>,
    p: &Params,
    y: usize,
    spans: &[Range<usize>],
    scratch: &mut Scratch,
    sink: &mut dyn Sink,
) -> ControlFlow<()> {
    // SAFETY: `t` exists only when `detect` found every feature
    // `row_avx512` is compiled for.
    unsafe { row_avx512::<L>(t, pair, p, y, spans, scratch, sink) }
}

// Every method below calls AVX-512F intrinsics. SAFETY (for each `unsafe`
// block that does only that): `self` is an `Avx512` token, which exists
// only when `detect` found AVX-512F on this processor.
impl Backend for Avx512 {
    const LANES: usize = 16;
    type P = __m512i;
    type F = __m512d;
    type M = __mmask8;

    #[inline(always)]
    fn same_group(self, a: &[u8], b: &[u8], same: u32) -> bool {
        super::avx2::same_group_256(super::avx2::Avx2::from_avx512(self), a, b, same)
    }

    #[inline(always)]
    fn load(self, src: &[u8]) -> __m512i {
        let src = &src[..64];
        // SAFETY: `src` holds the 64 bytes read (unaligned load), and the
        // token proves AVX-512F.
        unsafe { _mm512_loadu_si512(src.as_ptr().cast()) }
    }

    #[inline(always)]
    fn splat(self, v: u32) -> __m512i {
        // SAFETY: see the impl.
        unsafe { _mm512_set1_epi32(v as i32) }
    }

    #[inline(always)]
    fn xor(self, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: see the impl.
        unsafe { _mm512_xor_si512(a, b) }
    }

    #[inline(always)]
    fn any_bits(self, v: __m512i, mask: __m512i) -> u32 {
        // SAFETY: see the impl.
        u32::from(unsafe { _mm512_test_epi32_mask(v, mask) })
    }

    #[inline(always)]
    fn same_bits(self, a: __m512i, b: __m512i, mask: __m512i) -> u32 {
        // SAFETY: see the impl.
        u32::from(unsafe { _mm512_testn_epi32_mask(_mm512_xor_si512(a, b), mask) })
    }

    #[inline(always)]
    fn channel(self, v: __m512i, shift: u32) -> __m512i {
        // SAFETY: see the impl.
        unsafe {
            let shifted = _mm512_srl_epi32(v, _mm_cvtsi32_si128(shift as i32));
            _mm512_and_si512(shifted, _mm512_set1_epi32(0xFF))
        }
    }

    #[inline(always)]
    fn sub(self, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: see the impl.
        unsafe { _mm512_sub_epi32(a, b) }
    }

    #[inline(always)]
    fn widen(self, v: __m512i) -> [__m512d; 2] {
        // SAFETY: see the impl.
        unsafe {
            [
                _mm512_cvtepi32_pd(_mm512_castsi512_si256(v)),
                _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64::<1>(v)),
            ]
        }
    }

    #[inline(always)]
    fn fsplat(self, x: f64) -> __m512d {
        // SAFETY: see the impl.
        unsafe { _mm512_set1_pd(x) }
    }

    #[inline(always)]
    fn fadd(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: see the impl.
        unsafe { _mm512_add_pd(a, b) }
    }

    #[inline(always)]
    fn fsub(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: see the impl.
        unsafe { _mm512_sub_pd(a, b) }
    }

    #[inline(always)]
    fn fmul(self, a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: see the impl.
        unsafe { _mm512_mul_pd(a, b) }
    }

    #[inline(always)]
    fn flt(self, a: __m512d, b: __m512d) -> __mmask8 {
        // SAFETY: see the impl.
        unsafe { _mm512_cmp_pd_mask::<_CMP_LT_OQ>(a, b) }
    }

    #[inline(always)]
    fn fgt(self, a: __m512d, b: __m512d) -> __mmask8 {
        // SAFETY: see the impl.
        unsafe { _mm512_cmp_pd_mask::<_CMP_GT_OQ>(a, b) }
    }

    #[inline(always)]
    fn mand(self, a: __mmask8, b: __mmask8) -> __mmask8 {
        a & b
    }

    #[inline(always)]
    fn select(self, m: __mmask8, t: __m512d, f: __m512d) -> __m512d {
        // SAFETY: see the impl.
        unsafe { _mm512_mask_blend_pd(m, f, t) }
    }

    #[inline(always)]
    fn mor(self, a: __mmask8, b: __mmask8) -> __mmask8 {
        a | b
    }

    #[inline(always)]
    fn fbits(self, v: u64) -> __m512d {
        // SAFETY: see the impl.
        unsafe { _mm512_castsi512_pd(_mm512_set1_epi64(v as i64)) }
    }

    #[inline(always)]
    fn bit_at(self, word: u64, at: __m512d, h: usize) -> __mmask8 {
        // SAFETY: see the impl.
        unsafe {
            let lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
            let first = _mm512_set1_epi64((h * 8) as i64);
            let shift = _mm512_add_epi64(_mm512_castpd_si512(at), _mm512_add_epi64(lane, first));
            let bits = _mm512_srlv_epi64(_mm512_set1_epi64(word as i64), shift);
            _mm512_test_epi64_mask(bits, _mm512_set1_epi64(1))
        }
    }

    #[inline(always)]
    fn bits(self, m: __mmask8) -> u32 {
        u32::from(m)
    }
}
