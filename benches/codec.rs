//! The frame codec on real 1920x1080 desktop sessions, against its peers
//! measured in the same run on the same frames.
//!
//! Needs the corpus: `benches/corpus/make.sh` (a few minutes; it writes
//! `target/corpus/<session>/NNNN.png`). Then:
//!
//! ```text
//! cargo bench --bench codec
//! ```
//!
//! First a summary table per session and for all sessions together (mixed):
//! bytes per frame and the ratio against PNG for this codec and for the
//! baselines (PNG per frame with the `image` crate's default compression,
//! per-frame XOR with the previous frame + zstd, one continuous zstd stream
//! with long-distance matching), encode time per frame, and the worst-case
//! time to decode a frame from its keyframe. Then criterion groups
//! `codec/encode/1080p/<session>` and `codec/decode/1080p/<session>` (one
//! iteration codes or decodes the whole session) and
//! `codec/decode/1080p/worst-chain`.
//!
//! Like the container, the codec is given only frames that differ from
//! every earlier one: a step whose screen did not change stores no frame.
//! All columns of the table count those same frames.

use std::collections::HashSet;
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cpu_time::ThreadTime;
use criterion::{Criterion, Throughput};
use trajectory::format::codec::{Decoder, Encoded, Encoder};
use trajectory::{Frame, PixelLayout};

const SESSIONS: [&str; 4] = ["click", "typing", "scroll", "window-move"];

struct Session {
    name: &'static str,
    steps: usize,
    /// The distinct frames, in order, as BGRX (as the recorder gives them).
    frames: Vec<Frame>,
}

fn corpus_dir() -> PathBuf {
    std::env::var_os("TRAJECTORY_CODEC_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/corpus"))
}

fn load(name: &'static str) -> Option<Session> {
    let dir = corpus_dir().join(name);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    paths.sort();
    let steps = paths.len();
    let mut seen = HashSet::new();
    let mut frames = Vec::new();
    for p in &paths {
        let rgba = Frame::load_png(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let bgrx = to_bgrx(&rgba);
        if seen.insert(xxhash_rust::xxh3::xxh3_128(bgrx.data())) {
            frames.push(bgrx);
        }
    }
    (!frames.is_empty()).then_some(Session {
        name,
        steps,
        frames,
    })
}

fn to_bgrx(f: &Frame) -> Frame {
    assert_eq!(f.layout(), PixelLayout::Rgba);
    let data = f
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0], 0])
        .collect();
    Frame::from_bgrx(f.width(), f.height(), data).unwrap()
}

fn bgr(f: &Frame) -> Vec<u8> {
    f.data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect()
}

/// Sizes and times of one session.
#[derive(Default, Clone)]
struct Row {
    frames: usize,
    raw: u64,
    png: u64,
    xor_zstd: u64,
    zstd_long: u64,
    zstd_long_time: Duration,
    ours: u64,
    keyframes: usize,
    encode: Duration,
    encode_max: Duration,
    decode_worst: Duration,
    decode_worst_wall: Duration,
    worst_chain: usize,
    key_bytes: u64,
    key_decode: Duration,
    delta_decode: Duration,
}

impl Row {
    fn add(&mut self, o: &Row) {
        self.frames += o.frames;
        self.raw += o.raw;
        self.png += o.png;
        self.xor_zstd += o.xor_zstd;
        self.zstd_long += o.zstd_long;
        self.zstd_long_time += o.zstd_long_time;
        self.ours += o.ours;
        self.keyframes += o.keyframes;
        self.encode += o.encode;
        self.encode_max = self.encode_max.max(o.encode_max);
        self.key_bytes += o.key_bytes;
        self.key_decode += o.key_decode;
        self.delta_decode += o.delta_decode;
        if o.decode_worst > self.decode_worst {
            self.decode_worst = o.decode_worst;
            self.decode_worst_wall = o.decode_worst_wall;
            self.worst_chain = o.worst_chain;
        }
    }
}

fn png_size(f: &Frame) -> u64 {
    let mut out = Vec::new();
    let enc = image::codecs::png::PngEncoder::new(&mut out);
    image::ImageEncoder::write_image(
        enc,
        &bgr(f)
            .chunks_exact(3)
            .flat_map(|p| [p[2], p[1], p[0]])
            .collect::<Vec<u8>>(),
        f.width(),
        f.height(),
        image::ExtendedColorType::Rgb8,
    )
    .unwrap();
    out.len() as u64
}

/// The baseline of issue 2: one zstd stream over all frames (BGR), level
/// 3, window 2^27, long-distance matching, flushed after every frame.
fn zstd_long(frames: &[Frame]) -> (u64, Duration) {
    let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    enc.window_log(27).unwrap();
    enc.long_distance_matching(true).unwrap();
    let frames: Vec<Vec<u8>> = frames.iter().map(bgr).collect();
    let start = ThreadTime::now();
    for f in &frames {
        enc.write_all(f).unwrap();
        enc.flush().unwrap();
    }
    let out = enc.finish().unwrap();
    (out.len() as u64, start.elapsed())
}

fn xor_zstd(frames: &[Frame]) -> u64 {
    let mut total = 0;
    let mut prev: Option<Vec<u8>> = None;
    for f in frames {
        let cur = bgr(f);
        let data = match &prev {
            Some(p) => cur.iter().zip(p).map(|(a, b)| a ^ b).collect(),
            None => cur.clone(),
        };
        total += zstd::bulk::compress(&data, 3).unwrap().len() as u64;
        prev = Some(cur);
    }
    total
}

fn encode_all(frames: &[Frame]) -> Vec<Encoded> {
    let (w, h) = (frames[0].width(), frames[0].height());
    let mut enc = Encoder::new(w, h);
    frames.iter().map(|f| enc.encode(f.as_ref())).collect()
}

/// The chains of a coded session: index ranges from a keyframe to the
/// frame before the next one.
fn chains(coded: &[Encoded]) -> Vec<std::ops::Range<usize>> {
    let keys: Vec<usize> = (0..coded.len()).filter(|&i| coded[i].key).collect();
    keys.iter()
        .enumerate()
        .map(|(n, &k)| k..keys.get(n + 1).copied().unwrap_or(coded.len()))
        .collect()
}

/// Decodes a chain from its keyframe to its last frame, the most expensive
/// frame of the chain to reach.
fn decode_chain(w: u32, h: u32, coded: &[Encoded]) {
    let mut dec = Decoder::new(w, h);
    for e in coded {
        black_box(dec.decode(e.key, &e.payload).unwrap());
    }
}

fn measure(s: &Session) -> Row {
    let frames = &s.frames;
    let (w, h) = (frames[0].width(), frames[0].height());
    let mut row = Row {
        frames: frames.len(),
        raw: frames.iter().map(|f| f.data().len() as u64 / 4 * 3).sum(),
        png: frames.iter().map(png_size).sum(),
        xor_zstd: xor_zstd(frames),
        ..Row::default()
    };
    (row.zstd_long, row.zstd_long_time) = zstd_long(frames);

    let mut enc = Encoder::new(w, h);
    let mut coded = Vec::new();
    for f in frames {
        let start = ThreadTime::now();
        let e = enc.encode(f.as_ref());
        let t = start.elapsed();
        row.encode += t;
        row.encode_max = row.encode_max.max(t);
        coded.push(e);
    }
    row.ours = coded.iter().map(|e| e.payload.len() as u64).sum();
    row.keyframes = coded.iter().filter(|e| e.key).count();
    row.key_bytes = coded
        .iter()
        .filter(|e| e.key)
        .map(|e| e.payload.len() as u64)
        .sum();

    // Every frame decodes back exactly, and the worst chain is timed: best
    // of three runs per chain against the noise of a shared machine.
    let mut dec = Decoder::new(w, h);
    for (e, f) in coded.iter().zip(frames) {
        let start = ThreadTime::now();
        let got = dec.decode(e.key, &e.payload).unwrap();
        let t = start.elapsed();
        match e.key {
            true => row.key_decode += t,
            false => row.delta_decode += t,
        }
        assert!(got == f, "{}: mismatch", s.name);
    }
    for c in chains(&coded) {
        let (mut cpu, mut wall) = (Duration::MAX, Duration::MAX);
        for _ in 0..3 {
            let (t, w0) = (ThreadTime::now(), Instant::now());
            decode_chain(w, h, &coded[c.clone()]);
            cpu = cpu.min(t.elapsed());
            wall = wall.min(w0.elapsed());
        }
        if cpu > row.decode_worst {
            row.decode_worst = cpu;
            row.decode_worst_wall = wall;
            row.worst_chain = c.len();
        }
    }
    row
}

fn print_table(rows: &[(String, usize, Row)]) {
    let kb = |bytes: u64, n: usize| bytes as f64 / n as f64 / 1000.0;
    let ms = |d: Duration, n: usize| d.as_secs_f64() * 1000.0 / n as f64;
    println!();
    println!(
        "{:<12} {:>5} {:>6} | {:>9} | {:>15} | {:>15} | {:>15} | {:>4} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>8} {:>5} | {:>9}",
        "session",
        "steps",
        "frames",
        "PNG KB/f",
        "XOR+zstd KB/f x",
        "zstd-long KB/f x",
        "trajectory KB/f x",
        "keys",
        "key KB",
        "dlt KB",
        "kdec ms",
        "ddec ms",
        "enc ms",
        "enc max",
        "dec worst",
        "(wall)",
        "chain",
        "zl enc ms"
    );
    for (name, steps, r) in rows {
        let n = r.frames;
        let x = |b: u64| r.png as f64 / b as f64;
        println!(
            "{:<12} {:>5} {:>6} | {:>9.1} | {:>8.2} {:>5.1}x | {:>8.2} {:>5.1}x | {:>8.2} {:>5.1}x | {:>4} {:>7.1} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>5.1} ms {:>5.1} ms {:>5} | {:>9.2}",
            name,
            steps,
            n,
            kb(r.png, n),
            kb(r.xor_zstd, n),
            x(r.xor_zstd),
            kb(r.zstd_long, n),
            x(r.zstd_long),
            kb(r.ours, n),
            x(r.ours),
            r.keyframes,
            kb(r.key_bytes, r.keyframes),
            kb(r.ours - r.key_bytes, n - r.keyframes),
            ms(r.key_decode, r.keyframes),
            ms(r.delta_decode, n - r.keyframes),
            ms(r.encode, n),
            r.encode_max.as_secs_f64() * 1000.0,
            r.decode_worst.as_secs_f64() * 1000.0,
            r.decode_worst_wall.as_secs_f64() * 1000.0,
            r.worst_chain,
            ms(r.zstd_long_time, n),
        );
    }
    println!(
        "(x = PNG bytes / codec bytes; raw BGR is {:.0} KB a frame; times are CPU time of the \
         thread; dec worst = decoding the longest-to-reach frame from its keyframe, best of 3, \
         with its wall time and chain length; zl enc = continuous zstd's encode time a frame)",
        rows[0].2.raw as f64 / rows[0].2.frames as f64 / 1000.0
    );
    println!();
}

fn main() {
    env_logger::init();
    // TRAJECTORY_CODEC_SESSIONS=scroll,typing limits the run to some sessions.
    let only = std::env::var("TRAJECTORY_CODEC_SESSIONS").unwrap_or_default();
    let sessions: Vec<Session> = SESSIONS
        .iter()
        .filter(|n| only.is_empty() || only.split(',').any(|o| o == **n))
        .filter_map(|&n| load(n))
        .collect();
    if sessions.is_empty() {
        eprintln!(
            "codec bench skipped: no corpus in {}; make it with benches/corpus/make.sh \
             (or point TRAJECTORY_CODEC_CORPUS at one)",
            corpus_dir().display()
        );
        return;
    }

    let mut rows = Vec::new();
    let mut mixed = Row::default();
    let mut steps = 0;
    for s in &sessions {
        let r = measure(s);
        mixed.add(&r);
        steps += s.steps;
        rows.push((s.name.to_string(), s.steps, r));
    }
    rows.push(("mixed".to_string(), steps, mixed));
    print_table(&rows);

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();

    let mut group = c.benchmark_group("codec/encode/1080p");
    for s in &sessions {
        let bytes: u64 = s.frames.iter().map(|f| f.data().len() as u64).sum();
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(s.name, |b| b.iter(|| black_box(encode_all(&s.frames))));
    }
    group.finish();

    let mut group = c.benchmark_group("codec/decode/1080p");
    let mut worst: Option<(Duration, u32, u32, Vec<Encoded>)> = None;
    for s in &sessions {
        let (w, h) = (s.frames[0].width(), s.frames[0].height());
        let coded = encode_all(&s.frames);
        let bytes: u64 = s.frames.iter().map(|f| f.data().len() as u64).sum();
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(s.name, |b| b.iter(|| decode_chain(w, h, &coded)));
        for c in chains(&coded) {
            let start = Instant::now();
            decode_chain(w, h, &coded[c.clone()]);
            let t = start.elapsed();
            if worst.as_ref().is_none_or(|(d, ..)| t > *d) {
                worst = Some((t, w, h, coded[c].to_vec()));
            }
        }
    }
    if let Some((_, w, h, chain)) = worst {
        group.throughput(Throughput::Bytes(u64::from(w * h * 4)));
        group.bench_function("worst-chain", |b| b.iter(|| decode_chain(w, h, &chain)));
    }
    group.finish();

    c.final_summary();
}
