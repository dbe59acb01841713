//! A `${NAME}` value is typed for real (xterm running `cat > file`) and
//! appears nowhere else: not in report.json, the JUnit file, the JSON
//! summary, the logs, or any artefact's name or bytes.

mod replay_support;

use std::path::Path;

use replay_support::*;
use trajectory::model::{Action, Text};

const SECRET: &str = "Tr0ub4dor&3x:horse";
const WRONG: &str = "correct-battery-staple";

fn xterm(out: &Path) -> Vec<String> {
    [
        "xterm",
        "-geometry",
        "80x24+400+100",
        "-e",
        "sh",
        "-c",
        &format!("cat > '{}'; echo saved; exec sleep 600", out.display()),
    ]
    .map(String::from)
    .to_vec()
}

/// Every file under `dir`, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn a_variable_is_typed_correctly_and_appears_in_no_artefact() {
    if !have_all(&["Xvfb", "xterm", "xdotool"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = {
        let recorded = dir.path().join("recorded.txt");
        let mut desktop = Desktop::start();
        let argv = xterm(&recorded);
        desktop.app(
            &argv.iter().map(String::as_str).collect::<Vec<_>>(),
            "xterm",
        );
        let mut rec = Recording::start(&desktop, &dir.path().join("secret.traj"));
        rec.header(|h| h.variables.push("PASSWORD".into()));
        rec.step(Action::Move { x: 640, y: 300 });
        desktop.xdotool(&["mousemove", "640", "300"]);
        rec.step(Action::Type {
            text: Text::Variable("PASSWORD".into()),
        });
        desktop.xdotool(&["type", "--delay", "20", SECRET]);
        rec.step(Action::Key {
            keys: "Return".into(),
        });
        desktop.xdotool(&["key", "Return"]);
        rec.step(Action::Key {
            keys: "ctrl+d".into(),
        });
        desktop.xdotool(&["key", "ctrl+d"]);
        // "saved" shows once cat has closed the file.
        rec.step(Action::Wait { duration_us: 0 });
        rec.finish()
    };

    // The right value, from the environment: typed exactly.
    let typed = dir.path().join("typed.txt");
    let pass_dir = dir.path().join("pass");
    let out = trajectory()
        .args([
            "-vvv",
            "replay",
            file.to_str().unwrap(),
            "--headless",
            "--json",
        ])
        .args(["--report-dir", pass_dir.to_str().unwrap()])
        .args(["--junit", dir.path().join("pass.xml").to_str().unwrap()])
        .arg("--")
        .args(xterm(&typed))
        .env("PASSWORD", SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&typed).unwrap(),
        format!("{SECRET}\n")
    );
    let mut everything = vec![out.stdout.clone(), out.stderr.clone()];

    // A wrong value, from --var: the checkpoint after typing fails, and
    // the failure images and reports name the variable only.
    let fail_dir = dir.path().join("fail");
    let out = trajectory()
        .args(["-vvv", "replay", file.to_str().unwrap(), "--headless"])
        .args(["--var", &format!("PASSWORD={WRONG}"), "--timeout", "2s"])
        .args(["--report-dir", fail_dir.to_str().unwrap()])
        .args(["--junit", dir.path().join("fail.xml").to_str().unwrap()])
        .arg("--")
        .args(xterm(&dir.path().join("wrong.txt")))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.contains("step 2 (key Return)"), "{text}");
    assert!(fail_dir.join("step-2-diff.png").exists());
    let r = report(&fail_dir);
    assert_eq!(r["checkpoints"][1]["matched"], true);
    everything.push(out.stdout.clone());
    everything.push(out.stderr.clone());
    let junit = std::fs::read_to_string(dir.path().join("fail.xml")).unwrap();
    assert!(junit.contains("step 2 (key Return)"), "{junit}");

    for (name, bytes) in
        files(&pass_dir)
            .into_iter()
            .chain(files(&fail_dir))
            .chain(["pass.xml", "fail.xml"].map(|n| {
                let p = dir.path().join(n);
                (p.display().to_string(), std::fs::read(&p).unwrap())
            }))
    {
        for value in [SECRET, WRONG] {
            assert!(!name.contains(value), "{name}");
            assert!(!contains(&bytes, value), "{name} holds a value");
        }
        everything.push(bytes);
    }
    for (i, output) in everything.iter().enumerate() {
        for value in [SECRET, WRONG] {
            assert!(!contains(output, value), "output {i} holds a value");
        }
    }
    let logs = String::from_utf8_lossy(&everything[1]);
    assert!(
        logs.contains("type ${PASSWORD}"),
        "the logs name the variable:\n{logs}"
    );
}
