//! pixelmatch 7.2.0's own test cases: every mismatch count and every byte
//! of every diff image, from every kernel this processor runs, on one and
//! on two threads, and again with the frames as BGRX.
//!
//! The cases live in `../shared/data/pixelmatch-7.2.0` (or
//! `$TRAJECTORY_SHARED_DATA/pixelmatch-7.2.0`); without that folder the
//! tests say so and pass without checking anything.

use std::path::PathBuf;

use trajectory::diff::{self, Decision, DiffError, Kernel, Options};
use trajectory::model::Tolerance;
use trajectory::{Frame, FrameRef, PixelLayout};

fn data_dir() -> Option<PathBuf> {
    let base = std::env::var_os("TRAJECTORY_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let dir = base.join("pixelmatch-7.2.0");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: the pixelmatch reference cases are not at {} \
             (set TRAJECTORY_SHARED_DATA to the folder holding pixelmatch-7.2.0)",
            dir.display()
        );
        None
    }
}

fn load(dir: &std::path::Path, name: &str) -> Frame {
    let path = dir.join(format!("{name}.png"));
    Frame::load_png(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The kernels to check: all this processor runs.
fn kernels() -> Vec<Kernel> {
    [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512]
        .into_iter()
        .filter(|k| k.is_available())
        .collect()
}

/// An opaque RGBA frame as BGRX, with junk in the fourth byte as a live
/// capture may have; `None` when the frame has translucent pixels.
fn as_bgrx(f: &Frame) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(f.data().len());
    for (n, px) in f.data().chunks_exact(4).enumerate() {
        if px[3] != 255 {
            return None;
        }
        out.extend_from_slice(&[px[2], px[1], px[0], (n * 37) as u8]);
    }
    Some(out)
}

fn check_case(a: &str, b: &str, diff_name: &str, options: Options, expected: u64) {
    let Some(dir) = data_dir() else { return };
    let (fa, fb) = (load(&dir, a), load(&dir, b));
    let want = load(&dir, diff_name);
    let (w, h) = (fa.width(), fa.height());
    let bgrx = as_bgrx(&fa).zip(as_bgrx(&fb));

    for kernel in kernels() {
        for threads in [1, 2] {
            let options = Options {
                kernel,
                threads,
                ..options.clone()
            };
            let what = format!("{a}/{b} -> {diff_name}, {kernel} kernel, {threads} thread(s)");

            let (c, image) = diff::compare_with_image(fa.as_ref(), fb.as_ref(), &options).unwrap();
            assert_eq!(c.differing, expected, "{what}: mismatch count");
            assert_eq!((image.width(), image.height()), (w, h), "{what}");
            if let Some(at) = image
                .data()
                .iter()
                .zip(want.data())
                .position(|(x, y)| x != y)
            {
                let (px, ch) = (at / 4, at % 4);
                panic!(
                    "{what}: diff image differs at pixel ({}, {}) channel {ch}: {:?} instead of {:?}",
                    px % w as usize,
                    px / w as usize,
                    &image.data()[px * 4..px * 4 + 4],
                    &want.data()[px * 4..px * 4 + 4],
                );
            }

            let plain = diff::compare(fa.as_ref(), fb.as_ref(), &options).unwrap();
            assert_eq!(plain, c, "{what}: compare and compare_with_image agree");

            let exact = Tolerance::Pixels(expected);
            let decision = diff::decide(fa.as_ref(), fb.as_ref(), &options, exact).unwrap();
            assert_eq!(
                decision,
                Decision::Match,
                "{what}: {expected} pixels tolerated"
            );
            if expected > 0 {
                let fewer = Tolerance::Pixels(expected - 1);
                let decision = diff::decide(fa.as_ref(), fb.as_ref(), &options, fewer).unwrap();
                assert_eq!(
                    decision,
                    Decision::Mismatch,
                    "{what}: one pixel fewer tolerated"
                );
            }

            if let Some((ba, bb)) = &bgrx {
                let ra = FrameRef::new(w, h, PixelLayout::Bgrx, ba).unwrap();
                let rb = FrameRef::new(w, h, PixelLayout::Bgrx, bb).unwrap();
                let (cx, ix) = diff::compare_with_image(ra, rb, &options).unwrap();
                assert_eq!(cx, c, "{what}: as BGRX");
                assert!(ix.data() == want.data(), "{what}: diff image as BGRX");
                // One frame BGRX, the other RGBA.
                let (cm, im) = diff::compare_with_image(ra, fb.as_ref(), &options).unwrap();
                assert_eq!(cm, c, "{what}: BGRX against RGBA");
                assert!(
                    im.data() == want.data(),
                    "{what}: diff image, BGRX against RGBA"
                );
            }
        }
    }
}

fn threshold(t: f64) -> Options {
    Options {
        threshold: t,
        ..Options::default()
    }
}

#[test]
fn case_1_threshold_0_05() {
    check_case("1a", "1b", "1diff", threshold(0.05), 143);
}

#[test]
fn case_1_default_threshold() {
    check_case("1a", "1b", "1diffdefaultthreshold", Options::default(), 106);
}

#[test]
fn case_1_diff_mask() {
    let options = Options {
        diff_mask: true,
        include_aa: false,
        ..threshold(0.05)
    };
    check_case("1a", "1b", "1diffmask", options, 143);
}

#[test]
fn case_1_identical_with_diff_mask() {
    let options = Options {
        diff_mask: true,
        ..threshold(0.0)
    };
    check_case("1a", "1a", "1emptydiffmask", options, 0);
}

#[test]
fn case_2_custom_colours_and_alpha() {
    let options = Options {
        alpha: 0.5,
        aa_color: [0, 192, 0],
        diff_color: [255, 0, 255],
        ..threshold(0.05)
    };
    check_case("2a", "2b", "2diff", options, 12437);
}

#[test]
fn case_3() {
    check_case("3a", "3b", "3diff", threshold(0.05), 212);
}

#[test]
fn case_4() {
    check_case("4a", "4b", "4diff", threshold(0.05), 36049);
}

#[test]
fn case_5() {
    check_case("5a", "5b", "5diff", threshold(0.05), 6);
}

#[test]
fn case_6() {
    check_case("6a", "6b", "6diff", threshold(0.05), 51);
}

#[test]
fn case_6_identical() {
    check_case("6a", "6a", "6empty", threshold(0.0), 0);
}

#[test]
fn case_7_alternative_colour_for_darker_pixels() {
    let options = Options {
        diff_color_alt: Some([0, 255, 0]),
        ..Options::default()
    };
    check_case("7a", "7b", "7diff", options, 2448);
}

#[test]
fn case_8() {
    check_case("8a", "5b", "8diff", threshold(0.05), 32896);
}

/// A 50% transparent black pixel against an opaque grey one.
fn translucent_pair() -> (Frame, Frame) {
    (
        Frame::from_rgba(1, 1, vec![0, 0, 0, 128]).unwrap(),
        Frame::from_rgba(1, 1, vec![127, 127, 127, 255]).unwrap(),
    )
}

#[test]
fn over_white_translucent_black_equals_grey() {
    let (a, b) = translucent_pair();
    for kernel in kernels() {
        for t in [0.0, 0.1] {
            let options = Options {
                checkerboard: false,
                kernel,
                ..threshold(t)
            };
            let c = diff::compare(a.as_ref(), b.as_ref(), &options).unwrap();
            assert_eq!(c.differing, 0, "{kernel} kernel, threshold {t}");
        }
    }
}

#[test]
fn over_the_checkerboard_translucent_black_differs_from_grey() {
    let (a, b) = translucent_pair();
    for kernel in kernels() {
        for t in [0.0, 0.1] {
            let options = Options {
                kernel,
                ..threshold(t)
            };
            let c = diff::compare(a.as_ref(), b.as_ref(), &options).unwrap();
            assert_eq!(c.differing, 1, "{kernel} kernel, threshold {t}");
        }
    }
}

#[test]
fn images_of_different_sizes_are_an_error() {
    let a = Frame::filled(3, 2, 0);
    let b = Frame::filled(2, 3, 0);
    let err = diff::compare(a.as_ref(), b.as_ref(), &Options::default()).unwrap_err();
    assert_eq!(
        err,
        DiffError::SizeMismatch {
            first: (3, 2),
            second: (2, 3)
        }
    );
    assert!(err.to_string().contains("3x2"), "{err}");
}
