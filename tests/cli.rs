//! The `show`, `repair` and `assemble` commands, run as a user runs them.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::{fixtures, screen, temp_file, write_sample};
use trajectory::format::{Opened, Reader};

fn trajectory(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trajectory"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn show_prints_the_header_sizes_and_the_steps() {
    let (_dir, path) = temp_file("show.traj");
    write_sample(&path, 5);
    let out = trajectory(&["show", s(&path)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for expected in [
        "(format 1.0, written by trajectory 0.1.0)",
        "screen         32x24x24",
        "duration       1.000 s",
        "steps          5",
        // How many are keyframes is the codec's choice.
        "frames         3 stored (",
        "     1     0.250 s  click left at 10,12",
        "tolerance 1%, timeout 500 ms",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from:\n{stdout}"
        );
    }
}

#[test]
fn show_json_is_one_document_with_the_documented_fields() {
    let (_dir, path) = temp_file("json.traj");
    write_sample(&path, 4);
    // -vv: logs go to stderr, never into the JSON.
    let out = trajectory(&["-vv", "show", s(&path), "--json"]);
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["format_version"], "1.0");
    assert_eq!(doc["opened"]["from"], "trailer");
    assert_eq!(doc["header"]["screen"]["width"], 32);
    assert_eq!(doc["duration_us"], 750_000);
    assert_eq!(doc["stats"]["frames"], 3);
    assert_eq!(doc["stats"]["steps"], 4);
    assert_eq!(doc["steps"][1]["index"], 1);
    assert_eq!(doc["steps"][1]["action"]["kind"], "click");
    assert_eq!(doc["steps"][1]["checkpoint"]["timeout_ms"], 500);
    assert_eq!(doc["steps"][3]["frame"], 0);
}

#[test]
fn show_exports_the_frame_of_one_step_or_of_all() {
    let (dir, path) = temp_file("export.traj");
    write_sample(&path, 4);
    let png = dir.path().join("step2.png");
    let out = trajectory(&["show", s(&path), "--frame", "2", "-o", s(&png)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let back = trajectory::Frame::load_png(&png).unwrap();
    let expected = screen(32, 24, 2);
    let rgb = |d: &[u8], bgr: bool| -> Vec<u8> {
        d.chunks_exact(4)
            .flat_map(|p| {
                if bgr {
                    [p[2], p[1], p[0]]
                } else {
                    [p[0], p[1], p[2]]
                }
            })
            .collect()
    };
    assert_eq!(rgb(back.data(), false), rgb(expected.data(), true));

    let out = trajectory(&["show", s(&path), "--frame", "4", "-o", s(&png)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("has 4 steps, numbered 0 to 3"),
        "{}",
        text(&out.stderr)
    );

    let frames = dir.path().join("frames");
    let out = trajectory(&["show", s(&path), "--frames", s(&frames)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut names: Vec<String> = fs::read_dir(&frames)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "step-0000.png",
            "step-0001.png",
            "step-0002.png",
            "step-0003.png"
        ]
    );
    assert_eq!(
        fs::read(frames.join("step-0000.png")).unwrap(),
        fs::read(frames.join("step-0003.png")).unwrap(),
        "steps 0 and 3 show the same screen"
    );
}

#[test]
fn show_names_the_file_and_the_offset_of_damage() {
    let bad = fixtures().join("bad");
    for (name, needle) in [
        ("wrong-magic.traj", "not a trajectory file: at offset 0"),
        ("future-version.traj", "format version 2.0"),
        ("huge-length.traj", "over the limit of 268435456"),
        ("bit-flipped-index.traj", "is damaged"),
    ] {
        let path = bad.join(name);
        let out = trajectory(&["show", s(&path)]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = text(&out.stderr);
        assert!(
            err.contains(s(&path)) && err.contains(needle),
            "{name}: {err}"
        );
    }
    let out = trajectory(&["show", s(&bad.join("truncated.traj"))]);
    assert!(out.status.success());
    assert!(text(&out.stderr).contains("has no trailer"));
    assert!(text(&out.stdout).contains("recovered      by scanning, up to offset"));
}

#[test]
fn repair_turns_a_partial_file_into_the_finished_one() {
    let (dir, path) = temp_file("rec.traj");
    write_sample(&path, 6);
    let bytes = fs::read(&path).unwrap();
    let partial = dir.path().join("rec.traj.partial");
    fs::write(&partial, &bytes[..bytes.len() / 2]).unwrap();
    fs::remove_file(&path).unwrap();

    let out = trajectory(&["repair", s(&partial)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("into"), "{}", text(&out.stdout));
    assert!(!partial.exists(), "the partial file is gone once repaired");
    let r = Reader::open(&path).unwrap();
    assert!(matches!(r.opened(), Opened::Trailer));
    assert!(!r.steps().is_empty() && r.steps().len() < 6);
}

#[test]
fn repair_leaves_a_sound_file_alone() {
    let (_dir, path) = temp_file("sound.traj");
    write_sample(&path, 3);
    let before = fs::read(&path).unwrap();
    let out = trajectory(&["repair", s(&path)]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("is sound"));
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn repair_drops_data_after_damage_only_when_told() {
    let (dir, path) = temp_file("flipped.traj");
    fs::copy(fixtures().join("bad/bit-flipped.traj"), &path).unwrap();
    let out = trajectory(&["repair", s(&path)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--truncate"),
        "{}",
        text(&out.stderr)
    );

    let fixed = dir.path().join("fixed.traj");
    let out = trajectory(&["repair", s(&path), "--truncate", "-o", s(&fixed)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut r = Reader::open(&fixed).unwrap();
    assert_eq!(
        r.frame_count(),
        1,
        "frame 1 is damaged, so only frame 0 is kept"
    );
    r.frame(0).unwrap();
}

#[test]
fn repair_rebuilds_a_damaged_index_from_the_records() {
    for name in ["bit-flipped-index.traj", "huge-length.traj"] {
        let (_dir, path) = temp_file(name);
        fs::copy(fixtures().join("bad").join(name), &path).unwrap();
        let out = trajectory(&["repair", s(&path)]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let mut r = Reader::open(&path).unwrap();
        assert_eq!(r.steps().len(), 6, "{name}");
        let good = fs::metadata(fixtures().join("bad/good.traj"))
            .unwrap()
            .len();
        assert_eq!(
            fs::metadata(&path).unwrap().len(),
            good,
            "{name}: the old index is not kept"
        );
        for id in 0..r.frame_count() {
            r.frame(id).unwrap();
        }
    }
}

#[test]
fn assemble_builds_a_file_from_json_and_pngs() {
    let (dir, out_path) = temp_file("built.traj");
    for i in 0..3 {
        screen(32, 24, i)
            .save_png(&dir.path().join(format!("{i}.png")))
            .unwrap();
    }
    let spec = dir.path().join("steps.json");
    fs::write(
        &spec,
        r#"{
          "header": { "title": "built", "variables": ["PW"], "created_unix_us": 5 },
          "steps": [
            { "at_us": 0, "action": { "kind": "move", "x": 1, "y": 2 }, "frame": "0.png" },
            { "at_us": 10, "action": { "kind": "type", "text": { "variable": "PW" } },
              "frame": "1.png", "checkpoint": { "stable": 2 } },
            { "at_us": 20, "action": { "kind": "wait", "duration_us": 5 }, "frame": "0.png" }
          ]
        }"#,
    )
    .unwrap();
    let out = trajectory(&["assemble", s(&spec), "-o", s(&out_path)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut r = Reader::open(&out_path).unwrap();
    assert_eq!(r.header().title.as_deref(), Some("built"));
    assert_eq!(r.header().created_unix_us, 5);
    assert_eq!(r.header().screen.width, 32);
    assert_eq!(r.steps().len(), 3);
    assert_eq!(r.steps()[1].checkpoint.stable, Some(2));
    assert_eq!((r.steps()[0].frame, r.steps()[2].frame), (0, 0));
    assert_eq!(r.frame(1).unwrap(), &screen(32, 24, 1));
}

#[test]
fn assemble_names_what_is_wrong_in_the_document() {
    let (dir, out_path) = temp_file("wrong.traj");
    screen(32, 24, 0)
        .save_png(&dir.path().join("0.png"))
        .unwrap();
    screen(16, 24, 0)
        .save_png(&dir.path().join("small.png"))
        .unwrap();
    let spec = dir.path().join("steps.json");
    let cases = [
        (
            r#"{"header": {"titel": "x"}, "steps": [{"at_us": 0, "action": {"kind": "move", "x": 1, "y": 2}, "frame": "0.png"}]}"#,
            "unknown field(s) titel",
        ),
        (
            r#"{"steps": [{"at_us": 0, "action": {"kind": "move", "x": 1, "y": 2}, "frame": "none.png"}]}"#,
            "step 0: cannot read the frame",
        ),
        (
            r#"{"steps": [{"at_us": 0, "action": {"kind": "move", "x": 1, "y": 2}, "frame": "0.png"}, {"at_us": 0, "action": {"kind": "move", "x": 1, "y": 2}, "frame": "small.png"}]}"#,
            "the frame is 16x24, the trajectory's screen is 32x24x24",
        ),
        (
            r#"{"steps": [{"at_us": 0, "action": {"kind": "hover"}, "frame": "0.png"}]}"#,
            "unknown variant `hover`",
        ),
    ];
    for (json, needle) in cases {
        fs::write(&spec, json).unwrap();
        let out = trajectory(&["assemble", s(&spec), "-o", s(&out_path)]);
        assert_eq!(out.status.code(), Some(2), "{json}");
        assert!(
            text(&out.stderr).contains(needle),
            "{needle:?} not in {}",
            text(&out.stderr)
        );
        assert!(
            !trajectory::format::partial_path(&out_path).exists(),
            "no partial file is left"
        );
    }
}

#[test]
fn every_command_has_examples_in_its_help() {
    for cmd in ["show", "repair", "assemble"] {
        let out = trajectory(&[cmd, "--help"]);
        assert!(out.status.success());
        assert!(text(&out.stdout).contains("Examples:"), "{cmd} --help");
    }
}
