//! The file format through the library: round trips, recovery of files
//! cut short, and the writer's guarantees.

mod common;

use std::fs;
use std::io::Cursor;

use common::{header, screen, temp_file, write_sample};
use proptest::prelude::*;
use trajectory::format::{self, Error, Opened, Reader, Writer, partial_path};
use trajectory::model::*;
use trajectory::{Frame, FrameRef, PixelLayout};

#[test]
fn a_written_file_reads_back_exactly() {
    let (_dir, path) = temp_file("sample.traj");
    let summary = write_sample(&path, 7);
    assert_eq!(
        (summary.steps, summary.frames, summary.frames_pushed),
        (7, 3, 7)
    );
    assert!(!partial_path(&path).exists());

    let mut r = Reader::open(&path).unwrap();
    assert!(matches!(r.opened(), Opened::Trailer));
    assert_eq!(r.header(), &header(32, 24));
    assert_eq!(r.steps().len(), 7);
    assert_eq!(r.steps()[1].checkpoint.timeout_ms, Some(500));
    for i in 0..7u32 {
        let id = r.steps()[i as usize].frame;
        assert_eq!(id, i % 3, "identical screens share a frame");
        assert_eq!(r.frame(id).unwrap(), &screen(32, 24, i % 3));
    }
    let stats = r.stats();
    assert_eq!((stats.frames, stats.file_bytes), (3, summary.bytes));
    assert_eq!(stats.raw_frame_bytes, 3 * 32 * 24 * 3);
}

#[test]
fn frames_decode_the_same_in_any_order() {
    let (_dir, path) = temp_file("order.traj");
    write_sample(&path, 9);
    let mut r = Reader::open(&path).unwrap();
    for id in [2, 0, 1, 1, 2, 0, 0] {
        assert_eq!(r.frame(id).unwrap(), &screen(32, 24, id));
    }
    let err = r.frame(3).unwrap_err();
    assert_eq!(
        err.to_string(),
        "there is no frame 3: the file holds 3 frames"
    );
}

/// A grey screen with a block of noise that is new in every frame, as a
/// video or a photo being browsed: costly deltas, so chains get refreshes.
fn noisy_screen(width: u32, height: u32, seed: u32) -> Frame {
    let mut data = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            let v = if x < width / 2 && y < height / 2 {
                let h = (x ^ y.rotate_left(11) ^ seed.wrapping_mul(0x9E37_79B9))
                    .wrapping_mul(0x85EB_CA6B);
                (h ^ (h >> 15)) as u8
            } else {
                0xC0
            };
            data.extend_from_slice(&[v, v.wrapping_add(40), v / 2, 0xFF]);
        }
    }
    Frame::from_bgrx(width, height, data).unwrap()
}

#[test]
fn frames_after_a_refresh_decode_the_same_whatever_the_order() {
    let frames: Vec<Frame> = (0..48).map(|i| noisy_screen(960, 540, i)).collect();
    // The writer codes frames as a fresh encoder does: this session has
    // refreshes, so the reader's skip to the last refresh (§7.2) is used.
    let mut encoder = format::codec::Encoder::new(960, 540);
    let refreshes = frames
        .iter()
        .filter(|f| encoder.encode(f.as_ref()).refresh)
        .count();
    assert!(refreshes >= 2, "{refreshes} refreshes: the test needs some");

    let (_dir, path) = temp_file("refreshes.traj");
    let mut w = Writer::create(&path, &header(960, 540)).unwrap();
    for f in &frames {
        w.push_frame(f.as_ref()).unwrap();
    }
    assert_eq!(w.finish().unwrap().frames, 48);

    let mut r = Reader::open(&path).unwrap();
    let mut order: Vec<u32> = (0..48).collect();
    // Backwards, then strides that jump within and across chains.
    order.reverse();
    order.extend((0..48).step_by(7));
    order.extend((0..48).rev().step_by(5));
    order.extend(0..48);
    for id in order {
        assert!(r.frame(id).unwrap() == &frames[id as usize], "frame {id}");
    }
}

#[test]
fn a_screen_given_as_rgba_or_bgrx_is_stored_once() {
    let (_dir, path) = temp_file("layouts.traj");
    let bgrx = screen(8, 4, 1);
    let rgba: Vec<u8> = bgrx
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0], 0xFF])
        .collect();
    let mut garbage_x = bgrx.data().to_vec();
    garbage_x
        .iter_mut()
        .skip(3)
        .step_by(4)
        .for_each(|b| *b = 0x5A);
    let mut w = Writer::create(&path, &header(8, 4)).unwrap();
    let a = w.push_frame(bgrx.as_ref()).unwrap();
    let b = w
        .push_frame(FrameRef::new(8, 4, PixelLayout::Rgba, &rgba).unwrap())
        .unwrap();
    let c = w
        .push_frame(FrameRef::new(8, 4, PixelLayout::Bgrx, &garbage_x).unwrap())
        .unwrap();
    assert_eq!((a, b, c), (0, 0, 0));
    assert_eq!(w.finish().unwrap().frames, 1);
}

#[test]
fn a_later_header_supersedes_the_first() {
    let (_dir, path) = temp_file("masks.traj");
    let mut w = Writer::create(&path, &header(32, 24)).unwrap();
    let f = w.push_frame(screen(32, 24, 0).as_ref()).unwrap();
    w.push_step(&step(f)).unwrap();
    let mut later = header(32, 24);
    later.proposed_masks.push(ProposedMask {
        rect: Rect::new(1, 2, 3, 4),
        changes: 9,
    });
    w.set_header(&later).unwrap();
    let partial = w.partial_path().to_path_buf();
    // Through the scan (no trailer yet) and through the trailer alike.
    assert_eq!(Reader::open(&partial).unwrap().header(), &later);
    w.finish().unwrap();
    assert_eq!(Reader::open(&path).unwrap().header(), &later);
}

#[test]
fn the_writer_refuses_what_would_make_a_bad_file() {
    let (_dir, path) = temp_file("refuse.traj");
    let mut w = Writer::create(&path, &header(32, 24)).unwrap();
    let err = w.push_frame(screen(16, 24, 0).as_ref()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the frame is 16x24, the trajectory's screen is 32x24x24"
    );
    let short = vec![0u8; 10];
    let bad = FrameRef {
        width: 32,
        height: 24,
        layout: PixelLayout::Bgrx,
        data: &short,
    };
    let err = w.push_frame(bad).unwrap_err();
    assert!(
        matches!(
            err,
            Error::FrameBuffer {
                expected: 3072,
                found: 10
            }
        ),
        "{err}"
    );
    let err = w.push_step(&step(0)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::StepFrame {
                frame: 0,
                frames: 0,
                ..
            }
        ),
        "{err}"
    );
    let err = w.set_header(&header(64, 24)).unwrap_err();
    assert!(matches!(err, Error::ScreenChanged { .. }), "{err}");
    // None of these broke the writer.
    let f = w.push_frame(screen(32, 24, 0).as_ref()).unwrap();
    w.push_step(&step(f)).unwrap();
    assert_eq!(w.finish().unwrap().steps, 1);
}

#[test]
fn a_partial_file_in_the_way_is_never_overwritten() {
    let (_dir, path) = temp_file("busy.traj");
    fs::write(partial_path(&path), b"what a killed recording left").unwrap();
    let err = Writer::create(&path, &header(32, 24)).err().unwrap();
    assert!(matches!(err, Error::PartialExists { .. }), "{err}");
    assert!(err.to_string().contains("trajectory repair"), "{err}");
    assert_eq!(
        fs::read(partial_path(&path)).unwrap(),
        b"what a killed recording left"
    );
}

#[test]
fn a_killed_recording_opens_by_scanning_and_repairs_to_the_same_trajectory() {
    let (_dir, path) = temp_file("killed.traj");
    let mut w = Writer::create(&path, &header(32, 24)).unwrap();
    for i in 0..5 {
        let f = w.push_frame(screen(32, 24, i).as_ref()).unwrap();
        w.push_step(&step(f)).unwrap();
    }
    let partial = w.partial_path().to_path_buf();
    drop(w); // as if killed: no trailer

    let mut r = Reader::open(&partial).unwrap();
    let Opened::Scanned(rec) = r.opened() else {
        panic!("a file without a trailer is scanned");
    };
    assert!(rec.stopped_by.is_none() && rec.interrupted);
    assert_eq!(r.steps().len(), 5);
    assert_eq!(r.frame(4).unwrap(), &screen(32, 24, 4));

    let scanned = format::scan_file(&partial, &mut |_| {}).unwrap();
    assert!(!scanned.has_trailer);
    format::write_recovered(&partial, &scanned, &path, &mut |_| {}).unwrap();
    let mut repaired = Reader::open(&path).unwrap();
    assert!(matches!(repaired.opened(), Opened::Trailer));
    assert_eq!(repaired.steps(), r.steps());
    assert_eq!(repaired.frame(3).unwrap(), &screen(32, 24, 3));
}

#[test]
fn a_file_cut_anywhere_opens_up_to_its_last_complete_step() {
    let (_dir, path) = temp_file("cut.traj");
    write_sample(&path, 6);
    let bytes = fs::read(&path).unwrap();
    let full = Reader::new(Cursor::new(&bytes)).unwrap();
    let steps = full.steps().to_vec();
    // Where each step record ends, from a scan of the whole file.
    let ends = step_ends(&bytes);
    assert_eq!(ends.len(), steps.len());

    for cut in 0..bytes.len() {
        match Reader::new(Cursor::new(&bytes[..cut])) {
            Ok(r) => {
                let complete = ends.iter().filter(|&&end| end <= cut as u64).count();
                assert_eq!(r.steps(), &steps[..complete], "cut at {cut}");
            }
            Err(Error::TooShort { .. } | Error::NoHeader { .. }) => {
                let len = u32::from_le_bytes(bytes[16..20].try_into().unwrap()) as usize;
                let header_end = 12 + 12 + len;
                assert!(
                    cut < header_end,
                    "only a cut in the header fails, not at {cut}"
                );
            }
            Err(e) => panic!("cut at {cut}: {e}"),
        }
    }
}

#[test]
fn unknown_record_types_are_skipped() {
    let (_dir, path) = temp_file("grown.traj");
    let mut w = Writer::create(&path, &header(32, 24)).unwrap();
    let f = w.push_frame(screen(32, 24, 0).as_ref()).unwrap();
    w.push_step(&step(f)).unwrap();
    let partial = w.partial_path().to_path_buf();
    drop(w);
    // A record of a type v1 does not know, then one more step.
    let mut bytes = fs::read(&partial).unwrap();
    format::record::encode(format::Tag(*b"NOTE"), b"from a later version", &mut bytes).unwrap();
    let more = rmp_serde::to_vec_named(&step(0)).unwrap();
    format::record::encode(format::Tag::STEP, &more, &mut bytes).unwrap();
    let r = Reader::new(Cursor::new(&bytes)).unwrap();
    assert_eq!(r.steps().len(), 2);
}

#[test]
fn a_newer_major_version_is_refused_naming_both_versions() {
    let (_dir, path) = temp_file("v2.traj");
    write_sample(&path, 2);
    let mut bytes = fs::read(&path).unwrap();
    bytes[8..12].copy_from_slice(&[2, 0, 3, 0]);
    let err = Reader::new(Cursor::new(&bytes)).err().unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains("version 2.3") && msg.contains("reads version 1.x"),
        "{msg}"
    );
    assert!(msg.contains("install a newer trajectory"), "{msg}");
}

#[test]
fn a_newer_minor_version_is_read() {
    let (_dir, path) = temp_file("v1.7.traj");
    write_sample(&path, 2);
    let mut bytes = fs::read(&path).unwrap();
    bytes[10..12].copy_from_slice(&[7, 0]);
    let r = Reader::new(Cursor::new(&bytes)).unwrap();
    assert_eq!(r.version().to_string(), "1.7");
}

fn step(frame: FrameId) -> Step {
    Step {
        at_us: 0,
        action: Action::Move { x: 1, y: 2 },
        frame,
        checkpoint: CheckpointOverride::default(),
    }
}

/// The end offset of every step record, walking the records as §3 says.
fn step_ends(bytes: &[u8]) -> Vec<u64> {
    let mut ends = Vec::new();
    let mut offset = 12usize;
    while offset + 12 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[offset + 4..offset + 8].try_into().unwrap()) as usize;
        let end = offset + 12 + len;
        if &bytes[offset..offset + 4] == b"STEP" {
            ends.push(end as u64);
        }
        offset = end;
    }
    ends
}

// Round trips of random trajectories: whatever is written reads back
// exactly, frames included, through the trailer and through a scan.

fn rect() -> impl Strategy<Value = Rect> {
    (-50i32..2000, -50i32..2000, 1u32..500, 1u32..500)
        .prop_map(|(x, y, w, h)| Rect::new(x, y, w, h))
}

fn modifiers() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::sample::select(vec!["ctrl", "shift", "alt", "super"]),
        0..3,
    )
    .prop_map(|m| m.into_iter().map(String::from).collect())
}

fn action() -> impl Strategy<Value = Action> {
    let button = (1u8..10).prop_map(Button);
    let point = (any::<i32>(), any::<i32>());
    prop_oneof![
        point.prop_map(|(x, y)| Action::Move { x, y }),
        (button.clone(), point, modifiers()).prop_map(|(button, (x, y), modifiers)| {
            Action::Press {
                button,
                x,
                y,
                modifiers,
            }
        }),
        (button.clone(), point).prop_map(|(button, (x, y))| Action::Release { button, x, y }),
        (button.clone(), 1u8..4, point, any::<u64>(), modifiers()).prop_map(
            |(button, count, (x, y), interval_us, modifiers)| Action::Click {
                button,
                count,
                x,
                y,
                interval_us,
                modifiers,
            }
        ),
        (
            button,
            prop::collection::vec((any::<i32>(), any::<i32>(), any::<u64>()), 0..6),
            modifiers()
        )
            .prop_map(|(button, p, modifiers)| Action::Drag {
                button,
                path: p
                    .into_iter()
                    .map(|(x, y, t_us)| PathPoint { x, y, t_us })
                    .collect(),
                modifiers,
            }),
        (any::<i32>(), any::<i32>(), point, modifiers()).prop_map(|(dx, dy, (x, y), modifiers)| {
            Action::Scroll {
                dx,
                dy,
                x,
                y,
                modifiers,
            }
        }),
        "[a-z+]{0,12}".prop_map(|keys| Action::Key { keys }),
        ".{0,20}".prop_map(|s| Action::Type {
            text: Text::Literal(s)
        }),
        "[A-Z_]{1,8}".prop_map(|s| Action::Type {
            text: Text::Variable(s)
        }),
        any::<u64>().prop_map(|duration_us| Action::Wait { duration_us }),
    ]
}

fn region() -> impl Strategy<Value = Region> {
    prop_oneof![
        Just(Region::Full),
        rect().prop_map(Region::Rect),
        (0u32..500).prop_map(|radius| Region::AroundAction { radius }),
    ]
}

fn tolerance() -> impl Strategy<Value = Tolerance> {
    prop_oneof![
        any::<u64>().prop_map(Tolerance::Pixels),
        (0.0f64..=1.0).prop_map(Tolerance::Ratio),
    ]
}

fn overrides() -> impl Strategy<Value = CheckpointOverride> {
    (
        prop::option::of(region()),
        prop::option::of(prop::collection::vec(rect(), 0..3)),
        prop::option::of(0.0f64..1.0),
        prop::option::of(any::<bool>()),
        prop::option::of(tolerance()),
        prop::option::of(any::<u64>()),
        prop::option::of(any::<u32>()),
    )
        .prop_map(
            |(region, masks, threshold, include_aa, tolerance, timeout_ms, stable)| {
                CheckpointOverride {
                    region,
                    masks,
                    threshold,
                    include_aa,
                    tolerance,
                    timeout_ms,
                    stable,
                }
            },
        )
}

fn random_header(width: u32, height: u32) -> impl Strategy<Value = Header> {
    (
        any::<i64>(),
        prop::option::of((1.0f32..400.0, 1.0f32..400.0)),
        prop::option::of((
            "[a-z]{0,6}",
            "[a-z0-9]{0,6}",
            "[a-z,]{0,6}",
            "[a-z]{0,6}",
            ".{0,10}",
        )),
        prop::option::of(".{0,10}"),
        prop::option::of(".{0,30}"),
        prop::collection::vec((rect(), any::<u32>()), 0..3),
        prop::collection::vec("[A-Z]{1,6}", 0..3),
        overrides(),
    )
        .prop_map(
            move |(created, dpi, kb, wm, title, masks, variables, o)| Header {
                tool_version: "9.9.9".into(),
                created_unix_us: created,
                screen: ScreenGeometry {
                    width,
                    height,
                    depth: 24,
                },
                dpi: dpi.map(|(x, y)| Dpi { x, y }),
                keyboard: kb.map(|(rules, model, layout, variant, options)| KeyboardLayout {
                    rules,
                    model,
                    layout,
                    variant,
                    options,
                }),
                window_manager: wm,
                title,
                proposed_masks: masks
                    .into_iter()
                    .map(|(rect, changes)| ProposedMask { rect, changes })
                    .collect(),
                variables,
                checkpoint: Checkpoint::default().with(&o),
            },
        )
}

/// A random trajectory: a header, and per step an action, overrides and a
/// screen (pixels from a small palette so that screens repeat, in either
/// layout).
fn trajectory() -> impl Strategy<Value = (Header, Vec<(Step, Frame)>)> {
    (1u32..7, 1u32..6).prop_flat_map(|(w, h)| {
        let n = (w * h * 4) as usize;
        let frame = (
            prop::collection::vec(prop::sample::select(vec![0u8, 7, 255]), n),
            any::<bool>(),
        )
            .prop_map(move |(data, rgba)| {
                if rgba {
                    Frame::from_rgba(w, h, data).unwrap()
                } else {
                    Frame::from_bgrx(w, h, data).unwrap()
                }
            });
        let step = (any::<u64>(), action(), overrides(), frame).prop_map(
            |(at_us, action, checkpoint, f)| {
                (
                    Step {
                        at_us,
                        action,
                        frame: 0,
                        checkpoint,
                    },
                    f,
                )
            },
        );
        (random_header(w, h), prop::collection::vec(step, 0..8))
    })
}

/// A frame as the reader gives it back: BGRX, fourth byte 0xFF.
fn as_stored(f: &Frame) -> Vec<u8> {
    f.data()
        .chunks_exact(4)
        .flat_map(|p| match f.layout() {
            PixelLayout::Bgrx => [p[0], p[1], p[2], 0xFF],
            PixelLayout::Rgba => [p[2], p[1], p[0], 0xFF],
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_trajectories_round_trip_exactly((header, steps) in trajectory(), cut in any::<prop::sample::Index>()) {
        let (_dir, path) = temp_file("random.traj");
        let mut w = Writer::create(&path, &header).unwrap();
        let mut written = Vec::new();
        for (mut step, frame) in steps {
            step.frame = w.push_frame(frame.as_ref()).unwrap();
            w.push_step(&step).unwrap();
            written.push((step, frame));
        }
        w.finish().unwrap();

        let bytes = fs::read(&path).unwrap();
        let mut r = Reader::new(Cursor::new(&bytes)).unwrap();
        prop_assert_eq!(r.header(), &header);
        prop_assert_eq!(r.steps().len(), written.len());
        for (i, (step, frame)) in written.iter().enumerate() {
            prop_assert_eq!(&r.steps()[i], step);
            prop_assert_eq!(r.frame(step.frame).unwrap().data(), &as_stored(frame)[..]);
        }

        // Cut anywhere past the header: a prefix of the steps comes back.
        let ends = step_ends(&bytes);
        let cut = cut.index(bytes.len());
        if let Ok(cut_file) = Reader::new(Cursor::new(&bytes[..cut])) {
            let complete = ends.iter().filter(|&&end| end <= cut as u64).count();
            prop_assert_eq!(cut_file.steps(), &r.steps()[..complete]);
        }
    }
}

#[test]
fn delta_frames_decode_through_their_keyframe_chain() {
    // Frames 0 and 3 are keyframes, 1, 2 and 4 deltas that depend on the
    // frames before them: a fresh encoder starts each chain, so the chains
    // are the codec's own, not faked flags. The frames are large enough
    // that a moved square is a small change, which the codec codes as a
    // delta (a frame that is mostly new becomes a keyframe, spec §7.2).
    let (_dir, path) = temp_file("chains.traj");
    let head = rmp_serde::to_vec_named(&header(64, 32)).unwrap();
    let mut bytes = format::record::file_head().to_vec();
    format::record::encode(format::Tag::HEAD, &head, &mut bytes).unwrap();
    let mut enc = trajectory::format::codec::Encoder::new(64, 32);
    for id in 0..5u32 {
        if id == 3 {
            enc = trajectory::format::codec::Encoder::new(64, 32);
        }
        let coded = enc.encode(screen(64, 32, id).as_ref());
        let key = id == 0 || id == 3;
        assert_eq!(coded.key, key, "frame {id}");
        let mut payload = id.to_le_bytes().to_vec();
        payload.push(u8::from(key));
        payload.extend_from_slice(&coded.payload);
        format::record::encode(format::Tag::FRAME, &payload, &mut bytes).unwrap();
        let s = rmp_serde::to_vec_named(&step(id)).unwrap();
        format::record::encode(format::Tag::STEP, &s, &mut bytes).unwrap();
    }
    let partial = partial_path(&path);
    fs::write(&partial, &bytes).unwrap();
    let scanned = format::scan_file(&partial, &mut |_| {}).unwrap();
    format::write_recovered(&partial, &scanned, &path, &mut |_| {}).unwrap();

    for file in [&partial, &path] {
        let mut r = Reader::open(file).unwrap();
        let keyframes: Vec<u32> = (0..5).map(|i| r.frame_entry(i).unwrap().keyframe).collect();
        assert_eq!(keyframes, [0, 0, 0, 3, 3]);
        assert_eq!(r.stats().keyframes, 2);
        for id in [4, 2, 0, 1, 3, 4, 2] {
            assert_eq!(r.frame(id).unwrap(), &screen(64, 32, id), "frame {id}");
        }
    }
}
