//! Every SIMD kernel against its scalar twin, on random and structured
//! images: noise, few-colour images with edits (where the anti-aliasing
//! detector has work), translucent pixels, 1-pixel images, odd widths
//! across 64-column groups, and regions and masks cutting through them.
//! Counts, boxes and every byte of the diff image must agree.

use proptest::prelude::*;
use trajectory::diff::{self, Decision, Kernel, Options};
use trajectory::model::{Rect, Tolerance};
use trajectory::{FrameRef, PixelLayout};

fn simd_kernels() -> Vec<Kernel> {
    [Kernel::Avx2, Kernel::Avx512]
        .into_iter()
        .filter(|k| k.is_available())
        .collect()
}

/// A pair of images as RGBA bytes.
#[derive(Debug, Clone)]
struct Pair {
    width: u32,
    height: u32,
    a: Vec<u8>,
    b: Vec<u8>,
}

/// Images of a few colours (so that many pixels equal their neighbours),
/// the second with a share of pixels changed: to another colour of the
/// palette, to a random colour, or nudged slightly.
fn structured() -> impl Strategy<Value = Pair> {
    (
        1u32..=150,
        1u32..=24,
        2usize..=5,
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(width, height, colours, translucent, seed)| {
            let mut rng = seed | 1;
            let mut next = move || {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng
            };
            let palette: Vec<[u8; 4]> = (0..colours)
                .map(|_| {
                    let v = next().to_le_bytes();
                    let alpha = if translucent && v[4] < 100 { v[5] } else { 255 };
                    [v[0], v[1], v[2], alpha]
                })
                .collect();
            let n = (width * height) as usize;
            let (mut a, mut b) = (Vec::with_capacity(n * 4), Vec::with_capacity(n * 4));
            for _ in 0..n {
                let r = next();
                let pa = if r % 10 < 6 {
                    palette[0]
                } else {
                    palette[(r >> 8) as usize % colours]
                };
                let pb = match (r >> 16) % 20 {
                    0..=2 => palette[(r >> 24) as usize % colours],
                    3 => {
                        let v = (r >> 32).to_le_bytes();
                        [v[0], v[1], v[2], if translucent { v[3] } else { 255 }]
                    }
                    4 => pa.map(|c| c.wrapping_add((r >> 40) as u8 % 9).wrapping_sub(4)),
                    _ => pa,
                };
                let pb = if translucent {
                    pb
                } else {
                    [pb[0], pb[1], pb[2], 255]
                };
                a.extend_from_slice(&pa);
                b.extend_from_slice(&pb);
            }
            Pair {
                width,
                height,
                a,
                b,
            }
        })
}

/// Opaque noise.
fn noise() -> impl Strategy<Value = Pair> {
    (1u32..=80, 1u32..=12).prop_flat_map(|(width, height)| {
        let n = (width * height * 4) as usize;
        (
            Just(width),
            Just(height),
            prop::collection::vec(any::<u8>(), n),
            prop::collection::vec(any::<u8>(), n),
        )
            .prop_map(|(width, height, mut a, mut b)| {
                for px in a.chunks_exact_mut(4).chain(b.chunks_exact_mut(4)) {
                    px[3] = 255;
                }
                Pair {
                    width,
                    height,
                    a,
                    b,
                }
            })
    })
}

fn options() -> impl Strategy<Value = Options> {
    (
        prop_oneof![Just(0.0), Just(0.05), Just(0.1), 0.0f64..0.5],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::option::of((-5i32..40, -5i32..20, 1u32..60, 1u32..20)),
        prop::collection::vec((-5i32..150, -5i32..24, 1u32..40, 1u32..10), 0..3),
    )
        .prop_map(
            |(threshold, include_aa, diff_mask, alt, region, masks)| Options {
                threshold,
                include_aa,
                diff_mask,
                diff_color_alt: alt.then_some([0, 255, 0]),
                region: region.map(|(x, y, w, h)| Rect::new(x, y, w, h)),
                masks: masks
                    .into_iter()
                    .map(|(x, y, w, h)| Rect::new(x, y, w, h))
                    .collect(),
                ..Options::default()
            },
        )
}

/// BGRX copies of an opaque pair, with junk in the fourth bytes.
fn as_bgrx(p: &Pair) -> Option<(Vec<u8>, Vec<u8>)> {
    let conv = |v: &[u8], junk: u8| -> Option<Vec<u8>> {
        v.chunks_exact(4)
            .enumerate()
            .map(|(i, px)| (px[3] == 255).then(|| [px[2], px[1], px[0], junk ^ i as u8]))
            .collect::<Option<Vec<[u8; 4]>>>()
            .map(|v| v.concat())
    };
    Some((conv(&p.a, 0x5A)?, conv(&p.b, 0xC3)?))
}

fn frame<'d>(p: &Pair, layout: PixelLayout, data: &'d [u8]) -> FrameRef<'d> {
    // The frame borrows `data`, not the pair.
    FrameRef::new(p.width, p.height, layout, data).unwrap()
}

fn check(p: &Pair, options: &Options) -> Result<(), TestCaseError> {
    let (ra, rb) = (
        frame(p, PixelLayout::Rgba, &p.a),
        frame(p, PixelLayout::Rgba, &p.b),
    );
    let scalar = Options {
        kernel: Kernel::Scalar,
        ..options.clone()
    };
    let (want, want_image) = diff::compare_with_image(ra, rb, &scalar).unwrap();
    let bgrx = as_bgrx(p);

    for kernel in simd_kernels() {
        for threads in [1, 2] {
            let o = Options {
                kernel,
                threads,
                ..options.clone()
            };
            let (got, image) = diff::compare_with_image(ra, rb, &o).unwrap();
            prop_assert_eq!(&got, &want, "{} kernel, {} thread(s)", kernel, threads);
            prop_assert!(
                image.data() == want_image.data(),
                "{kernel} kernel: diff image"
            );
            let plain = diff::compare(ra, rb, &o).unwrap();
            prop_assert_eq!(&plain, &want);

            if let Some((ba, bb)) = &bgrx {
                let fa = frame(p, PixelLayout::Bgrx, ba);
                let fb = frame(p, PixelLayout::Bgrx, bb);
                let (got, image) = diff::compare_with_image(fa, fb, &o).unwrap();
                prop_assert_eq!(&got, &want, "{} kernel as BGRX", kernel);
                prop_assert!(
                    image.data() == want_image.data(),
                    "{kernel} kernel: BGRX image"
                );
            }
        }

        // The decision agrees with the count, at the limit and just below.
        let o = Options {
            kernel,
            ..options.clone()
        };
        let at = diff::decide(ra, rb, &o, Tolerance::Pixels(want.differing));
        prop_assert_eq!(at.unwrap(), Decision::Match);
        if want.differing > 0 {
            let below = Tolerance::Pixels(want.differing - 1);
            let d = diff::decide(ra, rb, &o, below).unwrap();
            prop_assert_eq!(d, Decision::Mismatch);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn simd_kernels_match_the_scalar_kernel_on_structured_images(p in structured(), o in options()) {
        check(&p, &o)?;
    }

    #[test]
    fn simd_kernels_match_the_scalar_kernel_on_noise(p in noise(), o in options()) {
        check(&p, &o)?;
    }
}

#[test]
fn one_pixel_images_agree() {
    for (a, b) in [
        ([0u8, 0, 0, 255], [255u8, 255, 255, 255]),
        ([9, 9, 9, 10], [9, 9, 9, 200]),
    ] {
        let p = Pair {
            width: 1,
            height: 1,
            a: a.to_vec(),
            b: b.to_vec(),
        };
        check(&p, &Options::default()).unwrap();
    }
}

#[test]
fn a_wide_frame_with_differences_at_every_group_border_agrees() {
    // 200 columns: groups of 64 end at 63, 127, 191; a vertical edge next
    // to each border, and at both sides of the frame.
    let (w, h) = (200u32, 40u32);
    let mut a = vec![255u8; (w * h * 4) as usize];
    let mut b = a.clone();
    for y in 0..h as usize {
        for x in [0usize, 1, 62, 63, 64, 65, 127, 128, 191, 192, 198, 199] {
            let i = (y * w as usize + x) * 4;
            a[i..i + 3].copy_from_slice(&[(y * 5) as u8, 40, 90]);
            b[i..i + 3].copy_from_slice(&[90, (x * 3) as u8, (y * 7) as u8]);
        }
    }
    let p = Pair {
        width: w,
        height: h,
        a,
        b,
    };
    for include_aa in [false, true] {
        let o = Options {
            include_aa,
            ..Options::default()
        };
        check(&p, &o).unwrap();
    }
}
