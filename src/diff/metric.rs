//! pixelmatch's arithmetic, one pixel at a time, exactly as pixelmatch 7.2.0
//! computes it.
//!
//! pixelmatch works in IEEE doubles. Every function here performs the same
//! operations in the same order (no fused multiply-add, which Rust never
//! introduces on its own), so its results are bit for bit those of the
//! JavaScript. The SIMD kernels use these functions wherever their fast path
//! does not apply (borders, translucent pixels) and the tests hold them
//! against the scalar kernel built on them.

#![forbid(unsafe_code)]

/// Weights of the YIQ luma (Y) row.
pub(crate) const Y_R: f64 = 0.29889531;
pub(crate) const Y_G: f64 = 0.58662247;
pub(crate) const Y_B: f64 = 0.11448223;
/// Weights of the I row.
pub(crate) const I_R: f64 = 0.59597799;
pub(crate) const I_G: f64 = 0.27417610;
pub(crate) const I_B: f64 = 0.32180189;
/// Weights of the Q row.
pub(crate) const Q_R: f64 = 0.21147017;
pub(crate) const Q_G: f64 = 0.52261711;
pub(crate) const Q_B: f64 = 0.31114694;
/// Weights of the squared Y, I and Q differences in the colour delta.
pub(crate) const DELTA_Y: f64 = 0.5053;
pub(crate) const DELTA_I: f64 = 0.299;
pub(crate) const DELTA_Q: f64 = 0.1957;
/// The largest colour delta two pixels can have; `threshold` is a fraction
/// of its square root.
pub(crate) const MAX_YIQ_DELTA: f64 = 35215.0;

/// The square of the largest colour delta that still counts as equal, as
/// pixelmatch derives it from `threshold`.
pub(crate) fn max_delta(threshold: f64) -> f64 {
    MAX_YIQ_DELTA * threshold * threshold
}

/// Read access to an image's pixels as canonical RGBA, whatever the layout
/// in memory. BGRX pixels read as opaque (alpha 255).
pub(crate) trait Pixels: Copy {
    /// Pixel `i` (counted row after row) as `[r, g, b, a]`.
    fn rgba(self, i: usize) -> [u8; 4];

    /// Pixel `i` as the 32-bit word pixelmatch compares for equality
    /// (RGBA bytes in little-endian order).
    fn word(self, i: usize) -> u32 {
        u32::from_le_bytes(self.rgba(i))
    }
}

/// RGBA pixels, as PNG files give them.
#[derive(Clone, Copy)]
pub(crate) struct Rgba<'a>(pub &'a [u8]);

/// BGRX pixels, as X11 captures give them; the fourth byte is ignored.
#[derive(Clone, Copy)]
pub(crate) struct Bgrx<'a>(pub &'a [u8]);

impl Pixels for Rgba<'_> {
    #[inline(always)]
    fn rgba(self, i: usize) -> [u8; 4] {
        let p = &self.0[i * 4..i * 4 + 4];
        [p[0], p[1], p[2], p[3]]
    }
}

impl Pixels for Bgrx<'_> {
    #[inline(always)]
    fn rgba(self, i: usize) -> [u8; 4] {
        let p = &self.0[i * 4..i * 4 + 4];
        [p[2], p[1], p[0], 0xFF]
    }
}

/// Byte positions of a layout's colour channels inside a little-endian
/// 32-bit pixel word, and what makes two words equal.
pub(crate) trait Layout: Copy + 'static {
    /// Bit offsets of red, green and blue in the pixel word.
    const R_SHIFT: u32;
    const G_SHIFT: u32;
    const B_SHIFT: u32;
    /// The bits two pixel words must share to be the same pixel.
    const SAME_MASK: u32;
    /// Whether every pixel is opaque whatever its bytes say.
    const ALWAYS_OPAQUE: bool;
    /// A scalar view of an image in this layout.
    type View<'a>: Pixels;
    fn view(data: &[u8]) -> Self::View<'_>;
}

/// Marker for [`crate::frame::PixelLayout::Rgba`].
#[derive(Clone, Copy)]
pub(crate) struct RgbaLayout;

/// Marker for [`crate::frame::PixelLayout::Bgrx`].
#[derive(Clone, Copy)]
pub(crate) struct BgrxLayout;

impl Layout for RgbaLayout {
    const R_SHIFT: u32 = 0;
    const G_SHIFT: u32 = 8;
    const B_SHIFT: u32 = 16;
    const SAME_MASK: u32 = 0xFFFF_FFFF;
    const ALWAYS_OPAQUE: bool = false;
    type View<'a> = Rgba<'a>;
    fn view(data: &[u8]) -> Rgba<'_> {
        Rgba(data)
    }
}

impl Layout for BgrxLayout {
    const R_SHIFT: u32 = 16;
    const G_SHIFT: u32 = 8;
    const B_SHIFT: u32 = 0;
    const SAME_MASK: u32 = 0x00FF_FFFF;
    const ALWAYS_OPAQUE: bool = true;
    type View<'a> = Bgrx<'a>;
    fn view(data: &[u8]) -> Bgrx<'_> {
        Bgrx(data)
    }
}

/// JavaScript's `x | 0`: truncate toward zero, wrap to 32 bits.
fn js_to_int32(x: f64) -> i32 {
    if !x.is_finite() {
        return 0;
    }
    // A double below 2^63 in magnitude converts to i64 exactly after
    // truncation; byte offsets are far below that.
    (x.trunc() as i64) as u32 as i32
}

/// The colour a translucent pixel at byte offset `k` is blended over:
/// pixelmatch's checkerboard, or white.
fn background(k: usize, checkerboard: bool) -> (i32, i32, i32) {
    if !checkerboard {
        return (255, 255, 255);
    }
    let k = k as f64;
    // `k % 2` of a double; pixelmatch passes byte offsets, which are even.
    let rb = 48 + 159 * (k % 2.0) as i32;
    let gb = 48 + 159 * (js_to_int32(k / 1.618033988749895) % 2);
    let bb = 48 + 159 * (js_to_int32(k / 2.618033988749895) % 2);
    (rb, gb, bb)
}

/// The channel differences of two pixels, blended over the background when
/// either is translucent.
#[inline(always)]
fn channel_deltas(p1: [u8; 4], p2: [u8; 4], k: usize, checkerboard: bool) -> (f64, f64, f64) {
    let [r1, g1, b1, a1] = p1.map(i32::from);
    let [r2, g2, b2, a2] = p2.map(i32::from);
    if a1 < 255 || a2 < 255 {
        let (rb, gb, bb) = background(k, checkerboard);
        let da = a1 - a2;
        // The numerators are exact integers in doubles too, so only the
        // division rounds, as in pixelmatch.
        (
            f64::from(r1 * a1 - r2 * a2 - rb * da) / 255.0,
            f64::from(g1 * a1 - g2 * a2 - gb * da) / 255.0,
            f64::from(b1 * a1 - b2 * a2 - bb * da) / 255.0,
        )
    } else {
        (f64::from(r1 - r2), f64::from(g1 - g2), f64::from(b1 - b2))
    }
}

/// The luma difference of channel differences.
#[inline(always)]
pub(crate) fn luma(dr: f64, dg: f64, db: f64) -> f64 {
    dr * Y_R + dg * Y_G + db * Y_B
}

/// pixelmatch's `colorDelta`: the squared YIQ distance of two pixels known
/// to differ, negative when the second is darker. `k` is the byte offset of
/// the pixels (it picks the checkerboard square).
#[inline]
pub(crate) fn color_delta(p1: [u8; 4], p2: [u8; 4], k: usize, checkerboard: bool) -> f64 {
    let (dr, dg, db) = channel_deltas(p1, p2, k, checkerboard);
    let y = luma(dr, dg, db);
    let i = dr * I_R - dg * I_G - db * I_B;
    let q = dr * Q_R - dg * Q_G + db * Q_B;
    let delta = DELTA_Y * y * y + DELTA_I * i * i + DELTA_Q * q * q;
    if y > 0.0 { -delta } else { delta }
}

/// pixelmatch's `brightnessDelta`: the luma difference between the centre
/// pixel (at byte offset `k`) and a neighbour.
#[inline]
pub(crate) fn brightness_delta(
    center: [u8; 4],
    neighbour: [u8; 4],
    k: usize,
    checkerboard: bool,
) -> f64 {
    if center == neighbour {
        return 0.0;
    }
    let (dr, dg, db) = channel_deltas(center, neighbour, k, checkerboard);
    luma(dr, dg, db)
}

/// The 3x3 neighbourhood of `(x, y)` clipped to the image, and whether the
/// pixel sits on an edge (pixelmatch counts an edge as one equal neighbour).
#[inline(always)]
fn neighbourhood(
    x: usize,
    y: usize,
    width: usize,
    height: usize,
) -> (usize, usize, usize, usize, u32) {
    let x0 = x.saturating_sub(1);
    let y0 = y.saturating_sub(1);
    let x2 = (x + 1).min(width - 1);
    let y2 = (y + 1).min(height - 1);
    let edge = u32::from(x == x0 || x == x2 || y == y0 || y == y2);
    (x0, y0, x2, y2, edge)
}

/// pixelmatch's `hasManySiblings`: whether pixel `(x, y)` has at least three
/// equal neighbours (an edge counting as one).
pub(crate) fn has_many_siblings<P: Pixels>(
    img: P,
    x: usize,
    y: usize,
    width: usize,
    height: usize,
) -> bool {
    let (x0, y0, x2, y2, mut zeroes) = neighbourhood(x, y, width, height);
    let val = img.word(y * width + x);
    for nx in x0..=x2 {
        for ny in y0..=y2 {
            if nx == x && ny == y {
                continue;
            }
            zeroes += u32::from(val == img.word(ny * width + nx));
            if zeroes > 2 {
                return true;
            }
        }
    }
    false
}

/// What [`antialiased`] found among the neighbours of a pixel before
/// looking at siblings: the darkest and the brightest neighbour, when the
/// pixel has both and at most two equal neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Extremes {
    pub min: (usize, usize),
    pub max: (usize, usize),
}

/// The first half of pixelmatch's `antialised`: the brightness scan of the
/// eight neighbours of `(x, y)` in `img`.
pub(crate) fn extremes<P: Pixels>(
    img: P,
    x: usize,
    y: usize,
    width: usize,
    height: usize,
    checkerboard: bool,
) -> Option<Extremes> {
    let (x0, y0, x2, y2, mut zeroes) = neighbourhood(x, y, width, height);
    let i = y * width + x;
    let center = img.rgba(i);
    let k = i * 4;
    let (mut min, mut max) = (0.0, 0.0);
    let (mut min_at, mut max_at) = ((0, 0), (0, 0));

    // Column by column, as pixelmatch walks them: ties keep the first.
    for nx in x0..=x2 {
        for ny in y0..=y2 {
            if nx == x && ny == y {
                continue;
            }
            let delta = brightness_delta(center, img.rgba(ny * width + nx), k, checkerboard);
            if delta == 0.0 {
                zeroes += 1;
                if zeroes > 2 {
                    return None;
                }
            } else if delta < min {
                min = delta;
                min_at = (nx, ny);
            } else if delta > max {
                max = delta;
                max_at = (nx, ny);
            }
        }
    }

    if min == 0.0 || max == 0.0 {
        return None;
    }
    Some(Extremes {
        min: min_at,
        max: max_at,
    })
}

/// pixelmatch's `antialiased`: whether pixel `(x, y)` of `img` looks like
/// anti-aliasing, `other` being the image it is compared with.
pub(crate) fn antialiased<P: Pixels, Q: Pixels>(
    img: P,
    other: Q,
    x: usize,
    y: usize,
    width: usize,
    height: usize,
    checkerboard: bool,
) -> bool {
    let Some(e) = extremes(img, x, y, width, height, checkerboard) else {
        return false;
    };
    let siblings = |(sx, sy): (usize, usize)| {
        has_many_siblings(img, sx, sy, width, height)
            && has_many_siblings(other, sx, sy, width, height)
    };
    siblings(e.min) || siblings(e.max)
}

/// The grey value pixelmatch draws for an unchanged pixel: its luma faded
/// towards white by `alpha` (and by its own transparency).
#[inline]
pub(crate) fn gray(p: [u8; 4], alpha: f64) -> u8 {
    let [r, g, b, a] = p.map(f64::from);
    let val = 255.0 + (r * Y_R + g * Y_G + b * Y_B - 255.0) * alpha * a / 255.0;
    // pixelmatch stores into a Uint8Array, which truncates; with alpha in
    // 0..=1 the value lies in 0..=255.0000026, where `as` truncates too.
    val as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int32_conversion_wraps_like_javascript() {
        assert_eq!(js_to_int32(3.9), 3);
        assert_eq!(js_to_int32(-3.9), -3);
        assert_eq!(js_to_int32(2_147_483_648.0), i32::MIN);
        assert_eq!(js_to_int32(4_294_967_297.5), 1);
        assert_eq!(js_to_int32(f64::NAN), 0);
    }

    #[test]
    fn checkerboard_squares_follow_the_byte_offset() {
        assert_eq!(background(0, true), (48, 48, 48));
        // 4 / 1.618 = 2.47 -> 2 (even), 4 / 2.618 = 1.53 -> 1 (odd).
        assert_eq!(background(4, true), (48, 48, 207));
        assert_eq!(background(8, false), (255, 255, 255));
    }

    #[test]
    fn a_darker_second_pixel_gives_a_negative_delta() {
        let white = [255, 255, 255, 255];
        let black = [0, 0, 0, 255];
        assert!(color_delta(white, black, 0, true) < 0.0);
        assert!(color_delta(black, white, 0, true) > 0.0);
        assert!(color_delta(black, white, 0, true) < MAX_YIQ_DELTA);
    }

    #[test]
    fn bgrx_reads_as_opaque_rgba() {
        let px = [1, 2, 3, 0];
        assert_eq!(Bgrx(&px).rgba(0), [3, 2, 1, 255]);
        assert_eq!(Rgba(&px).rgba(0), [1, 2, 3, 0]);
    }

    #[test]
    fn grey_of_white_stays_white() {
        assert_eq!(gray([255, 255, 255, 255], 0.1), 255);
        assert_eq!(gray([0, 0, 0, 255], 1.0), 0);
        assert_eq!(gray([0, 0, 0, 0], 1.0), 255);
    }
}
