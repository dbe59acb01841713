//! `trajectory record -o FILE`: records what is done on an X display into
//! a trajectory file, until the stop key, Ctrl-C, SIGTERM or `--duration`.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;

use super::{EnvironmentError, Outcome, describe};
use trajectory::input::KeyCombo;
use trajectory::model::ProposedMask;
use trajectory::record::{self, EndReason, Options, Progress, Report, Stats, gesture};

/// Stops the recording; chosen to be free in common applications and on
/// every keyboard (Ctrl+Alt+F-keys switch consoles, so Alt is left out).
const DEFAULT_STOP_KEY: &str = "ctrl+shift+F12";

/// Pauses and resumes the recording.
const DEFAULT_PAUSE_KEY: &str = "ctrl+shift+F11";

const EXAMPLES: &str = "\
Examples:
  Record the current display; stop with ctrl+shift+F12 or Ctrl-C:
    trajectory record -o login.traj

  Record display :1 for at most five minutes, with a title:
    trajectory record --display :1 --duration 5m --title 'log in' -o login.traj

  Store the password typed in the login form as ${PASSWORD}, never its text:
    trajectory record --secret PASSWORD -o login.traj
    PASSWORD=... trajectory replay login.traj

  Print a JSON summary (file, steps, frames, bytes, duration, masks):
    trajectory record -o login.traj --json";

/// Record what is done on an X11 display into a trajectory file.
///
/// Every pointer move, click, drag, scroll, key and typed text becomes a
/// step, with the screen as it was right before it. The stop key (or
/// Ctrl-C, SIGTERM, --duration) ends the recording and finishes the file;
/// a second Ctrl-C stops at once, leaving FILE.partial for `trajectory
/// repair`. The pause key stops recording input and screens until it is
/// pressed again; neither key is recorded.
///
/// Places that changed while nothing was done (a clock, a blinking caret)
/// are proposed as masks in the header; replay ignores them unless told
/// otherwise. Typed secrets given with --secret are stored as variables,
/// but the screen is recorded as it is: text echoed on screen is in the
/// frames' pixels.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The trajectory file to write (written as FILE.partial until the
    /// recording ends).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,

    /// Replace FILE if it exists; the old file stays until the new one is
    /// finished.
    #[arg(long)]
    pub force: bool,

    /// The X display to record (default: $DISPLAY).
    #[arg(long, value_name = "DISPLAY")]
    pub display: Option<String>,

    /// A title for the header.
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,

    /// Stop after this long (90s, 5m, 1h30m).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,

    /// The key combination that stops the recording.
    #[arg(long, value_name = "KEYS", default_value = DEFAULT_STOP_KEY)]
    pub stop_key: KeyCombo,

    /// The key combination that pauses and resumes the recording.
    #[arg(long, value_name = "KEYS", default_value = DEFAULT_PAUSE_KEY)]
    pub pause_key: KeyCombo,

    /// Record the next typed text as the variable ${NAME} instead of its
    /// characters; repeat for the texts after it, in order.
    #[arg(long = "secret", value_name = "NAME")]
    pub secrets: Vec<String>,

    /// Print a JSON summary on stdout at the end, and nothing else there.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    check(&args)?;
    let options = Options {
        display: args.display.clone(),
        output: args.output.clone(),
        force: args.force,
        title: args.title.clone(),
        duration: args.duration,
        stop_key: args.stop_key.clone(),
        pause_key: args.pause_key.clone(),
        secrets: args.secrets.clone(),
        settings: gesture::Settings::default(),
    };

    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // The first signal asks for a clean stop; a second one, with the
        // flag already up, ends the process at once.
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&stop)))
            .context("cannot handle Ctrl-C")?;
    }

    let mut line = StatusLine::new(io::stderr().is_terminal(), &args);
    let report = record::record(&options, &stop, &mut |p| line.show(&p));
    line.clear();
    let report = report.map_err(|e| {
        let environmental = e.is_environmental();
        let err = anyhow::Error::new(e);
        if environmental {
            anyhow::Error::new(EnvironmentError(err))
        } else {
            err
        }
    })?;

    print_summary(&report);
    if args.json {
        let mut out = io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &JsonSummary::new(&report))?;
        writeln!(out)?;
    }
    if let EndReason::DisplayFailed(why) = &report.ended_by {
        return Err(EnvironmentError(anyhow::anyhow!(
            "the display failed during the recording ({why}); {} holds the {} steps before",
            report.summary.path.display(),
            report.summary.steps
        ))
        .into());
    }
    Ok(Outcome::Success)
}

/// Refuses arguments that cannot work, before anything starts.
fn check(args: &Args) -> anyhow::Result<()> {
    if args.stop_key == args.pause_key {
        bail!(
            "--stop-key and --pause-key are both {}; they must differ",
            args.stop_key
        );
    }
    for (i, name) in args.secrets.iter().enumerate() {
        if !is_variable_name(name) {
            bail!(
                "--secret {name:?}: a variable name is letters, digits and _, not starting \
                 with a digit (for example PASSWORD)"
            );
        }
        if args.secrets[..i].contains(name) {
            bail!("--secret {name} is given twice; each typed text needs a name of its own");
        }
    }
    if args.duration.is_some_and(|d| d.is_zero()) {
        bail!("--duration must be longer than 0");
    }
    Ok(())
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The lines on stderr: what is recorded and how to stop, then (on a
/// terminal) a line that keeps the step count up to date.
struct StatusLine {
    terminal: bool,
    stop_key: String,
    pause_key: String,
    target: String,
    shown: bool,
}

impl StatusLine {
    fn new(terminal: bool, args: &Args) -> StatusLine {
        StatusLine {
            terminal,
            stop_key: args.stop_key.to_string(),
            pause_key: args.pause_key.to_string(),
            target: String::new(),
            shown: false,
        }
    }

    fn show(&mut self, p: &Progress<'_>) {
        match *p {
            Progress::Started {
                display,
                screen,
                file,
            } => {
                self.target = format!("display {display} into {}", file.display());
                // Always printed: it is how a person (or a script) learns
                // that input is being recorded and how to stop.
                eprintln!(
                    "trajectory: recording display {display} ({screen}) into {}; stop with {} or \
                     Ctrl-C, pause with {}",
                    file.display(),
                    self.stop_key,
                    self.pause_key
                );
            }
            Progress::Running {
                steps,
                paused,
                elapsed,
            } if self.terminal => {
                let state = if paused {
                    format!("PAUSED (resume with {})", self.pause_key)
                } else {
                    "recording".to_string()
                };
                eprint!(
                    "\r\x1b[K{state} {}: {}, {}",
                    self.target,
                    describe::count(steps as u64, "step"),
                    clock(elapsed)
                );
                let _ = io::stderr().flush();
                self.shown = true;
            }
            Progress::Running { .. } => {}
        }
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }
}

/// `m:ss`.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
}

fn print_summary(r: &Report) {
    let s = &r.summary;
    eprintln!(
        "trajectory: recorded {} ({} frames, {}) in {:.1} s into {}",
        describe::count(s.steps as u64, "step"),
        s.frames,
        describe::bytes(s.bytes),
        r.duration.as_secs_f64(),
        s.path.display()
    );
    for m in &r.proposed_masks {
        eprintln!(
            "trajectory: proposed mask {} (changed {} times while nothing was done)",
            m.rect, m.changes
        );
    }
    let st = &r.stats;
    log::info!(
        "{} captures ({} without change); capture latency median {:.2} ms, p95 {:.2} ms, max \
         {:.2} ms; listener lag max {:.0} ms; encoder queue peak {}; screens held peak {}; \
         CPU {:.2} s",
        st.captures,
        st.unchanged_captures,
        st.capture_latency.median_ms,
        st.capture_latency.p95_ms,
        st.capture_latency.max_ms,
        st.listener_lag.max_ms,
        st.encoder_queue_peak,
        describe::bytes(st.held_bytes_peak as u64),
        st.cpu_seconds
    );
}

/// The `--json` document.
#[derive(Serialize)]
struct JsonSummary<'a> {
    file: &'a Path,
    steps: usize,
    frames: u32,
    bytes: u64,
    duration_s: f64,
    ended_by: &'a EndReason,
    proposed_masks: &'a [ProposedMask],
    variables: &'a [String],
    stats: &'a Stats,
}

impl<'a> JsonSummary<'a> {
    fn new(r: &'a Report) -> JsonSummary<'a> {
        JsonSummary {
            file: &r.summary.path,
            steps: r.summary.steps,
            frames: r.summary.frames,
            bytes: r.summary.bytes,
            duration_s: r.duration.as_secs_f64(),
            ended_by: &r.ended_by,
            proposed_masks: &r.proposed_masks,
            variables: &r.variables,
            stats: &r.stats,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names_follow_the_placeholder_rules() {
        assert!(is_variable_name("PASSWORD"));
        assert!(is_variable_name("_user2"));
        assert!(!is_variable_name("2FA"));
        assert!(!is_variable_name("MY-VAR"));
        assert!(!is_variable_name(""));
    }

    #[test]
    fn the_default_keys_parse_and_differ() {
        let stop: KeyCombo = DEFAULT_STOP_KEY.parse().unwrap();
        let pause: KeyCombo = DEFAULT_PAUSE_KEY.parse().unwrap();
        assert_ne!(stop, pause);
    }

    #[test]
    fn the_clock_reads_minutes_and_seconds() {
        assert_eq!(clock(Duration::from_secs(75)), "1:15");
    }
}
