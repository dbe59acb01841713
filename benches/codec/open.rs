//! Opening a trajectory file and listing its steps: through the trailer
//! (what `show` and replay do), and by scanning (a file whose recording was
//! killed). The big case is a 1 GiB file written through the real writer,
//! made in a temporary directory for the run and deleted after it.
//!
//! Part of `cargo bench --bench codec` (groups `open/...` and `dedup/...`).
//! Set `TRAJECTORY_BENCH_GIB` to change the big file's size (default 1; 0
//! leaves the big file out).

use std::hint::black_box;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use criterion::Criterion;
use trajectory::format::{Reader, Writer};
use trajectory::model::{Action, Button, CheckpointOverride, Header, ScreenGeometry, Step};
use trajectory::{Frame, FrameRef, PixelLayout};

/// Pixels that do not compress: the worst case for size, so the file
/// reaches its size with few frames.
fn noise(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut data = vec![0u8; width as usize * height as usize * 4];
    for chunk in data.chunks_exact_mut(8) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        chunk.copy_from_slice(&s.to_le_bytes());
    }
    data
}

fn click(i: usize, frame: u32) -> Step {
    Step {
        at_us: i as u64 * 100_000,
        action: Action::Click {
            button: Button::LEFT,
            count: 1,
            x: (i % 1920) as i32,
            y: (i % 1080) as i32,
            interval_us: 0,
            modifiers: vec![],
        },
        frame,
        checkpoint: CheckpointOverride::default(),
    }
}

/// Writes a file of 1080p noise frames up to `bytes`, with `steps` steps
/// spread over the frames. Returns the seconds it took.
fn write_big(path: &Path, bytes: u64, steps: usize) -> f64 {
    let start = Instant::now();
    let screen = ScreenGeometry {
        width: 1920,
        height: 1080,
        depth: 24,
    };
    let mut w = Writer::create(path, &Header::new(screen)).unwrap();
    let mut frames = Vec::new();
    while w.bytes_written() < bytes {
        let data = noise(1920, 1080, frames.len() as u64);
        let frame = FrameRef::new(1920, 1080, PixelLayout::Bgrx, &data).unwrap();
        frames.push(w.push_frame(frame).unwrap());
    }
    for i in 0..steps {
        w.push_step(&click(i, frames[i * frames.len() / steps]))
            .unwrap();
    }
    w.finish().unwrap();
    start.elapsed().as_secs_f64()
}

/// A file of `steps` steps over small frames: how opening grows with the
/// index.
fn write_many_steps(path: &Path, steps: usize) {
    let screen = ScreenGeometry {
        width: 64,
        height: 64,
        depth: 24,
    };
    let mut w = Writer::create(path, &Header::new(screen)).unwrap();
    for i in 0..steps {
        let frame = Frame::filled(64, 64, (i as u32).wrapping_mul(2_654_435_761) & 0xFF_FFFF);
        let id = w.push_frame(frame.as_ref()).unwrap();
        w.push_step(&click(i, id)).unwrap();
    }
    w.finish().unwrap();
}

fn open_and_list(path: &Path) -> usize {
    let r = Reader::open(path).unwrap();
    r.steps()
        .iter()
        .filter(|s| s.action.kind() == "click")
        .count()
}

/// The `open/...` groups.
pub fn bench_open(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();

    let mut group = c.benchmark_group("open/index");
    for steps in [1_000, 10_000, 100_000] {
        let path = dir.path().join(format!("{steps}.traj"));
        write_many_steps(&path, steps);
        group.bench_function(format!("{steps}-steps"), |b| {
            b.iter(|| black_box(open_and_list(&path)))
        });
    }
    group.finish();

    let gib: f64 = std::env::var("TRAJECTORY_BENCH_GIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    if gib <= 0.0 {
        return;
    }
    let big = dir.path().join("big.traj");
    let secs = write_big(&big, (gib * (1u64 << 30) as f64) as u64, 100_000);
    let len = std::fs::metadata(&big).unwrap().len();
    let frames = Reader::open(&big).unwrap().frame_count();
    eprintln!(
        "big file: {:.2} GiB, {frames} frames, 100000 steps, written in {secs:.1} s",
        len as f64 / (1u64 << 30) as f64
    );

    let mut group = c.benchmark_group("open/1GiB");
    group.sample_size(10);
    group.bench_function("trailer/list-steps", |b| {
        b.iter(|| black_box(open_and_list(&big)))
    });
    // The whole command, process start included, as a user runs it.
    let exe = env!("CARGO_BIN_EXE_trajectory");
    group.bench_function("trajectory-show", |b| {
        b.iter(|| {
            let out = Command::new(exe).arg("show").arg(&big).output().unwrap();
            assert!(out.status.success());
            black_box(out.stdout.len())
        })
    });
    // Without its trailer the file is scanned: every record is read and
    // its checksum checked.
    let r = Reader::open(&big).unwrap();
    let index_end = {
        let f = std::fs::OpenOptions::new().write(true).open(&big).unwrap();
        let entry = r.frame_entry(r.frame_count() - 1).unwrap();
        let steps_end = entry.offset + entry.stored_len();
        // Keep the step records after the last frame, drop the index and
        // the tail.
        let mut rest = Vec::new();
        let mut file = std::fs::File::open(&big).unwrap();
        file.seek(SeekFrom::Start(steps_end)).unwrap();
        file.read_to_end(&mut rest).unwrap();
        let mut at = 0;
        while &rest[at..at + 4] == b"STEP" {
            let len = u32::from_le_bytes(rest[at + 4..at + 8].try_into().unwrap());
            at += 12 + len as usize;
        }
        let end = steps_end + at as u64;
        f.set_len(end).unwrap();
        end
    };
    eprintln!("cut the trailer off at offset {index_end}");
    group.bench_function("scan/list-steps", |b| {
        b.iter(|| black_box(open_and_list(&big)))
    });
    group.finish();
}

/// What storing identical screens once costs per pushed frame: hashing its
/// pixels (xxh3-128 over BGRX with the spare byte normalized).
pub fn bench_dedup_hash(c: &mut Criterion) {
    let data = noise(1920, 1080, 7);
    let mut group = c.benchmark_group("dedup");
    group.throughput(criterion::Throughput::Bytes(data.len() as u64));
    for layout in [PixelLayout::Bgrx, PixelLayout::Rgba] {
        let frame = FrameRef::new(1920, 1080, layout, &data).unwrap();
        group.bench_function(format!("hash/1080p/{layout:?}"), |b| {
            b.iter(|| black_box(trajectory::format::frame_hash(frame)))
        });
    }
    group.finish();
}
