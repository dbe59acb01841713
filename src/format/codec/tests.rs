//! Round trips of synthetic but structured screen sequences (text, scrolls,
//! moved windows), chain bounds, and hostile payloads.

use proptest::prelude::*;

use super::*;
use crate::frame::{Frame, FrameRef, PixelLayout};

/// A small screen painter: a background, "text" lines drawn from a fixed
/// set of glyphs (so shapes repeat, as on a real screen) and windows.
#[derive(Clone)]
struct Screen {
    w: usize,
    h: usize,
    px: Vec<u32>,
}

impl Screen {
    fn new(w: usize, h: usize, bg: u32) -> Screen {
        Screen {
            w,
            h,
            px: vec![bg; w * h],
        }
    }

    fn rect(&mut self, x: usize, y: usize, w: usize, h: usize, c: u32) {
        for yy in y..(y + h).min(self.h) {
            for xx in x..(x + w).min(self.w) {
                self.px[yy * self.w + xx] = c;
            }
        }
    }

    /// Draws glyph `g` (one of 16 made-up 6x9 shapes) at (x, y).
    fn glyph(&mut self, x: usize, y: usize, g: u32, c: u32) {
        for yy in 0..9 {
            for xx in 0..6 {
                let bit = (g.wrapping_mul(2_654_435_761) >> ((yy * 6 + xx) % 29)) & 1;
                if bit == 1 && x + xx < self.w && y + yy < self.h {
                    self.px[(y + yy) * self.w + x + xx] = c;
                }
            }
        }
    }

    /// Fills a box with lines of text, line `first` at the top.
    fn text(&mut self, x: usize, y: usize, w: usize, h: usize, first: usize, c: u32) {
        for line in 0..h / 12 {
            let n = first + line;
            for col in 0..(w / 7).min(8 + (n * 7919) % 40) {
                self.glyph(
                    x + col * 7,
                    y + line * 12,
                    ((n * 31 + col * 17) % 16) as u32,
                    c,
                );
            }
        }
    }

    fn frame(&self) -> Frame {
        let data = self.px.iter().flat_map(|p| {
            let [b, g, r, _] = p.to_le_bytes();
            [b, g, r, 0xFF]
        });
        Frame::from_bgrx(self.w as u32, self.h as u32, data.collect()).unwrap()
    }
}

/// A pseudo-random colour.
fn noise(i: usize) -> u32 {
    (i as u32)
        .wrapping_mul(2_654_435_761)
        .rotate_left(13)
        .wrapping_mul(0x9E37_79B9)
        >> 8
}

/// A page of text in a "browser" viewport, scrolled to line `top`.
fn page(w: usize, h: usize, top: usize) -> Screen {
    let mut s = Screen::new(w, h, 0xF4F4F4);
    s.rect(0, 0, w, 30, 0x3050A0);
    s.text(8, 10, w / 2, 14, 1000, 0xFFFFFF);
    s.text(10, 40, w - 30, h - 40, top, 0x202020);
    // A photo in the page (noise: nothing but a move codes it cheaply),
    // from page row 60 to 160.
    for y in 40..h {
        let row = y - 40 + top * 12;
        if (60..160).contains(&row) {
            for x in w / 2..(w / 2 + 120).min(w - 20) {
                s.px[y * w + x] = noise(row * 7919 + x);
            }
        }
    }
    s.rect(
        w - 12,
        40 + top % h.saturating_sub(80).max(1),
        10,
        30,
        0x808080,
    );
    s
}

/// Encodes `frames`, decodes every payload in order and checks each frame
/// comes back exactly; returns the payloads.
fn round_trip(frames: &[Frame]) -> Vec<Encoded> {
    let (w, h) = (frames[0].width(), frames[0].height());
    let mut enc = Encoder::new(w, h);
    let mut dec = Decoder::new(w, h);
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let e = enc.encode(f.as_ref());
        let got = dec.decode(e.key, &e.payload).unwrap();
        assert!(got == f, "frame {i} differs after decoding");
        out.push(e);
    }
    out
}

#[test]
fn frames_round_trip_exactly() {
    let a = Frame::filled(64, 32, 0x336699);
    let mut enc = Encoder::new(64, 32);
    let mut dec = Decoder::new(64, 32);
    let e = enc.encode(a.as_ref());
    assert_eq!(dec.decode(e.key, &e.payload).unwrap(), &a);
}

#[test]
fn the_first_frame_is_a_keyframe_and_small_changes_are_deltas() {
    let mut s = page(300, 200, 0);
    let mut frames = vec![s.frame()];
    for i in 0..5 {
        s.glyph(20 + i * 7, 180, i as u32, 0xAA0000);
        frames.push(s.frame());
    }
    let coded = round_trip(&frames);
    assert!(coded[0].key);
    assert!(coded[1..].iter().all(|e| !e.key));
    for e in &coded[1..] {
        assert!(
            e.payload.len() < 200,
            "a keystroke took {} bytes",
            e.payload.len()
        );
    }
}

#[test]
fn a_scroll_is_coded_as_a_move_not_as_new_pixels() {
    let (w, h) = (480, 320);
    let frames: Vec<Frame> = [0, 3, 7, 5, 20]
        .iter()
        .map(|&top| page(w, h, top).frame())
        .collect();
    let coded = round_trip(&frames);
    let key = coded[0].payload.len();
    for (i, e) in coded.iter().enumerate().skip(1) {
        assert!(!e.key);
        // A scroll by n lines brings in n new lines at most (20 - 5 = 15
        // of 23 for the last one); the rest must be moved, not re-coded.
        let limit = if i == 4 { key } else { key / 3 };
        assert!(
            e.payload.len() < limit,
            "scroll {i}: {} bytes, key {key}",
            e.payload.len()
        );
    }
}

#[test]
fn a_moved_window_is_coded_as_a_move() {
    let (w, h) = (400, 300);
    let mut desk = Screen::new(w, h, 0x204060);
    for y in 0..h {
        desk.rect(0, y, w, 1, 0x204060 + (y as u32 / 4));
    }
    let window = |s: &mut Screen, x: usize, y: usize| {
        s.rect(x, y, 150, 110, 0xEEEEEE);
        s.rect(x, y, 150, 12, 0x3355AA);
        s.text(x + 4, y + 16, 140, 40, 7, 0x111111);
        for yy in y + 60..y + 110 {
            for xx in x + 4..x + 146 {
                if yy < h && xx < w {
                    s.px[yy * w + xx] = noise((yy - y) * 1000 + xx - x);
                }
            }
        }
    };
    let mut frames = Vec::new();
    for (x, y) in [(10, 10), (93, 41), (200, 150), (37, 170)] {
        let mut s = desk.clone();
        window(&mut s, x, y);
        frames.push(s.frame());
    }
    let coded = round_trip(&frames);
    let key = coded[0].payload.len();
    for e in &coded[1..] {
        assert!(!e.key);
        assert!(
            e.payload.len() * 4 < key,
            "{} bytes, key {key}",
            e.payload.len()
        );
    }
}

#[test]
fn all_pixel_layouts_and_spare_bytes_decode_to_the_same_bgrx() {
    let s = page(70, 50, 4);
    let bgrx = s.frame();
    let rgba: Vec<u8> = bgrx
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0], 0x80])
        .collect();
    let mut noisy = bgrx.data().to_vec();
    for (i, p) in noisy.chunks_exact_mut(4).enumerate() {
        p[3] = i as u8;
    }
    for input in [
        FrameRef::new(70, 50, PixelLayout::Rgba, &rgba).unwrap(),
        FrameRef::new(70, 50, PixelLayout::Bgrx, &noisy).unwrap(),
    ] {
        let e = Encoder::new(70, 50).encode(input);
        let mut dec = Decoder::new(70, 50);
        assert_eq!(dec.decode(e.key, &e.payload).unwrap(), &bgrx);
    }
}

/// The frames a reader decodes to reach frame `i` (spec §7.2): its
/// keyframe, then from the last refresh since (or the frame after the
/// keyframe) up to `i`.
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

/// A photograph-like wallpaper (every pixel differs a little from its
/// neighbours) with a window of text moved over it.
fn desk(w: usize, h: usize, x: usize, y: usize) -> Frame {
    let mut s = Screen::new(w, h, 0);
    for yy in 0..h {
        for xx in 0..w {
            let v = ((xx * 3 + yy * 2) / 5 + (noise(yy * w + xx) & 7) as usize) as u32;
            s.px[yy * w + xx] = (v & 0xFF) << 8 | ((v / 2) & 0xFF) << 16 | ((v * 3 / 4) & 0xFF);
        }
    }
    s.rect(x, y, 96, 64, 0xF0F0F0);
    s.text(x + 4, y + 4, 88, 56, 7, 0x101010);
    s.frame()
}

#[test]
fn chains_end_before_decoding_passes_the_budget() {
    // Each frame scrolls the page: every delta costs a good share of a
    // keyframe to decode, so a small budget ends runs often.
    let frames: Vec<Frame> = (0..40).map(|i| page(128, 96, i * 2).frame()).collect();
    let mut enc = Encoder::with_budget(128, 96, 400_000.0);
    let coded: Vec<Encoded> = frames.iter().map(|f| enc.encode(f.as_ref())).collect();
    let starts = coded.iter().filter(|e| e.key || e.refresh).count();
    assert!(starts >= 3, "{starts} keyframes and refreshes");
    assert!(coded.iter().all(|e| !(e.key && e.refresh)));
    // Every delta costs at least 30 us in the estimate, so no path can
    // hold more than the budget's worth of them.
    let longest = (0..coded.len())
        .map(|i| path(&coded, i).len())
        .max()
        .unwrap();
    assert!(longest <= 15, "a path of {longest} frames");
}

#[test]
fn a_keyframe_beyond_the_budget_still_starts_a_chain() {
    // A budget smaller than any keyframe's estimate: deltas and refreshes
    // still follow, rather than a keyframe on every frame.
    let frames: Vec<Frame> = (0..12)
        .map(|i| desk(160, 120, 5 + i * 3, 8 + i * 2))
        .collect();
    let mut enc = Encoder::with_budget(160, 120, 1_000.0);
    let coded: Vec<Encoded> = frames.iter().map(|f| enc.encode(f.as_ref())).collect();
    let keys = coded.iter().filter(|e| e.key).count();
    assert!(
        keys < coded.len() / 2,
        "{keys} keyframes of {}",
        coded.len()
    );
    round_trip(&frames);
}

#[test]
fn any_frame_decodes_from_its_keyframe_and_last_refresh() {
    let frames: Vec<Frame> = (0..30)
        .map(|i| desk(160, 120, 5 + (i * 7) % 60, 8 + (i * 5) % 50))
        .collect();
    let mut enc = Encoder::with_budget(160, 120, 600_000.0);
    let coded: Vec<Encoded> = frames.iter().map(|f| enc.encode(f.as_ref())).collect();
    assert!(coded.iter().any(|e| e.refresh), "no refresh");
    assert!(coded.iter().all(|e| is_refresh(&e.payload) == e.refresh));
    for (i, frame) in frames.iter().enumerate() {
        let mut dec = Decoder::new(160, 120);
        let mut last = None;
        for n in path(&coded, i) {
            last = Some(dec.decode(coded[n].key, &coded[n].payload).unwrap().clone());
        }
        assert!(last.as_ref() == Some(frame), "frame {i} via its path");
    }
    // Decoding every frame in order, refreshes included, gives the same.
    round_trip(&frames);
}

#[test]
fn a_moved_window_uncovers_what_the_keyframe_showed() {
    // The keyframe shows the wallpaper around the window at A. The window
    // moves to B, uncovering A: new pixels, predicted. It moves on to C,
    // uncovering B, which the keyframe showed: those tiles are recalled,
    // which costs nearly nothing. (The window moves by whole tiles: a tile
    // half window, half wallpaper is new pixels.)
    let frames = [
        desk(200, 150, 16, 16),
        desk(200, 150, 96, 16),
        desk(200, 150, 96, 80),
    ];
    let coded = round_trip(&frames);
    assert!(!coded[1].key && !coded[2].key);
    assert!(
        coded[2].payload.len() * 3 < coded[1].payload.len() * 2,
        "uncovering B took {} bytes, uncovering A {}",
        coded[2].payload.len(),
        coded[1].payload.len()
    );
}

#[test]
fn photographs_are_predicted_and_come_back_exactly() {
    // Smooth noise everywhere: the keyframe predicts it, and the result
    // is smaller than the literal pixels would be.
    let f = desk(96, 64, 200, 200);
    let coded = round_trip(std::slice::from_ref(&f));
    let raw = zstd::bulk::compress(f.data(), 3).unwrap();
    assert!(
        coded[0].payload.len() < raw.len(),
        "{} bytes, zstd of the pixels {}",
        coded[0].payload.len(),
        raw.len()
    );
}

#[test]
fn a_delta_without_its_keyframe_is_refused() {
    let mut dec = Decoder::new(4, 4);
    assert!(matches!(
        dec.decode(false, &[]),
        Err(CodecError::NoKeyframe)
    ));
}

#[test]
fn a_delta_given_as_a_keyframe_names_both_kinds() {
    let frames = [page(64, 40, 0).frame(), page(64, 40, 1).frame()];
    let mut enc = Encoder::new(64, 40);
    let k = enc.encode(frames[0].as_ref());
    let mut dec = Decoder::new(64, 40);
    dec.decode(true, &k.payload).unwrap();
    let err = dec.decode(true, &k.payload[..0]).unwrap_err();
    assert!(
        matches!(
            err,
            CodecError::Truncated {
                field: "payload flags",
                ..
            }
        ),
        "{err}"
    );
    let mut dec = Decoder::new(64, 40);
    let err = dec.decode(false, &k.payload).unwrap_err();
    assert!(matches!(err, CodecError::NoKeyframe), "{err}");
    let mut dec = Decoder::new(64, 40);
    assert!(dec.decode(true, &[0x28, 0xB5, 0x2F, 0xFD, 0, 0]).is_err());
}

#[test]
fn a_truncated_keyframe_says_what_it_expected() {
    let f = page(64, 40, 0).frame();
    let e = Encoder::new(64, 40).encode(f.as_ref());
    let err = Decoder::new(64, 40)
        .decode(true, &e.payload[..e.payload.len() / 2])
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("§7"), "{msg}");
}

#[test]
fn after_a_bad_delta_only_a_keyframe_decodes() {
    let frames = [page(64, 40, 0).frame(), page(64, 40, 2).frame()];
    let mut enc = Encoder::new(64, 40);
    let k = enc.encode(frames[0].as_ref());
    let d = enc.encode(frames[1].as_ref());
    let mut dec = Decoder::new(64, 40);
    dec.decode(true, &k.payload).unwrap();
    let mut bad = d.payload.clone();
    bad.truncate(bad.len() - 1);
    assert!(dec.decode(false, &bad).is_err());
    assert!(matches!(
        dec.decode(false, &d.payload),
        Err(CodecError::NoKeyframe)
    ));
    assert_eq!(dec.decode(true, &k.payload).unwrap(), &frames[0]);
}

#[test]
fn sizes_beyond_the_spec_are_refused_by_the_decoder() {
    let err = Decoder::new(0, 10).decode(true, &[]).unwrap_err();
    assert!(matches!(err, CodecError::Geometry { .. }), "{err}");
}

#[test]
fn broken_payload_fields_are_named() {
    let (_, k, d) = sample();
    let decode = |key: bool, payload: &[u8]| {
        let mut dec = Decoder::new(48, 40);
        dec.decode(true, &k.payload).unwrap();
        dec.decode(key, payload).map(|_| ()).unwrap_err()
    };

    let mut bad = d.payload.clone();
    bad[0] = 4;
    assert!(matches!(
        decode(false, &bad),
        CodecError::Flags { found: 4, .. }
    ));
    let mut bad = k.payload.clone();
    bad[0] = 1;
    let err = decode(true, &bad);
    assert!(matches!(err, CodecError::Flags { key: true, .. }), "{err}");

    // A main part longer than the payload.
    let err = decode(false, &[0, 0x7F, 1, 2]);
    assert!(
        matches!(
            err,
            CodecError::MainLength {
                declared: 127,
                available: 2
            }
        ),
        "{err}"
    );
    let err = decode(false, &[0, 0x80, 0x80, 0x80, 0x80]);
    assert!(matches!(err, CodecError::Truncated { .. }), "{err}");

    // A delta body with a mode no operation has, then one whose photo part
    // is missing, then a keyframe body with a copy tile.
    let mut main = stream::Compressor::new(stream::Which::Main);
    main.restart();
    let key = payload(0, &mut main, &key_body(), None);
    let mut check = |flags: u8, key_frame: bool, body: &[u8]| {
        let mut dec = Decoder::new(48, 40);
        dec.decode(true, &key).unwrap();
        let p = payload(flags, &mut main, body, None);
        dec.decode(key_frame, &p).map(|_| ()).unwrap_err()
    };
    let mut body = vec![layout::KIND_DELTA, 0];
    body.extend_from_slice(&[0, 0, 0, 0, 9, 0, 0, 0, 0]);
    let err = check(0, false, &body);
    assert!(
        matches!(err, CodecError::Mode { tile: 4, found: 9 }),
        "{err}"
    );

    let mut body = vec![layout::KIND_DELTA, 0];
    body.extend_from_slice(&[0, 0, 0, 0, 4, 0, 0, 0, 0]);
    let err = check(0, false, &body);
    assert!(
        matches!(
            err,
            CodecError::PhotoLength {
                expected: 768,
                found: 0
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("§7.3"), "{err}");
}

/// A keyframe body of a 48 x 40 frame (nine literal tiles).
fn key_body() -> Vec<u8> {
    let mut body = vec![layout::KIND_KEY, 0];
    body.extend(std::iter::repeat_n(1u8, 9));
    body.extend((0..48 * 40 * 3).map(|i| (i * 7 % 251) as u8));
    body
}

/// A valid keyframe and delta of a small scroll, to mutate.
fn sample() -> (Frame, Encoded, Encoded) {
    let a = page(48, 40, 0);
    let b = page(48, 40, 1);
    let mut enc = Encoder::new(48, 40);
    let k = enc.encode(a.frame().as_ref());
    let d = enc.encode(b.frame().as_ref());
    (a.frame(), k, d)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Random bytes as a keyframe or as a delta never panic.
    #[test]
    fn random_payloads_are_refused_or_decoded(
        key in any::<bool>(),
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let (_, k, _) = sample();
        let mut dec = Decoder::new(48, 40);
        dec.decode(true, &k.payload).unwrap();
        let _ = dec.decode(key, &bytes);
    }

    /// Valid payloads with bytes flipped, cut or added never panic, and a
    /// keyframe after them still decodes.
    #[test]
    fn mutated_payloads_are_refused_or_decoded(
        which in 0..2usize,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in any::<usize>(),
        extra in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let (a, k, d) = sample();
        let mut p = if which == 0 { k.payload.clone() } else { d.payload.clone() };
        for (at, x) in flips {
            let n = p.len();
            p[at % n] ^= x;
        }
        p.truncate(cut % (p.len() + 1));
        p.extend_from_slice(&extra);
        let mut dec = Decoder::new(48, 40);
        if which == 1 {
            dec.decode(true, &k.payload).unwrap();
        }
        let _ = dec.decode(which == 0, &p);
        prop_assert_eq!(dec.decode(true, &k.payload).unwrap(), &a);
    }

    /// Hand-built bodies (valid zstd, arbitrary structure) never panic:
    /// this reaches the body checks that random zstd bytes rarely get
    /// past.
    #[test]
    fn arbitrary_delta_bodies_are_refused_or_decoded(
        count in 0..=255u8,
        vectors in proptest::collection::vec(any::<i16>(), 0..140),
        modes in proptest::collection::vec(0..8u8, 0..16),
        refs in proptest::collection::vec(any::<u8>(), 0..16),
        rest in proptest::collection::vec(any::<u8>(), 0..2000),
        photo in proptest::collection::vec(any::<u8>(), 0..200),
        flags in 0..3u8,
    ) {
        let mut body = vec![layout::KIND_DELTA, count];
        for v in vectors.iter().take(2 * usize::from(count)) {
            body.extend_from_slice(&v.to_le_bytes());
        }
        body.extend_from_slice(&modes);
        body.extend_from_slice(&refs);
        body.extend_from_slice(&rest);
        // A valid keyframe body, then the arbitrary delta body, in one
        // chain stream as an encoder would write them.
        let key_body = key_body();
        let mut main = stream::Compressor::new(stream::Which::Main);
        let mut photo_stream = stream::Compressor::new(stream::Which::Photo);
        main.restart();
        let key = payload(0, &mut main, &key_body, None);
        let delta = payload(flags, &mut main, &body, Some((&mut photo_stream, &photo)));
        let mut dec = Decoder::new(48, 40);
        dec.decode(true, &key).unwrap();
        let _ = dec.decode(false, &delta);
        let (a, k, _) = sample();
        prop_assert_eq!(dec.decode(true, &k.payload).unwrap(), &a);
    }
}

/// A payload (§7.3) of a body given by hand, with an optional photo part.
fn payload(
    flags: u8,
    main: &mut stream::Compressor,
    body: &[u8],
    photo: Option<(&mut stream::Compressor, &[u8])>,
) -> Vec<u8> {
    let mut part = Vec::new();
    main.frame(body, &mut part);
    assert!(part.len() < 1 << 14, "two varint bytes are enough here");
    let mut out = vec![flags];
    if part.len() < 0x80 {
        out.push(part.len() as u8);
    } else {
        out.extend_from_slice(&[part.len() as u8 | 0x80, (part.len() >> 7) as u8]);
    }
    out.extend_from_slice(&part);
    if let Some((stream, bytes)) = photo
        && !bytes.is_empty()
    {
        stream.whole(bytes, &mut out);
    }
    out
}

/// The delta of spec §7.8, written byte by byte, decodes to the scrolled
/// screen: the spec's example and the decoder agree.
#[test]
fn the_spec_example_decodes() {
    let (w, h) = (20usize, 4usize);
    let before: Vec<u32> = (0..w * h).map(noise).collect();
    let screen = |px: &[u32]| Screen {
        w,
        h,
        px: px.to_vec(),
    };

    // The keyframe: two literal tiles, whose planes read like the image.
    let mut key = vec![layout::KIND_KEY, 0, 1, 1];
    for k in 0..3 {
        key.extend(before.iter().map(|&p| layout::planes_of(p)[k]));
    }

    let mut delta = vec![1, 1, 4, 0, 0, 0, 2, 1, 1];
    delta.extend([0x00; 16]);
    delta.extend([0xFF; 16]);
    delta.extend([0x00; 16]);
    assert_eq!(delta.len(), 57, "the size the spec gives");

    let after: Vec<u32> = (0..w * h)
        .map(|i| {
            let (x, y) = (i % w, i / w);
            if x < 16 {
                before[y * w + x + 4]
            } else {
                0xFF_FF_FF
            }
        })
        .collect();

    let mut main = stream::Compressor::new(stream::Which::Main);
    let mut dec = Decoder::new(w as u32, h as u32);
    let k = payload(0, &mut main, &key, None);
    assert_eq!(dec.decode(true, &k).unwrap(), &screen(&before).frame());
    let d = payload(0, &mut main, &delta, None);
    assert_eq!(dec.decode(false, &d).unwrap(), &screen(&after).frame());
}
