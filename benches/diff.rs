//! Speed of the visual diff on real 1080p screens, next to memcmp and
//! image-compare on the same images in the same run.
//!
//! The images come from `benches/images/make.sh` (real X programs on
//! Xvfb); the bench says how to make them and skips when they are absent.
//! Frames are BGRX as replay sees them, both in memory (and in cache: two
//! 1080p frames fit in this machine's L3). Throughput is in pixels.
//!
//! `memcmp` is `a == b` on two identical copies of the first frame: the
//! cost of reading both frames once, the floor for any exact comparison.
//!
//!     benches/images/make.sh && cargo bench --bench diff

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use trajectory::Frame;
use trajectory::diff::{self, Kernel, Options};
use trajectory::model::Tolerance;

fn images_dir() -> PathBuf {
    std::env::var_os("TRAJECTORY_BENCH_IMAGES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-images"))
}

/// A PNG as an opaque BGRX frame, the layout of an X11 capture.
fn load_bgrx(name: &str) -> Option<Frame> {
    let path = images_dir().join(name);
    let rgba = Frame::load_png(&path).ok()?;
    let bgrx: Vec<u8> = rgba
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0], 0xFF])
        .collect();
    Frame::from_bgrx(rgba.width(), rgba.height(), bgrx).ok()
}

/// The frames as image-compare takes them.
fn to_rgb(f: &Frame) -> image::RgbImage {
    let rgb = f
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0]])
        .collect();
    image::RgbImage::from_raw(f.width(), f.height(), rgb).expect("w * h * 3 bytes")
}

struct Pair {
    name: &'static str,
    a: Frame,
    b: Frame,
}

fn kernels() -> Vec<Kernel> {
    [Kernel::Avx512, Kernel::Avx2, Kernel::Scalar]
        .into_iter()
        .filter(|k| k.is_available())
        .collect()
}

fn configure(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, pixels: u64) {
    g.throughput(Throughput::Elements(pixels));
    g.sample_size(30);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
}

fn benches(c: &mut Criterion) {
    let names = [
        ("identical", "base-again.png"),
        ("small", "typed.png"),
        ("large", "window.png"),
        ("shift1", "shifted.png"),
    ];
    let Some(base) = load_bgrx("base.png") else {
        eprintln!(
            "skipped: no bench images in {}; make them with benches/images/make.sh \
             (needs Xvfb, xterm, xcalc, xclock, xdotool and ImageMagick)",
            images_dir().display()
        );
        return;
    };
    let pairs: Vec<Pair> = names
        .iter()
        .filter_map(|&(name, file)| {
            Some(Pair {
                name,
                a: base.clone(),
                b: load_bgrx(file)?,
            })
        })
        .collect();
    let pixels = u64::from(base.width()) * u64::from(base.height());
    let size = format!("{}p", base.height());
    let copy = base.clone();

    for pair in &pairs {
        let (a, b) = (pair.a.as_ref(), pair.b.as_ref());
        let aa_modes: &[(&str, bool)] = match pair.name {
            "large" => &[("aa", false), ("noaa", true)],
            "identical" => &[("", false)],
            _ => &[("aa", false)],
        };
        for &(mode, include_aa) in aa_modes {
            let id = if mode.is_empty() {
                format!("diff/{size}/{}", pair.name)
            } else {
                format!("diff/{size}/{}/{mode}", pair.name)
            };
            let mut g = c.benchmark_group(id);
            configure(&mut g, pixels);
            g.bench_function("memcmp", |bench| {
                bench.iter(|| black_box(base.data()) == black_box(copy.data()))
            });
            for kernel in kernels() {
                for threads in [1, 2] {
                    let options = Options {
                        include_aa,
                        kernel,
                        threads,
                        ..Options::default()
                    };
                    let name = format!("trajectory/{kernel}/{threads}t");
                    if kernel == Kernel::Scalar && threads == 2 {
                        continue;
                    }
                    g.bench_function(name, |bench| {
                        bench.iter(|| diff::compare(black_box(a), black_box(b), &options).unwrap())
                    });
                }
            }
            if include_aa || mode.is_empty() {
                let (ra, rb) = (to_rgb(&pair.a), to_rgb(&pair.b));
                let rms = image_compare::Algorithm::RootMeanSquared;
                g.bench_function("image-compare/rgb-rms", |bench| {
                    bench.iter(|| {
                        image_compare::rgb_similarity_structure(
                            &rms,
                            black_box(&ra),
                            black_box(&rb),
                        )
                        .unwrap()
                        .score
                    })
                });
            }
            g.finish();
        }

        // A checkpoint with no tolerance: identical frames match, the
        // others fail.
        let mut g = c.benchmark_group(format!("decide/{size}/{}", pair.name));
        configure(&mut g, pixels);
        let options = Options::default();
        g.bench_function("decide", |bench| {
            bench.iter(|| diff::decide(black_box(a), black_box(b), &options, Tolerance::Pixels(0)))
        });
        g.bench_function("compare", |bench| {
            bench.iter(|| diff::compare(black_box(a), black_box(b), &options).unwrap())
        });
        g.bench_function("compare-with-image", |bench| {
            bench.iter(|| diff::compare_with_image(black_box(a), black_box(b), &options).unwrap())
        });
        g.finish();
    }
}

criterion_group!(diff_benches, benches);
criterion_main!(diff_benches);
