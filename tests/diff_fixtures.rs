//! The committed fixture pairs (real X screens, see
//! `fixtures/diff/README.md`) against the answers pixelmatch 7.2.0 gave
//! for them: mismatch counts and diff images, from every kernel, as RGBA
//! and as BGRX.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use trajectory::diff::{self, Kernel, Options};
use trajectory::{Frame, FrameRef, PixelLayout};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PixelmatchOptions {
    threshold: Option<f64>,
    #[serde(rename = "includeAA")]
    include_aa: Option<bool>,
    alpha: Option<f64>,
    aa_color: Option<[u8; 3]>,
    diff_color: Option<[u8; 3]>,
    diff_color_alt: Option<[u8; 3]>,
    diff_mask: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Case {
    a: String,
    b: String,
    options: PixelmatchOptions,
    mismatched: u64,
    diff: String,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff")
}

fn load(dir: &Path, name: &str) -> Frame {
    Frame::load_png(&dir.join(name)).unwrap_or_else(|e| panic!("cannot read {name}: {e}"))
}

fn options(o: &PixelmatchOptions) -> Options {
    let d = Options::default();
    Options {
        threshold: o.threshold.unwrap_or(d.threshold),
        include_aa: o.include_aa.unwrap_or(d.include_aa),
        alpha: o.alpha.unwrap_or(d.alpha),
        aa_color: o.aa_color.unwrap_or(d.aa_color),
        diff_color: o.diff_color.unwrap_or(d.diff_color),
        diff_color_alt: o.diff_color_alt,
        diff_mask: o.diff_mask.unwrap_or(d.diff_mask),
        ..d
    }
}

fn bgrx(f: &Frame) -> Vec<u8> {
    f.data()
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0], 0])
        .collect()
}

#[test]
fn every_kernel_reproduces_pixelmatch_on_the_fixtures() {
    let dir = dir();
    let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
    let cases: Vec<Case> = serde_json::from_str(&text).unwrap();
    assert_eq!(cases.len(), 18, "three pairs, six option sets");

    for case in &cases {
        let (a, b) = (load(&dir, &case.a), load(&dir, &case.b));
        let want = load(&dir, &case.diff);
        let (ba, bb) = (bgrx(&a), bgrx(&b));
        let (w, h) = (a.width(), a.height());
        let bgrx_a = FrameRef::new(w, h, PixelLayout::Bgrx, &ba).unwrap();
        let bgrx_b = FrameRef::new(w, h, PixelLayout::Bgrx, &bb).unwrap();

        for kernel in [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512] {
            if !kernel.is_available() {
                continue;
            }
            let o = Options {
                kernel,
                ..options(&case.options)
            };
            let what = format!("{}, {kernel} kernel", case.diff);
            for (layout, fa, fb) in [("RGBA", a.as_ref(), b.as_ref()), ("BGRX", bgrx_a, bgrx_b)] {
                let (c, image) = diff::compare_with_image(fa, fb, &o).unwrap();
                assert_eq!(c.differing, case.mismatched, "{what}, {layout}: count");
                assert!(image.data() == want.data(), "{what}, {layout}: diff image");
            }
        }
    }
}

#[test]
fn typed_text_is_one_box() {
    let dir = dir();
    let (a, b) = (load(&dir, "typed-a.png"), load(&dir, "typed-b.png"));
    let c = diff::compare(a.as_ref(), b.as_ref(), &Options::default()).unwrap();
    assert_eq!(c.boxes.len(), 1, "{:?}", c.boxes);
    let r = c.boxes[0];
    // The text sits on the prompt line near the top of the crop.
    assert!(r.y < 20 && r.height < 25 && r.width > 40, "{r:?}");
}
