//! What a run leaves behind: `report.json` for programs, a JUnit file for
//! CI, and the names of the failure images.
//!
//! Reports name steps, actions, numbers and paths. Typed variables appear
//! as `${NAME}`, never with their values.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::model::Rect;

use super::engine::CheckpointTime;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every checkpoint matched and every action was injected.
    Passed,
    /// A checkpoint did not match in time.
    Failed,
    /// The run could not be carried out (file, display, Xvfb, application).
    Error,
    /// The run was stopped by Ctrl-C or SIGTERM.
    Interrupted,
}

/// One checkpoint that did not match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    /// Step index, from 0 as `show` numbers them.
    pub step: usize,
    /// The step's action as `show` prints it.
    pub action: String,
    /// How long the checkpoint waited, in milliseconds.
    pub waited_ms: u64,
    /// Differing pixels on the last capture.
    pub differing_pixels: u64,
    /// Pixels compared (the area minus its masks).
    pub compared_pixels: u64,
    /// `differing_pixels / compared_pixels`.
    pub ratio: f64,
    /// Pixels over the threshold taken for anti-aliasing and not counted.
    pub anti_aliased_pixels: u64,
    /// The tolerance that was exceeded, as the command line writes it.
    pub tolerance: String,
    /// The compared area.
    pub area: Rect,
    /// The masks that applied.
    pub masks: Vec<Rect>,
    /// Boxes around the differing areas.
    pub boxes: Vec<Rect>,
    /// The recorded frame, the live screen and their diff, as PNG files.
    pub expected: PathBuf,
    pub actual: PathBuf,
    pub diff: PathBuf,
    /// `--on-mismatch` repaired the state and the checkpoint was tried
    /// again.
    pub repaired: bool,
}

impl Failure {
    /// One line for the terminal and the JUnit message.
    pub fn summary(&self) -> String {
        format!(
            "step {} ({}): {} pixels differ ({:.3}% of {}), tolerance {}, after {:.1} s{}",
            self.step,
            self.action,
            self.differing_pixels,
            self.ratio * 100.0,
            self.compared_pixels,
            self.tolerance,
            self.waited_ms as f64 / 1000.0,
            if self.repaired {
                "; repaired by --on-mismatch and tried again"
            } else {
                ""
            }
        )
    }

    /// The boxes and the artefact paths, one per line.
    pub fn details(&self) -> String {
        let mut s = String::new();
        let boxes: Vec<String> = self.boxes.iter().take(20).map(Rect::to_string).collect();
        s.push_str(&format!(
            "differing areas (x,y,w,h): {}{}\n",
            boxes.join("  "),
            if self.boxes.len() > 20 {
                format!("  and {} more", self.boxes.len() - 20)
            } else {
                String::new()
            }
        ));
        s.push_str(&format!("expected: {}\n", self.expected.display()));
        s.push_str(&format!("actual:   {}\n", self.actual.display()));
        s.push_str(&format!("diff:     {}\n", self.diff.display()));
        s
    }
}

/// The report of one run: one trajectory replayed once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// The trajectory file.
    pub file: PathBuf,
    pub status: Status,
    /// Steps in the file.
    pub steps: usize,
    /// Steps whose checkpoint matched.
    pub passed_steps: usize,
    /// Actions injected.
    pub actions_injected: usize,
    /// How long the run took, in milliseconds, set-up included (starting
    /// Xvfb and the application, opening the file).
    pub duration_ms: u64,
    /// How long the steps took, in milliseconds: from the first
    /// checkpoint to the release of held input after the last action.
    pub replay_ms: u64,
    /// How long the recording took, in milliseconds.
    pub recorded_duration_ms: u64,
    /// The display the run used.
    pub display: Option<String>,
    /// Checkpoints that did not match (one unless `--continue` or
    /// `--on-mismatch`), repaired ones included.
    pub failures: Vec<Failure>,
    /// How long each checkpoint waited.
    pub checkpoints: Vec<CheckpointTime>,
    /// What stopped the run, when it could not be carried out.
    pub error: Option<String>,
    /// Warnings from the preflight (DPI, keyboard layout).
    pub warnings: Vec<String>,
    /// Where the artefacts of this run are.
    pub report_dir: PathBuf,
}

/// Paths of the failure images of step `step` in `dir`.
pub fn artefact_paths(dir: &Path, step: usize) -> [PathBuf; 3] {
    ["expected", "actual", "diff"].map(|kind| dir.join(format!("step-{step}-{kind}.png")))
}

/// Writes `report.json` into the run's report directory.
pub fn write_json(report: &RunReport) -> io::Result<PathBuf> {
    let path = report.report_dir.join("report.json");
    let json = serde_json::to_vec_pretty(report).map_err(io::Error::other)?;
    crate::fsutil::write_atomic(&path, &json)?;
    Ok(path)
}

/// A JUnit XML document with one test case per run, failures naming the
/// step, the numbers and the artefact paths.
pub fn junit(runs: &[RunReport], total: Duration) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

    let mut suite = TestSuite::new("trajectory replay");
    for run in runs {
        let name = run
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| run.file.display().to_string());
        let unrepaired = run.failures.iter().find(|f| !f.repaired);
        let status = match (run.status, unrepaired) {
            (Status::Passed, _) => TestCaseStatus::success(),
            (Status::Failed, Some(first)) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(first.summary());
                s.set_type("checkpoint");
                let details: Vec<String> = run
                    .failures
                    .iter()
                    .map(|f| format!("{}\n{}", f.summary(), f.details()))
                    .collect();
                s.set_description(details.join("\n"));
                s
            }
            (Status::Interrupted, _) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_message("the run was interrupted (Ctrl-C or SIGTERM)");
                s.set_type("interrupted");
                s
            }
            _ => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                let msg = run.error.clone().unwrap_or_else(|| "the run failed".into());
                s.set_message(msg.lines().next().unwrap_or_default().to_string());
                s.set_type("environment");
                s.set_description(msg);
                s
            }
        };
        let mut case = TestCase::new(name, status);
        case.set_classname("trajectory.replay");
        case.set_time(Duration::from_millis(run.duration_ms));
        case.add_property(("file", run.file.display().to_string().as_str()));
        case.add_property(("report", run.report_dir.display().to_string().as_str()));
        suite.add_test_case(case);
    }
    let mut report = Report::new("trajectory");
    report.set_time(total);
    report.add_test_suite(suite);
    report
        .to_string()
        .expect("a JUnit report of plain strings serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(status: Status) -> RunReport {
        let dir = PathBuf::from("out/login");
        let [expected, actual, diff] = artefact_paths(&dir, 3);
        let failures = match status {
            Status::Failed => vec![Failure {
                step: 3,
                action: "click left at 10,20".into(),
                waited_ms: 10_000,
                differing_pixels: 1234,
                compared_pixels: 2_073_600,
                ratio: 1234.0 / 2_073_600.0,
                anti_aliased_pixels: 7,
                tolerance: "0".into(),
                area: Rect::new(0, 0, 1920, 1080),
                masks: vec![],
                boxes: vec![Rect::new(5, 6, 7, 8)],
                expected,
                actual,
                diff,
                repaired: false,
            }],
            _ => vec![],
        };
        RunReport {
            file: "suite/login.traj".into(),
            status,
            steps: 9,
            passed_steps: 3,
            actions_injected: 3,
            duration_ms: 12_000,
            replay_ms: 11_000,
            recorded_duration_ms: 8_000,
            display: Some(":7".into()),
            failures,
            checkpoints: vec![],
            error: (status == Status::Error).then(|| "Xvfb would not start\nstderr: ...".into()),
            warnings: vec![],
            report_dir: dir,
        }
    }

    #[test]
    fn artefacts_are_named_by_step() {
        let [e, a, d] = artefact_paths(Path::new("r"), 12);
        assert_eq!(e, Path::new("r/step-12-expected.png"));
        assert_eq!(a, Path::new("r/step-12-actual.png"));
        assert_eq!(d, Path::new("r/step-12-diff.png"));
    }

    #[test]
    fn junit_has_one_case_per_run_and_names_the_failing_step() {
        let xml = junit(
            &[run(Status::Passed), run(Status::Failed), run(Status::Error)],
            Duration::from_secs(30),
        );
        assert_eq!(xml.matches("<testcase ").count(), 3);
        assert!(xml.contains("tests=\"3\""));
        assert!(xml.contains("failures=\"1\""));
        assert!(xml.contains("errors=\"1\""));
        assert!(xml.contains("step 3 (click left at 10,20): 1234 pixels differ"));
        assert!(xml.contains("out/login/step-3-diff.png"));
        assert!(xml.contains("Xvfb would not start"));
    }

    #[test]
    fn the_json_report_uses_documented_names() {
        let v = serde_json::to_value(run(Status::Failed)).unwrap();
        assert_eq!(v["status"], "failed");
        assert_eq!(v["failures"][0]["step"], 3);
        assert_eq!(v["failures"][0]["differing_pixels"], 1234);
        assert_eq!(v["failures"][0]["boxes"][0]["width"], 7);
    }
}
