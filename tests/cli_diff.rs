//! `trajectory diff` driven as a user runs it: the real binary on PNG files
//! in a temporary folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use trajectory::Frame;

/// A white 40x30 image with a black 3x2 block at (10, 5) when `changed`.
fn write_image(dir: &Path, name: &str, changed: bool) -> PathBuf {
    let (w, h) = (40usize, 30usize);
    let mut data = vec![255u8; w * h * 4];
    if changed {
        for y in 5..7 {
            for x in 10..13 {
                data[(y * w + x) * 4..(y * w + x) * 4 + 3].fill(0);
            }
        }
    }
    let path = dir.join(name);
    Frame::from_rgba(w as u32, h as u32, data)
        .unwrap()
        .save_png(&path)
        .unwrap();
    path
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trajectory"))
        .arg("diff")
        .args(args)
        .output()
        .expect("the binary runs")
}

struct Files {
    _dir: tempfile::TempDir,
    a: String,
    b: String,
    same: String,
    root: PathBuf,
}

fn files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let a = write_image(dir.path(), "a.png", false);
    let b = write_image(dir.path(), "b.png", true);
    let same = write_image(dir.path(), "same.png", false);
    Files {
        root: dir.path().to_path_buf(),
        a: a.to_string_lossy().into_owned(),
        b: b.to_string_lossy().into_owned(),
        same: same.to_string_lossy().into_owned(),
        _dir: dir,
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn identical_images_match_with_exit_code_0() {
    let f = files();
    let out = run(&[&f.a, &f.same]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("0 of 1200 pixels differ"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn differing_images_exit_with_code_1_and_name_the_changed_area() {
    let f = files();
    let out = run(&[&f.a, &f.b]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("6 of 1200 pixels differ"), "{text}");
    assert!(text.contains("10,5,3,2"), "{text}");
}

#[test]
fn json_output_has_the_documented_fields() {
    let f = files();
    let out = run(&[&f.a, &f.b, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(v["metric"], "pixelmatch");
    assert_eq!(v["width"], 40);
    assert_eq!(v["height"], 30);
    assert_eq!(v["compared"], 1200);
    assert_eq!(v["differing"], 6);
    assert_eq!(v["anti_aliased"], 0);
    assert_eq!(v["max_differing"], 0);
    assert_eq!(v["match"], false);
    assert_eq!(v["ratio"], 6.0 / 1200.0);
    assert_eq!(
        v["boxes"],
        serde_json::json!([{"x": 10, "y": 5, "width": 3, "height": 2}])
    );
    assert!(v["diff_image"].is_null());
}

#[test]
fn a_tolerance_or_a_mask_turns_the_difference_into_a_match() {
    let f = files();
    assert_eq!(
        run(&[&f.a, &f.b, "--tolerance", "6"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&[&f.a, &f.b, "--tolerance", "5"]).status.code(),
        Some(1)
    );
    assert_eq!(
        run(&[&f.a, &f.b, "--tolerance", "0.5%"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&[&f.a, &f.b, "--mask", "10,5,3,2"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&[&f.a, &f.b, "--mask", "10,5,2,2"]).status.code(),
        Some(1)
    );
    assert_eq!(
        run(&[&f.a, &f.b, "--region", "0,10,40,20"]).status.code(),
        Some(0)
    );
}

#[test]
fn the_diff_image_is_written_where_asked() {
    let f = files();
    let path = f.root.join("diff.png");
    let out = run(&[&f.a, &f.b, "-o", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let image = Frame::load_png(&path).unwrap();
    let px = |x: usize, y: usize| image.data()[(y * 40 + x) * 4..(y * 40 + x) * 4 + 4].to_vec();
    assert_eq!(px(10, 5), [255, 0, 0, 255]);
    // White faded by alpha 0.1 stays white.
    assert_eq!(px(0, 0), [255, 255, 255, 255]);
}

#[test]
fn images_of_different_sizes_are_an_error_naming_both_files() {
    let f = files();
    let small = f.root.join("small.png");
    Frame::filled(4, 4, 0).save_png(&small).unwrap();
    let out = run(&[&f.a, small.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("a.png is 40x30") && err.contains("small.png is 4x4"),
        "{err}"
    );
}

#[test]
fn an_unreadable_file_is_an_error_naming_it() {
    let f = files();
    let missing = f.root.join("missing.png");
    let out = run(&[&f.a, missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read") && stderr(&out).contains("missing.png"));
}

#[test]
fn bad_options_are_refused() {
    let f = files();
    let out = run(&[&f.a, &f.b, "--threshold", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("threshold"), "{}", stderr(&out));
    let out = run(&[&f.a, &f.b, "--diff-color", "red"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("R,G,B"), "{}", stderr(&out));
}

#[test]
fn ssim_reports_a_score() {
    let f = files();
    let out = run(&[&f.a, &f.same, "--metric", "ssim", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["metric"], "ssim");
    assert!((v["ssim"].as_f64().unwrap() - 1.0).abs() < 1e-9, "{v}");
    let out = run(&[&f.a, &f.b, "--metric", "ssim", "--min-ssim", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn every_kernel_gives_the_same_answer() {
    let f = files();
    for kernel in ["scalar", "avx2", "avx512"] {
        let out = run(&[&f.a, &f.b, "--json", "--kernel", kernel]);
        if out.status.code() == Some(2) {
            // This processor does not run it; the message says so.
            assert!(stderr(&out).contains("does not run it"), "{}", stderr(&out));
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["differing"], 6, "{kernel}");
    }
}

#[test]
fn help_shows_examples() {
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("Examples:"));
    assert!(stdout(&out).contains("max_differing"));
}
