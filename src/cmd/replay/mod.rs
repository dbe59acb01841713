//! `trajectory replay`: re-executes trajectories with visual checkpoints,
//! on the current display or headless on private Xvfb servers, one or a
//! suite of files, and reports the result as text, JSON and JUnit.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{EnvironmentError, Outcome};
use trajectory::model::{Rect, Region, Tolerance};
use trajectory::replay::plan::{CheckOverrides, Pacing};
use trajectory::replay::report::{self, RunReport, Status};
use trajectory::replay::suite::Shard;
use trajectory::replay::vars::parse_var_arg;

mod output;
mod session;
mod signals;

use output::Output;
use session::{Config, ErrorKind, RunSpec};

const EXAMPLES: &str = "\
Examples:
  Replay headless against the application under test (CI):
    trajectory replay login.traj --headless -- ./my-app --profile test

  Replay on the current display, where the application already runs:
    trajectory replay login.traj --display :1

  A suite, four Xvfb servers at a time, the second of three CI shards:
    trajectory replay tests/*.traj --headless --jobs 4 --shard 2/3 \\
      --junit replay.xml --report-dir replay-report -- ./my-app

  Ignore a clock, compare only around each action, allow 0.1% of pixels:
    trajectory replay login.traj --mask 1800,0,120,30 \\
      --check around-action:200 --tolerance 0.1%

  Type a secret recorded as ${PASSWORD} (or set PASSWORD in the environment):
    trajectory replay login.traj --var PASSWORD=\"$PASSWORD\" --headless -- ./my-app

How it runs:
  Before each action, replay compares the live screen with the frame recorded
  before it (inside the compared area, outside masks, within the tolerance)
  and waits for the display to report changes until it matches or the
  checkpoint's timeout passes. Only then does it act. A failed checkpoint
  writes step-N-expected.png, step-N-actual.png, step-N-diff.png and
  report.json into the report directory (one subdirectory per file in a
  suite) and stops the run; with --continue it skips that step's action and
  goes on checking the next steps, which is useful to see every difference at
  once but may act on a screen in another state.

  --on-mismatch CMD runs `sh -c CMD` after a failed checkpoint, with
  TRAJECTORY_STEP, TRAJECTORY_ACTION, TRAJECTORY_ATTEMPT, TRAJECTORY_EXPECTED,
  TRAJECTORY_ACTUAL, TRAJECTORY_DIFF, TRAJECTORY_REPORT_DIR, TRAJECTORY_FILE
  and DISPLAY set. Exit 0 and the checkpoint is tried again (up to 10 times a
  step); any other exit and it stays failed.

  Pacing: each action runs as soon as its checkpoint matches, and gestures
  keep their recorded timing (double-click intervals, drag paths).
  --as-recorded keeps the recorded gaps between actions, --speed X divides
  them by X, --max-idle caps them (alone, it implies --speed 1).

  Held keys and buttons are released whatever ends the run. Ctrl-C or SIGTERM
  stops the run, releases them, stops Xvfb and the application, writes the
  report (status \"interrupted\") and exits 130; a second Ctrl-C kills at once.

Exit codes:
  0    every checkpoint matched
  1    a checkpoint failed
  2    usage error, or a file that cannot be read or replayed (a missing
       ${NAME} value, an unknown key name)
  3    environment error: no display, the display's geometry or depth differs
       from the recording's, Xvfb or the application would not start or died
  130  interrupted
  With several files, the worst run decides: 3, then 2, then 1.";

/// Replay trajectories, acting only when the screen matches the recording.
///
/// Before each action, waits until the live screen matches the frame
/// recorded before it; never acts on a screen in another state. When a
/// checkpoint fails, leaves expected, actual and diff images and a report.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// Trajectory files; several make a suite, one run each.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// The application under test and its arguments, after `--`. Started on
    /// the display before the first checkpoint (whose wait covers its
    /// start-up), stopped after the run.
    #[arg(last = true, value_name = "APP")]
    pub app: Vec<OsString>,

    /// Start a private Xvfb for each file, at the recorded geometry, depth
    /// and resolution, and stop it after the run.
    #[arg(long, conflicts_with = "display")]
    pub headless: bool,

    /// The X display to replay on (default: $DISPLAY).
    #[arg(long, value_name = "DISPLAY")]
    pub display: Option<String>,

    /// With --headless, replay this many files at once, each on its own
    /// Xvfb.
    #[arg(short, long, default_value_t = 1, value_name = "N")]
    pub jobs: usize,

    /// Replay only the K-th of N shares of the files (sorted by path, dealt
    /// out in turn), for a CI matrix of N machines.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,

    /// Write a JUnit XML report here: one test case per file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Where report.json and failure images go; a suite gets one
    /// subdirectory per file.
    #[arg(long, default_value = "trajectory-report", value_name = "DIR")]
    pub report_dir: PathBuf,

    /// Print a JSON summary on stdout (logs and progress stay on stderr).
    #[arg(long)]
    pub json: bool,

    /// After a failed checkpoint, skip that step's action and go on with
    /// the next step instead of stopping.
    #[arg(long = "continue")]
    pub keep_going: bool,

    /// Run this shell command when a checkpoint fails; exit 0 tries the
    /// checkpoint again (see below).
    #[arg(long, value_name = "CMD")]
    pub on_mismatch: Option<String>,

    /// What each checkpoint compares: `full`, `around-action:R` (a square of
    /// radius R pixels around the point the action targets) or
    /// `rect:X,Y,W,H`. Default: as the file says.
    #[arg(long, value_name = "AREA", value_parser = parse_region)]
    pub check: Option<Region>,

    /// Ignore this rectangle in every checkpoint: x,y,width,height.
    /// Repeatable.
    #[arg(long = "mask", value_name = "X,Y,W,H")]
    pub masks: Vec<Rect>,

    /// Do not apply the masks the recorder proposed (a clock, a caret).
    #[arg(long)]
    pub no_proposed_masks: bool,

    /// Colour threshold from 0 to 1 for every checkpoint; smaller is
    /// stricter.
    #[arg(long, value_name = "T", value_parser = parse_threshold)]
    pub threshold: Option<f64>,

    /// Differing pixels every checkpoint allows: a count (12) or a
    /// percentage (0.5%).
    #[arg(long, value_name = "N|P%")]
    pub tolerance: Option<Tolerance>,

    /// How long each checkpoint waits for a match (10s, 500ms, or seconds);
    /// default: as the file says, 10 s unless it overrides it.
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// The match must hold over N captures in a row.
    #[arg(long, value_name = "N")]
    pub stable: Option<u32>,

    /// Keep the recorded gaps between actions, divided by X (2 is twice as
    /// fast).
    #[arg(long, value_name = "X", value_parser = parse_speed, conflicts_with = "as_recorded")]
    pub speed: Option<f64>,

    /// Never wait longer than this between two actions.
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    pub max_idle: Option<Duration>,

    /// Keep every recorded gap between actions.
    #[arg(long)]
    pub as_recorded: bool,

    /// The value of a ${NAME} variable the trajectory types. Repeatable;
    /// otherwise read from the environment variable NAME.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,

    /// When replay starts the application, the first checkpoint waits at
    /// least this long, for the application to come up.
    #[arg(long, default_value = "30s", value_name = "TIME", value_parser = parse_duration)]
    pub start_timeout: Duration,

    /// After the last action, capture the screen into final.png in the
    /// report directory.
    #[arg(long)]
    pub save_final: bool,
}

/// Runs the verb.
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    if args.jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    if args.jobs > 1 && !args.headless {
        bail!(
            "--jobs {} needs --headless: runs on one display would disturb each other",
            args.jobs
        );
    }
    // Parsed here rather than by clap, whose messages repeat the value.
    let given_vars = args
        .vars
        .iter()
        .map(|v| parse_var_arg(v))
        .collect::<Result<Vec<_>, _>>()?;

    let files = match args.shard {
        Some(shard) => {
            let share = shard.select(&args.files);
            log::info!(
                "shard {shard}: {} of {} files",
                share.len(),
                args.files.len()
            );
            share
        }
        None => args.files.clone(),
    };
    let specs = plan_runs(&files, &args.report_dir, args.files.len() > 1);

    let config = Config {
        overrides: CheckOverrides {
            region: args.check,
            masks: args.masks.clone(),
            no_proposed_masks: args.no_proposed_masks,
            threshold: args.threshold,
            tolerance: args.tolerance,
            timeout: args.timeout,
            stable: args.stable,
        },
        pacing: pacing(&args),
        keep_going: args.keep_going,
        headless: args.headless,
        display: args.display.clone(),
        app: args.app.clone(),
        start_timeout: args.start_timeout,
        on_mismatch: args.on_mismatch.clone(),
        given_vars,
        save_final: args.save_final,
    };

    let stop = signals::install().context("installing the Ctrl-C handler")?;
    let output = Output::new(args.json, specs.len());
    let started = Instant::now();
    let results = run_all(&specs, &config, &stop, &output, args.jobs);
    let reports: Vec<&RunReport> = results.iter().map(|(r, _)| r).collect();

    if let Some(path) = &args.junit {
        let owned: Vec<RunReport> = reports.iter().map(|r| (*r).clone()).collect();
        let xml = report::junit(&owned, started.elapsed());
        trajectory::fsutil::write_atomic(path, xml.as_bytes())
            .with_context(|| format!("writing the JUnit report {}", path.display()))?;
    }
    output.finish(&reports, specs.len())?;
    outcome(&results, specs.len(), stop.requested())
}

/// The run of each file, with its report directory: the directory itself
/// for one file, a subdirectory named after the file in a suite.
fn plan_runs(files: &[PathBuf], report_dir: &std::path::Path, suite: bool) -> Vec<RunSpec> {
    let mut used = std::collections::HashSet::new();
    files
        .iter()
        .map(|file| {
            let dir = if suite {
                let stem = file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "trajectory".into());
                let mut name = stem.clone();
                let mut n = 1;
                while !used.insert(name.clone()) {
                    n += 1;
                    name = format!("{stem}-{n}");
                }
                report_dir.join(name)
            } else {
                report_dir.to_path_buf()
            };
            RunSpec {
                file: file.clone(),
                report_dir: dir,
            }
        })
        .collect()
}

fn pacing(args: &Args) -> Pacing {
    let speed = match (args.speed, args.as_recorded, args.max_idle) {
        (Some(x), _, _) => Some(x),
        (None, true, _) | (None, false, Some(_)) => Some(1.0),
        (None, false, None) => None,
    };
    Pacing {
        speed,
        max_idle: args.max_idle,
    }
}

/// A run's report, with the kind of error when it could not be carried
/// out.
type RunResult = (RunReport, Option<ErrorKind>);

/// Runs every file, `jobs` at a time, each on its own thread; stops
/// starting new ones once interrupted. Results keep the files' order.
fn run_all(
    specs: &[RunSpec],
    config: &Config,
    stop: &signals::StopFlag,
    output: &Output,
    jobs: usize,
) -> Vec<RunResult> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<RunResult>>> = Mutex::new(specs.iter().map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.min(specs.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= specs.len() || stop.requested() {
                        break;
                    }
                    let result = session::replay(&specs[i], config, stop, output);
                    output.finished(&result.0, specs.len() > 1);
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// The exit: interrupted first, then the worst error, then failures.
fn outcome(results: &[RunResult], planned: usize, interrupted: bool) -> anyhow::Result<Outcome> {
    if interrupted || results.iter().any(|(r, _)| r.status == Status::Interrupted) {
        return Ok(Outcome::Interrupted);
    }
    let errors: Vec<&RunResult> = results.iter().filter(|(_, k)| k.is_some()).collect();
    if !errors.is_empty() {
        let message = if planned == 1 {
            let (r, _) = errors[0];
            format!(
                "{}: {}",
                r.file.display(),
                r.error.as_deref().unwrap_or("the run failed")
            )
        } else {
            format!(
                "{} of {planned} trajectories could not be replayed (see above)",
                errors.len()
            )
        };
        let environmental = errors
            .iter()
            .any(|(_, k)| *k == Some(ErrorKind::Environment));
        return Err(if environmental {
            EnvironmentError(anyhow::anyhow!(message)).into()
        } else {
            anyhow::anyhow!(message)
        });
    }
    if results.iter().any(|(r, _)| r.status == Status::Failed) {
        Ok(Outcome::Mismatch)
    } else {
        Ok(Outcome::Success)
    }
}

/// `full`, `around-action:R` or `rect:X,Y,W,H`.
fn parse_region(s: &str) -> Result<Region, String> {
    if s == "full" {
        return Ok(Region::Full);
    }
    if let Some(r) = s.strip_prefix("around-action:") {
        return r
            .trim()
            .parse()
            .map(|radius| Region::AroundAction { radius })
            .map_err(|_| format!("the radius in {s:?} is not a whole number of pixels"));
    }
    if let Some(r) = s.strip_prefix("rect:") {
        return r.parse().map(Region::Rect).map_err(|e| e.to_string());
    }
    Err(format!(
        "{s:?} is not an area: use full, around-action:R (R in pixels) or rect:X,Y,W,H"
    ))
}

/// Seconds (`2.5`) or a duration with units (`500ms`, `1m 30s`).
fn parse_duration(s: &str) -> Result<Duration, String> {
    if let Ok(secs) = s.trim().parse::<f64>() {
        return Duration::try_from_secs_f64(secs)
            .map_err(|_| format!("{s:?} is not a duration: seconds must be 0 or more"));
    }
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?} is not a duration ({e}); write 10s, 500ms or 2.5"))
}

fn parse_threshold(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(t) if (0.0..=1.0).contains(&t) => Ok(t),
        _ => Err(format!("{s:?} is not a threshold from 0 to 1")),
    }
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!(
            "{s:?} is not a speed: use a number above 0, such as 2 or 0.5"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_parse_as_the_help_writes_them() {
        assert_eq!(parse_region("full"), Ok(Region::Full));
        assert_eq!(
            parse_region("around-action:150"),
            Ok(Region::AroundAction { radius: 150 })
        );
        assert_eq!(
            parse_region("rect:1,2,3,4"),
            Ok(Region::Rect(Rect::new(1, 2, 3, 4)))
        );
        assert!(parse_region("around-action:-1").is_err());
        assert!(parse_region("half").is_err());
    }

    #[test]
    fn durations_take_seconds_or_units() {
        assert_eq!(parse_duration("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m 30s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn a_suite_gets_one_report_directory_per_file() {
        let files: Vec<PathBuf> = ["a/login.traj", "b/login.traj", "c/save.traj"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let specs = plan_runs(&files, "out".as_ref(), true);
        let dirs: Vec<_> = specs.iter().map(|s| s.report_dir.clone()).collect();
        assert_eq!(
            dirs,
            [
                PathBuf::from("out/login"),
                PathBuf::from("out/login-2"),
                PathBuf::from("out/save")
            ]
        );
        let one = plan_runs(&files[..1], "out".as_ref(), false);
        assert_eq!(one[0].report_dir, PathBuf::from("out"));
    }
}
