//! The record verb's command line: what it refuses before it starts, and
//! how `--force` replaces a file only once the new one is finished.

mod record_support;

use std::process::Command;

use record_support::*;

fn record(args: &[&str]) -> std::process::Output {
    Command::new(binary())
        .arg("record")
        .args(args)
        .env_remove("DISPLAY")
        .output()
        .unwrap()
}

#[test]
fn an_existing_file_is_not_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("old.traj");
    std::fs::write(&output, "keep me").unwrap();
    let run = record(&["-o", output.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("exists; add --force"), "{stderr}");
    assert_eq!(std::fs::read(&output).unwrap(), b"keep me");
}

#[test]
fn bad_secret_names_and_equal_keys_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("x.traj");
    let out = output.to_str().unwrap();
    let run = record(&["-o", out, "--secret", "MY-PASSWORD"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("variable name"));
    let run = record(&["-o", out, "--stop-key", "ctrl+q", "--pause-key", "ctrl+q"]);
    assert_eq!(run.status.code(), Some(2));
    let run = record(&["-o", out, "--stop-key", "ctrl+Retrun"]);
    assert_eq!(run.status.code(), Some(2), "clap refuses an unknown key");
    assert!(!output.exists());
}

#[test]
fn no_display_is_an_environment_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("x.traj");
    let run = record(&["-o", output.to_str().unwrap()]);
    assert_eq!(
        run.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(!output.exists() && !partial(&output).exists());
}

#[test]
fn help_shows_examples() {
    let run = Command::new(binary())
        .args(["record", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&run.stdout);
    assert!(
        help.contains("Examples:") && help.contains("--secret"),
        "{help}"
    );
}

#[test]
fn force_replaces_the_old_file_only_when_the_new_one_is_finished() {
    if !have(&["Xvfb"]) {
        return;
    }
    let xvfb = xvfb();
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("again.traj");
    std::fs::write(&output, "the old recording").unwrap();
    let recording = Recording::start(xvfb.display(), &output, &["--force", "--duration", "1h"]);
    assert_eq!(std::fs::read(&output).unwrap(), b"the old recording");
    assert!(partial(&output).exists());
    recording.interrupt();
    let (_, _, steps) = read(&output);
    assert!(steps.is_empty());
}

#[test]
fn a_duration_ends_the_recording_with_a_complete_file() {
    if !have(&["Xvfb"]) {
        return;
    }
    let xvfb = xvfb();
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("short.traj");
    let recording = Recording::start(xvfb.display(), &output, &["--duration", "300ms", "--json"]);
    let (status, stdout, stderr) = recording.wait();
    assert!(status.success(), "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["ended_by"], "duration");
    read(&output);
}
