//! The background of the diff image: every pixel of the first frame as
//! pixelmatch draws an unchanged one (its luma, faded towards white), or
//! transparent for a diff mask. The kernels then paint the findings over it.

#![forbid(unsafe_code)]

use super::metric::{Pixels, gray};

/// Fills `out` (RGBA rows of the diff image) with the faded first image,
/// read from `img` starting at pixel `first`.
pub(crate) fn fade<P: Pixels>(img: P, first: usize, alpha: f64, out: &mut [u8]) {
    for (n, px) in out.chunks_exact_mut(4).enumerate() {
        let v = gray(img.rgba(first + n), alpha);
        px.copy_from_slice(&[v, v, v, 255]);
    }
}
