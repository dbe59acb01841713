//! Helpers the integration tests share: small, deterministic trajectories.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use trajectory::Frame;
use trajectory::format::{Summary, Writer};
use trajectory::model::{
    Action, Button, CheckpointOverride, Header, ScreenGeometry, Step, Text, Tolerance,
};

/// A header with fixed values, so that files written from it are the same
/// bytes every time.
pub fn header(width: u32, height: u32) -> Header {
    Header {
        tool_version: "0.1.0".into(),
        created_unix_us: 1_796_300_000_000_000,
        ..Header::new(ScreenGeometry {
            width,
            height,
            depth: 24,
        })
    }
}

/// A screen: a background with a small square whose place depends on `n`.
pub fn screen(width: u32, height: u32, n: u32) -> Frame {
    let mut data = Frame::filled(width, height, 0x204060).into_data();
    let (x0, y0) = (n * 3 % width, n * 2 % height);
    for y in y0..(y0 + 4).min(height) {
        for x in x0..(x0 + 4).min(width) {
            let i = ((y * width + x) * 4) as usize;
            data[i..i + 4].copy_from_slice(&[0xF0, 0xE0, 0x10 * (n as u8 % 16), 0xFF]);
        }
    }
    Frame::from_bgrx(width, height, data).unwrap()
}

/// The steps of [`write_sample`]: one of each action kind but drag and
/// press/release, which have their own tests, with a checkpoint override.
pub fn sample_actions() -> Vec<Action> {
    vec![
        Action::Move { x: 10, y: 12 },
        Action::Click {
            button: Button::LEFT,
            count: 1,
            x: 10,
            y: 12,
            interval_us: 0,
            modifiers: vec![],
        },
        Action::Type {
            text: Text::Literal("hi".into()),
        },
        Action::Key {
            keys: "ctrl+s".into(),
        },
    ]
}

/// Writes a small trajectory of `steps` steps (screens 32x24, the screen
/// repeating every three steps so that some are stored once) to `path`.
pub fn write_sample(path: &Path, steps: u32) -> Summary {
    let mut w = Writer::create(path, &header(32, 24)).unwrap();
    let actions = sample_actions();
    for i in 0..steps {
        let frame = w.push_frame(screen(32, 24, i % 3).as_ref()).unwrap();
        let checkpoint = if i == 1 {
            CheckpointOverride {
                timeout_ms: Some(500),
                tolerance: Some(Tolerance::Ratio(0.01)),
                ..Default::default()
            }
        } else {
            CheckpointOverride::default()
        };
        let step = Step {
            at_us: u64::from(i) * 250_000,
            action: actions[i as usize % actions.len()].clone(),
            frame,
            checkpoint,
        };
        w.push_step(&step).unwrap();
    }
    w.finish().unwrap()
}

/// A fresh temporary directory and a file name in it.
pub fn temp_file(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
}

/// The repository's `fixtures/` folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Whether tests should rewrite generated files instead of comparing with
/// them (`TRAJECTORY_BLESS=1`).
pub fn bless() -> bool {
    std::env::var_os("TRAJECTORY_BLESS").is_some_and(|v| v == "1")
}
