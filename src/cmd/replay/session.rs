//! One run: one trajectory replayed once, on a private Xvfb or an existing
//! display, with the application under test when one is given.
//!
//! The order matters: everything that can be checked without a display
//! (the file, the variables, the actions) is checked before Xvfb starts;
//! the display's geometry before the first action; and what was started is
//! stopped in reverse order (input, screen, application, server), also
//! after a failure or an interrupt.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use trajectory::format::Reader;
use trajectory::headless::{App, Xvfb, XvfbOptions};
use trajectory::input::XTestInjector;
use trajectory::model::Header;
use trajectory::replay::engine::{self, Event, Observer, Plan, RunError, Settings, Stop};
use trajectory::replay::plan::{CheckOverrides, Pacing};
use trajectory::replay::report::{Failure, RunReport, Status};
use trajectory::replay::vars::{self, Vars};
use trajectory::replay::{preflight, report};
use trajectory::screen::{self, Screen, X11Screen};

use super::output::Output;
use super::signals::StopFlag;

/// What every run of one invocation shares.
#[derive(Debug)]
pub struct Config {
    pub overrides: CheckOverrides,
    pub pacing: Pacing,
    pub keep_going: bool,
    pub headless: bool,
    pub display: Option<String>,
    pub app: Vec<OsString>,
    pub start_timeout: Duration,
    pub on_mismatch: Option<String>,
    /// `--var` values. Never printed.
    pub given_vars: Vec<(String, String)>,
    pub save_final: bool,
}

/// One file and where its report goes.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub file: PathBuf,
    pub report_dir: PathBuf,
}

/// Whose fault a run that could not be carried out is: decides exit code
/// 2 or 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file, its contents or the command line.
    Input,
    /// The display, Xvfb, the application.
    Environment,
}

struct Fail {
    kind: ErrorKind,
    message: String,
}

impl Fail {
    fn input(e: impl std::error::Error) -> Fail {
        Fail {
            kind: ErrorKind::Input,
            message: with_causes(&e),
        }
    }

    fn environment(e: impl std::error::Error) -> Fail {
        Fail {
            kind: ErrorKind::Environment,
            message: with_causes(&e),
        }
    }

    fn environment_msg(message: impl Into<String>) -> Fail {
        Fail {
            kind: ErrorKind::Environment,
            message: message.into(),
        }
    }
}

/// `e` and its causes, `: `-separated, the way `{:#}` prints an anyhow
/// error: the message goes into report.json and the terminal as one line,
/// and some errors leave their cause (the operating system's reason) to
/// `source()` only. A cause already spelled out in the text is not repeated.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let said = c.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = c.source();
    }
    text
}

/// Replays one file and returns its report (also written as report.json),
/// with the kind of error when it could not be carried out.
pub fn replay(
    spec: &RunSpec,
    config: &Config,
    stop: &StopFlag,
    output: &Output,
) -> (RunReport, Option<ErrorKind>) {
    let started = Instant::now();
    let mut report = RunReport {
        file: spec.file.clone(),
        status: Status::Error,
        steps: 0,
        passed_steps: 0,
        actions_injected: 0,
        duration_ms: 0,
        replay_ms: 0,
        recorded_duration_ms: 0,
        display: None,
        failures: Vec::new(),
        checkpoints: Vec::new(),
        error: None,
        warnings: Vec::new(),
        report_dir: spec.report_dir.clone(),
    };
    let kind = match carry_out(spec, config, stop, output, &mut report) {
        Ok(()) => None,
        Err(fail) => {
            report.status = Status::Error;
            report.error = Some(fail.message);
            Some(fail.kind)
        }
    };
    report.duration_ms = millis(started.elapsed());
    if let Err(e) = report::write_json(&report) {
        log::error!(
            "writing {}: {e}",
            spec.report_dir.join("report.json").display()
        );
    }
    (report, kind)
}

fn carry_out(
    spec: &RunSpec,
    config: &Config,
    stop: &StopFlag,
    output: &Output,
    report: &mut RunReport,
) -> Result<(), Fail> {
    clear_report_dir(&spec.report_dir).map_err(|e| Fail {
        kind: ErrorKind::Input,
        message: format!(
            "preparing the report directory {}: {e}",
            spec.report_dir.display()
        ),
    })?;

    // Everything that needs no display first.
    let mut file = Reader::open(&spec.file).map_err(Fail::input)?;
    let header = file.header().clone();
    let steps = file.steps().to_vec();
    report.steps = steps.len();
    report.recorded_duration_ms = steps.last().map_or(0, |s| s.at_us / 1000);
    let needed = vars::needed(&header, &steps);
    let vars = Vars::resolve(&needed, &config.given_vars, |name| std::env::var(name).ok())
        .map_err(Fail::input)?;
    let plan = Plan::new(&header, &steps, &config.overrides, vars).map_err(Fail::input)?;

    // The display, and the application on it. Declared in this order so
    // that they are dropped (stopped) in the reverse one.
    let xvfb = if config.headless {
        Some(start_xvfb(&header).map_err(Fail::environment)?)
    } else {
        None
    };
    let display = match &xvfb {
        Some(x) => x.display().to_string(),
        None => config
            .display
            .clone()
            .or_else(|| std::env::var("DISPLAY").ok().filter(|d| !d.is_empty()))
            .ok_or_else(|| {
                Fail::environment_msg(
                    "no display to replay on: pass --display, set DISPLAY, or use --headless \
                     to start a private Xvfb",
                )
            })?,
    };
    report.display = Some(display.clone());
    let app = if config.app.is_empty() {
        None
    } else {
        Some(App::start(&display, &config.app).map_err(Fail::environment)?)
    };

    let live = screen::probe(Some(&display)).map_err(Fail::environment)?;
    preflight::check_geometry(header.screen, live.screen, &display).map_err(Fail::environment)?;
    report.warnings = preflight::warnings(&header, &live, &display);
    for w in &report.warnings {
        log::warn!("{}: {w}", spec.file.display());
    }
    let mut screen = X11Screen::open(Some(&display)).map_err(Fail::environment)?;
    let mut input = XTestInjector::connect(Some(&display)).map_err(Fail::environment)?;

    let settings = Settings {
        pacing: config.pacing,
        keep_going: config.keep_going,
        report_dir: spec.report_dir.clone(),
        first_timeout: app.as_ref().map(|_| config.start_timeout),
        max_retries: 10,
    };
    let mut watch = Watch {
        spec,
        display: &display,
        config,
        stop,
        app: app.as_ref(),
        output,
        progress: output.run_started(&spec.file, steps.len()),
        app_ended: false,
    };
    let ran = engine::run(
        &plan,
        &mut file,
        &mut screen,
        &mut input,
        &settings,
        &mut watch,
    );
    watch.progress.finish();

    report.status = ran.status;
    report.replay_ms = millis(ran.duration);
    report.passed_steps = ran.passed_steps;
    report.actions_injected = ran.actions_injected;
    report.failures = ran.failures;
    report.checkpoints = ran.checkpoints;

    if config.save_final {
        save_final(&mut screen, &spec.report_dir).map_err(Fail::environment_msg)?;
    }
    drop(input);
    drop(screen);
    drop(app);
    drop(xvfb);
    match ran.error {
        None => Ok(()),
        Some(e @ (RunError::Frame { .. } | RunError::Artefact { .. })) => Err(Fail::input(e)),
        Some(e) => Err(Fail::environment(e)),
    }
}

/// Starts Xvfb at the recorded geometry, depth and resolution.
fn start_xvfb(header: &Header) -> Result<Xvfb, trajectory::headless::HeadlessError> {
    Xvfb::start_with(&XvfbOptions {
        geometry: header.screen,
        // Xvfb takes whole dots per inch; the header keeps what the server
        // reported, already whole.
        dpi: header.dpi.map(|d| d.x.round().max(1.0) as u32),
        ..XvfbOptions::default()
    })
}

/// Removes what an earlier run left in the report directory (only the
/// files replay writes), so that no stale image is taken for this run's.
fn clear_report_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if is_artefact_name(&name) {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

fn is_artefact_name(name: &str) -> bool {
    if name == "report.json" || name == "final.png" {
        return true;
    }
    let Some(rest) = name.strip_prefix("step-") else {
        return false;
    };
    let Some((number, kind)) = rest.split_once('-') else {
        return false;
    };
    !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && ["expected.png", "actual.png", "diff.png"].contains(&kind)
}

fn save_final(screen: &mut X11Screen, dir: &Path) -> Result<(), String> {
    let capture = screen.capture().map_err(|e| with_causes(&e))?;
    let path = dir.join("final.png");
    engine::write_png(&path, capture.frame).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Steers one run: stops it on Ctrl-C or when the application dies,
/// shows progress, and runs the `--on-mismatch` hook.
struct Watch<'a> {
    spec: &'a RunSpec,
    display: &'a str,
    config: &'a Config,
    stop: &'a StopFlag,
    app: Option<&'a App>,
    output: &'a Output,
    progress: super::output::RunProgress,
    app_ended: bool,
}

impl Observer for Watch<'_> {
    fn stop(&mut self) -> Option<Stop> {
        if self.stop.requested() {
            return Some(Stop::Interrupted);
        }
        if let Some(app) = self.app
            && !self.app_ended
            && let Some(status) = app.exit_description()
        {
            // A launcher that started the real program and exited
            // successfully is fine; anything else has no application to
            // replay against.
            if status == "exit status: 0" {
                log::info!("{} exited with {status}", app.program());
                self.app_ended = true;
            } else {
                return Some(Stop::Broken(format!(
                    "the application under test {:?} exited with {status} during the run",
                    app.program()
                )));
            }
        }
        None
    }

    fn event(&mut self, event: Event<'_>) {
        self.progress.event(&event);
        if let Event::Failed(f) = event {
            self.output.failure_seen(&self.spec.file, f);
        }
    }

    fn mismatch(&mut self, failure: &Failure, attempt: u32) -> bool {
        let Some(cmd) = &self.config.on_mismatch else {
            return false;
        };
        let status = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .env("DISPLAY", self.display)
            .env("TRAJECTORY_FILE", &self.spec.file)
            .env("TRAJECTORY_REPORT_DIR", &self.spec.report_dir)
            .env("TRAJECTORY_STEP", failure.step.to_string())
            .env("TRAJECTORY_ACTION", &failure.action)
            .env("TRAJECTORY_ATTEMPT", attempt.to_string())
            .env("TRAJECTORY_EXPECTED", &failure.expected)
            .env("TRAJECTORY_ACTUAL", &failure.actual)
            .env("TRAJECTORY_DIFF", &failure.diff)
            .stdin(Stdio::null())
            // Keep stdout for --json.
            .stdout(stderr_stdio())
            .status();
        match status {
            Ok(s) if s.success() => {
                log::info!(
                    "--on-mismatch succeeded for step {}: trying the checkpoint again",
                    failure.step
                );
                true
            }
            Ok(s) => {
                log::info!(
                    "--on-mismatch ended with {s}: step {} stays failed",
                    failure.step
                );
                false
            }
            Err(e) => {
                log::error!("--on-mismatch: cannot run sh: {e}");
                false
            }
        }
    }
}

fn stderr_stdio() -> Stdio {
    use std::os::fd::AsFd;
    std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map(Stdio::from)
        .unwrap_or_else(|_| Stdio::null())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_replay_writes_is_cleared() {
        for name in [
            "report.json",
            "final.png",
            "step-0-expected.png",
            "step-12-actual.png",
            "step-3-diff.png",
        ] {
            assert!(is_artefact_name(name), "{name}");
        }
        for name in [
            "notes.txt",
            "step-x-diff.png",
            "step--diff.png",
            "step-1-other.png",
            "report.json.bak",
        ] {
            assert!(!is_artefact_name(name), "{name}");
        }
    }

    #[test]
    fn a_message_says_the_operating_system_reason_once() {
        let dir = tempfile::tempdir().unwrap();
        let Err(e) = Reader::open(&dir.path().join("missing.traj")) else {
            panic!("a missing file opened");
        };
        let text = with_causes(&e);
        assert!(text.starts_with("opening the file: "), "{text}");
        assert_eq!(
            text.matches("No such file or directory").count(),
            1,
            "{text}"
        );

        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        assert_eq!(with_causes(&io), "gone");
    }
}
