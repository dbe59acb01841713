//! The SIMD kernel: pixelmatch's loop, many pixels at a time.
//!
//! The kernel is written once ([`scan`]) over a handful of vector operations
//! ([`Backend`]), and compiled twice: for AVX2 (8 pixels a vector) and for
//! AVX-512 (16). A backend value is a token that only exists once the
//! processor has been checked for its features, so the kernel itself is
//! safe code; the `unsafe` lives in the two backends.
//!
//! Exactness: the colour and brightness deltas are computed in doubles with
//! the same operations in the same order as pixelmatch (vector multiply and
//! add round exactly like their scalar forms; no fused multiply-add is
//! used). Whatever the fast path does not cover (translucent pixels, the
//! first and last row and column, the tail of a row) goes through the
//! scalar functions of [`super::metric`].

use std::ops::{ControlFlow, Range};

use super::kernel::{Pair, Params};
use super::metric::Layout;
use super::sink::Sink;

mod aa;
#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod scan;

pub(crate) use aa::Scratch;

/// The vector operations the kernel is written in. `P` holds `LANES`
/// pixels (32-bit lanes), `F` half as many doubles, `M` a mask over the
/// lanes of an `F`.
pub(crate) trait Backend: Copy {
    /// Pixels in a vector.
    const LANES: usize;
    type P: Copy;
    type F: Copy;
    type M: Copy;

    /// Whether the 64 pixels at the start of `a` and of `b` agree on the
    /// bits of `same` in every pixel. This is the loop that must run at
    /// memory speed.
    fn same_group(self, a: &[u8], b: &[u8], same: u32) -> bool;
    /// Loads `LANES` pixels from the start of `src`, which must hold them.
    fn load(self, src: &[u8]) -> Self::P;
    fn splat(self, v: u32) -> Self::P;
    fn xor(self, a: Self::P, b: Self::P) -> Self::P;
    /// Bit `j` set when lane `j` of `v & mask` is not zero.
    fn any_bits(self, v: Self::P, mask: Self::P) -> u32;
    /// Bit `j` set when lanes `j` of `a` and `b` agree on the bits of `mask`.
    fn same_bits(self, a: Self::P, b: Self::P, mask: Self::P) -> u32;
    /// The byte at bit offset `shift` of every lane, as an integer.
    fn channel(self, v: Self::P, shift: u32) -> Self::P;
    /// Lane-wise integer subtraction.
    fn sub(self, a: Self::P, b: Self::P) -> Self::P;
    /// The integer lanes as doubles: low half, high half.
    fn widen(self, v: Self::P) -> [Self::F; 2];

    fn fsplat(self, x: f64) -> Self::F;
    fn fadd(self, a: Self::F, b: Self::F) -> Self::F;
    fn fsub(self, a: Self::F, b: Self::F) -> Self::F;
    fn fmul(self, a: Self::F, b: Self::F) -> Self::F;
    fn flt(self, a: Self::F, b: Self::F) -> Self::M;
    fn fgt(self, a: Self::F, b: Self::F) -> Self::M;
    fn mand(self, a: Self::M, b: Self::M) -> Self::M;
    fn mor(self, a: Self::M, b: Self::M) -> Self::M;
    /// `t` where `m` is set, `f` elsewhere (bits, whatever they mean).
    fn select(self, m: Self::M, t: Self::F, f: Self::F) -> Self::F;
    /// Every lane holding the 64 bits of `v`: an integer, not a double.
    fn fbits(self, v: u64) -> Self::F;
    /// For lane `j` of half `h`: whether bit `at[j] + h * LANES / 2 + j` of
    /// `word` is set, `at` holding integers made by [`Backend::fbits`]
    /// (below 64 with the lane added).
    fn bit_at(self, word: u64, at: Self::F, h: usize) -> Self::M;
    /// The mask as `LANES / 2` bits.
    fn bits(self, m: Self::M) -> u32;
}

/// A SIMD kernel this processor supports.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Vector {
    #[cfg(target_arch = "x86_64")]
    Avx2(avx2::Avx2),
    #[cfg(target_arch = "x86_64")]
    Avx512(avx512::Avx512),
}

impl Vector {
    /// The widest kernel the processor supports.
    pub fn best() -> Option<Vector> {
        Vector::avx512().or_else(Vector::avx2)
    }

    pub fn avx2() -> Option<Vector> {
        #[cfg(target_arch = "x86_64")]
        if let Some(t) = avx2::Avx2::detect() {
            return Some(Vector::Avx2(t));
        }
        None
    }

    pub fn avx512() -> Option<Vector> {
        #[cfg(target_arch = "x86_64")]
        if let Some(t) = avx512::Avx512::detect() {
            return Some(Vector::Avx512(t));
        }
        None
    }

    /// Compares the `spans` of row `y` of two frames of layout `L`.
    #[inline]
    pub fn row<L: Layout>(
        &self,
        pair: &Pair<'_>,
        p: &Params,
        y: usize,
        spans: &[Range<usize>],
        scratch: &mut Scratch,
        sink: &mut dyn Sink,
    ) -> ControlFlow<()> {
        match *self {
            #[cfg(target_arch = "x86_64")]
            Vector::Avx2(t) => avx2::row::<L>(t, pair, p, y, spans, scratch, sink),
            #[cfg(target_arch = "x86_64")]
            Vector::Avx512(t) => avx512::row::<L>(t, pair, p, y, spans, scratch, sink),
        }
    }
}
