//! What a replay prints: progress on stderr (a bar per run when stderr is a
//! terminal, `-v` log lines otherwise), each run's result on stdout as it
//! ends, and with `--json` one summary document on stdout instead.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use trajectory::replay::engine::Event;
use trajectory::replay::report::{Failure, RunReport, Status};

/// The output of one invocation, shared by its runs.
pub struct Output {
    json: bool,
    bars: Option<MultiProgress>,
}

impl Output {
    /// Bars only when stderr is a terminal; nothing but results otherwise.
    pub fn new(json: bool, _runs: usize) -> Output {
        let bars = std::io::stderr()
            .is_terminal()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Output { json, bars }
    }

    /// The progress of a run that starts now.
    pub fn run_started(&self, file: &Path, steps: usize) -> RunProgress {
        let name = file.display().to_string();
        let bar = self.bars.as_ref().map(|multi| {
            let bar = multi.add(ProgressBar::new(steps as u64));
            bar.set_style(
                ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_prefix(name.clone());
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        RunProgress { name, bar }
    }

    /// A checkpoint failed (printed in full with the run's result).
    pub fn failure_seen(&self, file: &Path, failure: &Failure) {
        log::info!("{}: {}", file.display(), failure.summary());
    }

    /// A run ended: its result, unless the summary is JSON.
    pub fn finished(&self, report: &RunReport, suite: bool) {
        if self.json {
            return;
        }
        let text = result_text(report, suite);
        if text.is_empty() {
            return;
        }
        let print = || {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        };
        match &self.bars {
            Some(multi) => multi.suspend(print),
            None => print(),
        }
    }

    /// Everything ran: the JSON summary, or a suite's closing line.
    pub fn finish(&self, reports: &[&RunReport], planned: usize) -> std::io::Result<()> {
        let count = |s: Status| reports.iter().filter(|r| r.status == s).count();
        let summary = Summary {
            planned,
            passed: count(Status::Passed),
            failed: count(Status::Failed),
            errors: count(Status::Error),
            interrupted: count(Status::Interrupted),
            runs: reports,
        };
        let mut out = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer_pretty(&mut out, &summary)?;
            writeln!(out)?;
        } else if planned > 1 {
            writeln!(
                out,
                "suite: {} of {planned} trajectories passed ({} failed, {} could not run, {} \
                 interrupted, {} not started)",
                summary.passed,
                summary.failed,
                summary.errors,
                summary.interrupted,
                planned - reports.len()
            )?;
        }
        out.flush()
    }
}

/// The `--json` document.
#[derive(Serialize)]
struct Summary<'a> {
    /// Files to replay (after `--shard`).
    planned: usize,
    passed: usize,
    failed: usize,
    errors: usize,
    interrupted: usize,
    /// One report per run that started, as in each report.json.
    runs: &'a [&'a RunReport],
}

/// A run's result as text. An error in a single run is left to the
/// error message that ends the process.
fn result_text(r: &RunReport, suite: bool) -> String {
    let file = r.file.display();
    let report = r.report_dir.join("report.json");
    let took = |ms: u64| format!("{:.1} s", ms as f64 / 1000.0);
    match r.status {
        Status::Passed => {
            let repaired = r.failures.len();
            format!(
                "passed: {file}: {} of {} steps matched and acted on in {} (recorded: {}; with \
                 set-up: {}){}\n",
                r.passed_steps,
                r.steps,
                took(r.replay_ms),
                took(r.recorded_duration_ms),
                took(r.duration_ms),
                if repaired > 0 {
                    format!(", {repaired} checkpoints repaired by --on-mismatch")
                } else {
                    String::new()
                }
            )
        }
        Status::Failed => {
            let mut s = format!(
                "FAILED: {file}: {} of {} steps matched\n",
                r.passed_steps, r.steps
            );
            for f in r.failures.iter().filter(|f| !f.repaired) {
                s.push_str(&format!("  {}\n", f.summary()));
                for line in f.details().lines() {
                    s.push_str(&format!("    {line}\n"));
                }
            }
            s.push_str(&format!("  report: {}\n", report.display()));
            s
        }
        Status::Interrupted => format!(
            "interrupted: {file}: after {} of {} steps; report: {}\n",
            r.passed_steps,
            r.steps,
            report.display()
        ),
        Status::Error if suite => format!(
            "ERROR: {file}: {}\n",
            r.error.as_deref().unwrap_or("the run failed")
        ),
        Status::Error => String::new(),
    }
}

/// The progress of one run.
pub struct RunProgress {
    name: String,
    bar: Option<ProgressBar>,
}

impl RunProgress {
    /// Shows what the run is doing.
    pub fn event(&self, event: &Event<'_>) {
        match *event {
            Event::Checking {
                step,
                total,
                description,
            } => {
                log::info!("{}: step {step}/{total}: {description}", self.name);
                if let Some(bar) = &self.bar {
                    bar.set_message(format!("step {step}: {description}"));
                }
            }
            Event::Matched { step, waited } => {
                log::debug!(
                    "{}: step {step}: checkpoint matched after {waited:.0?}",
                    self.name
                );
            }
            Event::Acted { step } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(step as u64 + 1);
                }
            }
            Event::Failed(_) => {}
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
