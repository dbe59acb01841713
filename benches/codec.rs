//! The frame codec on real 1920x1080 desktop sessions, against its peers
//! measured in the same run on the same frames.
//!
//! Needs the corpus: `benches/corpus/make.sh` (about ten minutes; it
//! writes `target/corpus/<session>/NNNN.png`). Then:
//!
//! ```text
//! cargo bench --bench codec
//! ```
//!
//! First a summary table per corpus (light: a gradient root window;
//! realistic: a photograph as wallpaper), per session and for the
//! corpus's sessions together (mixed): bytes per frame and the ratio
//! against PNG for this codec and for the baselines (PNG per frame with
//! the `image` crate's default compression, per-frame XOR with the
//! previous frame + zstd, one continuous zstd stream with long-distance
//! matching), where the codec's bytes go (keyframes, refreshes, deltas),
//! encode time per frame, and the worst time to decode a frame on its own
//! (its keyframe, its last refresh and the deltas since). Then criterion
//! groups `codec/encode/1080p/<session>` and `codec/decode/1080p/<session>`
//! (one iteration codes or decodes the whole session) and
//! `codec/decode/1080p/worst-path`, and the groups of `codec/open.rs`:
//! opening a file and listing its steps (`open/...`; the 1 GiB file takes
//! a while to write, `TRAJECTORY_BENCH_GIB=0` leaves it out) and the
//! hash that stores identical screens once (`dedup/...`). A criterion
//! filter that matches nothing, with the big file left out
//! (`TRAJECTORY_BENCH_GIB=0 cargo bench --bench codec -- none`), prints
//! the tables alone.
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

#[path = "codec/open.rs"]
mod open;

/// The light corpus: sessions on a gradient root window.
const LIGHT: [&str; 4] = ["click", "typing", "scroll", "window-move"];

/// The realistic corpus: sessions over a photograph as wallpaper.
const REALISTIC: [&str; 4] = ["photo-click", "photo-term", "photo-web", "photo-drag"];

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
    refreshes: usize,
    encode: Duration,
    encode_max: Duration,
    /// The slowest frame to encode after the first, whose time includes
    /// the encoder's first use of its memory.
    encode_max_later: Duration,
    /// Every frame's encoding time, for the median.
    encode_times: Vec<Duration>,
    /// Worst decoding of a frame on its own by a new decoder.
    decode_worst: Duration,
    decode_worst_wall: Duration,
    /// The same by a decoder that has decoded before, as a reader keeps.
    decode_worst_warm: Duration,
    /// Worst decoding of a frame from its keyframe through every frame
    /// between (refreshes not skipped), by a new decoder.
    decode_chain_worst: Duration,
    worst_path: usize,
    key_bytes: u64,
    refresh_bytes: u64,
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
        self.refreshes += o.refreshes;
        self.encode += o.encode;
        self.encode_max = self.encode_max.max(o.encode_max);
        self.encode_max_later = self.encode_max_later.max(o.encode_max_later);
        self.encode_times.extend_from_slice(&o.encode_times);
        self.key_bytes += o.key_bytes;
        self.refresh_bytes += o.refresh_bytes;
        self.key_decode += o.key_decode;
        self.delta_decode += o.delta_decode;
        self.decode_worst_warm = self.decode_worst_warm.max(o.decode_worst_warm);
        self.decode_chain_worst = self.decode_chain_worst.max(o.decode_chain_worst);
        if o.decode_worst > self.decode_worst {
            self.decode_worst = o.decode_worst;
            self.decode_worst_wall = o.decode_worst_wall;
            self.worst_path = o.worst_path;
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

/// The frames a reader decodes to reach frame `i` on its own (spec §7.2):
/// its keyframe, then from its last refresh since (or the frame after the
/// keyframe) up to it.
fn path(coded: &[Encoded], i: usize) -> Vec<usize> {
    let key = (0..=i)
        .rev()
        .find(|&k| coded[k].key)
        .expect("a keyframe first");
    let from = (key + 1..=i)
        .rev()
        .find(|&r| coded[r].refresh)
        .unwrap_or(key + 1);
    std::iter::once(key).chain(from..=i).collect()
}

/// The longest paths: those to the frames right before a keyframe or a
/// refresh, and to the last frame.
fn run_ends(coded: &[Encoded]) -> Vec<usize> {
    (0..coded.len())
        .filter(|&i| i + 1 == coded.len() || coded[i + 1].key || coded[i + 1].refresh)
        .collect()
}

/// Decodes the frames `path` of a coded session, in order.
fn decode_path(dec: &mut Decoder, coded: &[Encoded], path: &[usize]) {
    for &i in path {
        black_box(dec.decode(coded[i].key, &coded[i].payload).unwrap());
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
    for (n, f) in frames.iter().enumerate() {
        let start = ThreadTime::now();
        let e = enc.encode(f.as_ref());
        let t = start.elapsed();
        row.encode += t;
        row.encode_times.push(t);
        row.encode_max = row.encode_max.max(t);
        if n > 0 {
            row.encode_max_later = row.encode_max_later.max(t);
        }
        coded.push(e);
    }
    row.ours = coded.iter().map(|e| e.payload.len() as u64).sum();
    row.keyframes = coded.iter().filter(|e| e.key).count();
    row.refreshes = coded.iter().filter(|e| e.refresh).count();
    let bytes_of = |f: fn(&Encoded) -> bool| -> u64 {
        coded
            .iter()
            .filter(|e| f(e))
            .map(|e| e.payload.len() as u64)
            .sum()
    };
    row.key_bytes = bytes_of(|e| e.key);
    row.refresh_bytes = bytes_of(|e| e.refresh);

    // Every frame decodes back exactly, in order.
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

    // The longest paths, each decoded by a new decoder (best of three runs
    // against the noise of a shared machine) and by the decoder above,
    // which has decoded before. Each path's last frame must come back.
    for end in run_ends(&coded) {
        let p = path(&coded, end);
        let (mut cpu, mut wall, mut warm) = (Duration::MAX, Duration::MAX, Duration::MAX);
        for _ in 0..3 {
            let (t, w0) = (ThreadTime::now(), Instant::now());
            let mut fresh = Decoder::new(w, h);
            decode_path(&mut fresh, &coded, &p);
            cpu = cpu.min(t.elapsed());
            wall = wall.min(w0.elapsed());
            let t = ThreadTime::now();
            decode_path(&mut dec, &coded, &p);
            warm = warm.min(t.elapsed());
        }
        let mut check = Decoder::new(w, h);
        for &i in &p {
            let got = check.decode(coded[i].key, &coded[i].payload).unwrap();
            assert!(
                i != end || got == &frames[end],
                "{}: frame {end} on its own",
                s.name
            );
        }
        if cpu > row.decode_worst {
            row.decode_worst = cpu;
            row.decode_worst_wall = wall;
            row.worst_path = p.len();
        }
        row.decode_worst_warm = row.decode_worst_warm.max(warm);
    }

    // The same frames reached the other way spec §7.2 allows, through every
    // frame since the keyframe, as a reader that ignores refreshes does.
    for end in (0..coded.len()).filter(|&i| i + 1 == coded.len() || coded[i + 1].key) {
        let key = (0..=end)
            .rev()
            .find(|&k| coded[k].key)
            .expect("a keyframe first");
        let all: Vec<usize> = (key..=end).collect();
        let mut cpu = Duration::MAX;
        for _ in 0..3 {
            let t = ThreadTime::now();
            decode_path(&mut Decoder::new(w, h), &coded, &all);
            cpu = cpu.min(t.elapsed());
        }
        row.decode_chain_worst = row.decode_chain_worst.max(cpu);
    }
    row
}

/// The middle value of some durations (the upper one of the two middle
/// values when there is an even number).
fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn print_table(corpus: &str, rows: &[(String, usize, Row)]) {
    let kb = |bytes: u64, n: usize| bytes as f64 / n.max(1) as f64 / 1000.0;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!();
    println!("{corpus}");
    println!(
        "{:<12} {:>5} {:>6} | {:>9} | {:>15} | {:>15} | {:>15} | {:>5} {:>5} {:>9} {:>9} {:>9} | {:>7} {:>7} {:>7} | {:>9} {:>8} {:>8} {:>5} | {:>9}",
        "session",
        "steps",
        "frames",
        "PNG KB/f",
        "XOR+zstd KB/f x",
        "zstd-long KB/f x",
        "trajectory KB/f x",
        "keys",
        "refr",
        "key KB/f",
        "refr KB/f",
        "dlt KB/f",
        "enc med",
        "enc max",
        "max 2nd+",
        "dec worst",
        "(wall)",
        "(warm)",
        "path",
        "chain",
    );
    for (name, steps, r) in rows {
        let n = r.frames;
        let x = |b: u64| r.png as f64 / b as f64;
        let deltas = r.ours - r.key_bytes - r.refresh_bytes;
        println!(
            "{:<12} {:>5} {:>6} | {:>9.1} | {:>8.2} {:>5.1}x | {:>8.2} {:>5.1}x | {:>8.2} {:>5.1}x | {:>5} {:>5} {:>9.2} {:>9.2} {:>9.2} | {:>7.2} {:>7.2} {:>7.2} | {:>6.1} ms {:>5.1} ms {:>5.1} ms {:>5} | {:>6.1} ms",
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
            r.refreshes,
            kb(r.key_bytes, n),
            kb(r.refresh_bytes, n),
            kb(deltas, n),
            ms(median(&r.encode_times)),
            ms(r.encode_max),
            ms(r.encode_max_later),
            ms(r.decode_worst),
            ms(r.decode_worst_wall),
            ms(r.decode_worst_warm),
            r.worst_path,
            ms(r.decode_chain_worst),
        );
    }
    println!(
        "(x = PNG bytes / codec bytes; key/refr/dlt KB/f = the codec's bytes in keyframes, \
         refreshes and deltas, per frame of the session; times are CPU time of the thread; \
         enc med = the median frame's encoding; enc max 2nd+ = the slowest frame after the \
         first, which also pays for the encoder's first use of its memory; dec worst = decoding the frame that is longest to reach on \
         its own (keyframe, last refresh, deltas since) by a new decoder, best of 3, with its \
         wall time, the same by a decoder that has decoded before, and the path's length in \
         frames; chain = the worst frame reached through every frame since its keyframe, \
         refreshes not skipped)"
    );
    println!();
}

/// Measures the sessions of one corpus present on disk and prints their
/// table; returns the sessions for the criterion groups.
fn corpus(title: &str, names: &[&'static str], only: &str) -> Vec<Session> {
    let sessions: Vec<Session> = names
        .iter()
        .filter(|n| only.is_empty() || only.split(',').any(|o| o == **n))
        .filter_map(|&n| load(n))
        .collect();
    if sessions.is_empty() {
        return sessions;
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
    print_table(title, &rows);
    sessions
}

fn main() {
    env_logger::init();
    // TRAJECTORY_CODEC_SESSIONS=scroll,photo-web limits the run to some
    // sessions.
    let only = std::env::var("TRAJECTORY_CODEC_SESSIONS").unwrap_or_default();
    let mut sessions = corpus("light corpus (gradient root window)", &LIGHT, &only);
    sessions.extend(corpus(
        "realistic corpus (a photograph as wallpaper)",
        &REALISTIC,
        &only,
    ));
    if sessions.is_empty() {
        eprintln!(
            "codec tables and groups skipped: no corpus in {}; make it with \
             benches/corpus/make.sh (or point TRAJECTORY_CODEC_CORPUS at one)",
            corpus_dir().display()
        );
    }

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    codec_groups(&mut c, &sessions);
    open::bench_dedup_hash(&mut c);
    open::bench_open(&mut c);
    c.final_summary();
}

/// The criterion groups of the codec: encoding and decoding whole sessions,
/// and the slowest frame to reach on its own.
fn codec_groups(c: &mut Criterion, sessions: &[Session]) {
    let mut group = c.benchmark_group("codec/encode/1080p");
    for s in sessions {
        let bytes: u64 = s.frames.iter().map(|f| f.data().len() as u64).sum();
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(s.name, |b| b.iter(|| black_box(encode_all(&s.frames))));
    }
    group.finish();

    let mut group = c.benchmark_group("codec/decode/1080p");
    // The slowest path of all sessions: its time, the frame size, the
    // session's coded frames and the path.
    type Worst = (Duration, u32, u32, Vec<Encoded>, Vec<usize>);
    let mut worst: Option<Worst> = None;
    for s in sessions {
        let (w, h) = (s.frames[0].width(), s.frames[0].height());
        let coded = encode_all(&s.frames);
        let bytes: u64 = s.frames.iter().map(|f| f.data().len() as u64).sum();
        group.throughput(Throughput::Bytes(bytes));
        let all: Vec<usize> = (0..coded.len()).collect();
        group.bench_function(s.name, |b| {
            b.iter(|| decode_path(&mut Decoder::new(w, h), &coded, &all))
        });
        for end in run_ends(&coded) {
            let p = path(&coded, end);
            let start = ThreadTime::now();
            decode_path(&mut Decoder::new(w, h), &coded, &p);
            let t = start.elapsed();
            if worst.as_ref().is_none_or(|(d, ..)| t > *d) {
                worst = Some((t, w, h, coded.clone(), p));
            }
        }
    }
    if let Some((_, w, h, coded, p)) = worst {
        group.throughput(Throughput::Bytes(u64::from(w * h * 4)));
        group.bench_function("worst-path", |b| {
            b.iter(|| decode_path(&mut Decoder::new(w, h), &coded, &p))
        });
    }
    group.finish();
}
