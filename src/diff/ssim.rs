//! Structural similarity (SSIM) of two frames, through `image-compare`, as
//! an extra number for reports. It is slow next to the pixelmatch kernels
//! and never used to decide a checkpoint.

#![forbid(unsafe_code)]

use image::GrayImage;

use super::{DiffError, Options, check_pair};
use crate::frame::FrameRef;
use crate::model::Rect;

/// The mean SSIM of the two frames' luma over 8x8 windows, from 1.0
/// (identical) down. Only `region` and `masks` of `options` apply: the
/// region is cut out, and masked pixels of the second frame are taken from
/// the first, so that they look identical.
///
/// # Errors
///
/// Frames of different sizes or with short buffers, or an area too small
/// for one window.
pub fn ssim(a: FrameRef<'_>, b: FrameRef<'_>, options: &Options) -> Result<f64, DiffError> {
    check_pair(&a, &b)?;
    let full = Rect::new(0, 0, a.width, a.height);
    let Some(region) = options.region.unwrap_or(full).clip(a.width, a.height) else {
        return Err(DiffError::EmptyArea);
    };
    let masks: Vec<Rect> = options
        .masks
        .iter()
        .filter_map(|m| m.clip(a.width, a.height))
        .collect();

    let luma = |f: &FrameRef<'_>, from: Option<&FrameRef<'_>>| {
        GrayImage::from_fn(region.width, region.height, |rx, ry| {
            let (x, y) = (region.x as u32 + rx, region.y as u32 + ry);
            let masked = masks.iter().any(|m| {
                let (mx, my) = (m.x as u32, m.y as u32);
                (mx..mx + m.width).contains(&x) && (my..my + m.height).contains(&y)
            });
            let src = match from {
                Some(first) if masked => first,
                _ => f,
            };
            image::Luma([luma_of(src, (y * src.width + x) as usize)])
        })
    };
    let (ga, gb) = (luma(&a, None), luma(&b, Some(&a)));
    image_compare::gray_similarity_structure(&image_compare::Algorithm::MSSIMSimple, &ga, &gb)
        .map(|s| s.score)
        .map_err(|e| DiffError::Ssim(e.to_string()))
}

/// Rec. 601 luma of pixel `i`, rounded, as 8 bits.
fn luma_of(f: &FrameRef<'_>, i: usize) -> u8 {
    let p = &f.data[i * 4..i * 4 + 4];
    let (r, g, b) = match f.layout {
        crate::frame::PixelLayout::Rgba => (p[0], p[1], p[2]),
        crate::frame::PixelLayout::Bgrx => (p[2], p[1], p[0]),
    };
    let y = 0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b);
    y.round().clamp(0.0, 255.0) as u8
}
