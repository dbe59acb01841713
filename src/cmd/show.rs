//! `trajectory show FILE`: what a trajectory holds, without replaying it.
//! Opening reads the trailer only; frames are decoded only to export them.

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Serialize;

use super::Outcome;
use crate::cmd::describe;
use trajectory::format::{Opened, Reader, Stats, Version};
use trajectory::model::{Header, Step};

const EXAMPLES: &str = "\
Examples:
  Print the header and the table of steps:
    trajectory show login.traj

  The same as one JSON document (field names in formats/trajectory-v1.md §10):
    trajectory show login.traj --json | jq '.steps[] | .action.kind'

  Export the frame of step 3, or the frames of all steps:
    trajectory show login.traj --frame 3 -o step3.png
    trajectory show login.traj --frames frames/";

/// Show a trajectory file: header, environment, sizes and steps.
///
/// Reads only the file's index, so it answers at once for any size. A file
/// whose recording was interrupted (no trailer) is read up to its last
/// complete record, and `show` says so.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The trajectory file.
    pub file: PathBuf,

    /// Print one JSON document (stable field names) instead of text.
    #[arg(long, conflicts_with_all = ["frame", "frames"])]
    pub json: bool,

    /// Export the frame of step N (counted from 0) as a PNG; needs -o.
    #[arg(long, value_name = "N", requires = "output")]
    pub frame: Option<usize>,

    /// The PNG file --frame writes.
    #[arg(short, long, value_name = "PNG", requires = "frame")]
    pub output: Option<PathBuf>,

    /// Export the frame of every step into DIR, as step-0000.png,
    /// step-0001.png, ... (DIR is created if needed).
    #[arg(long, value_name = "DIR", conflicts_with = "frame")]
    pub frames: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let path = &args.file;
    let mut file = Reader::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    if let Opened::Scanned(r) = file.opened() {
        eprintln!(
            "trajectory: warning: {} has no trailer (its recording was interrupted); read \
             everything before offset {} of {}. `trajectory repair {}` completes it.",
            path.display(),
            r.valid_up_to,
            r.file_len,
            path.display()
        );
    }

    if let Some(step) = args.frame {
        let out = args
            .output
            .as_deref()
            .expect("clap requires -o with --frame");
        export_one(&mut file, path, step, out)?;
    } else if let Some(dir) = &args.frames {
        export_all(&mut file, path, dir)?;
    } else {
        // Stdout flushes at every newline; a table of many steps would be
        // one write per line.
        let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
        if args.json {
            serde_json::to_writer_pretty(&mut out, &JsonDoc::new(path, &file))?;
            writeln!(out)?;
        } else {
            print_text(&mut out, path, &file)?;
        }
        out.flush()?;
    }
    Ok(Outcome::Success)
}

fn export_one(file: &mut Reader, path: &Path, step: usize, out: &Path) -> anyhow::Result<()> {
    let steps = file.steps().len();
    let Some(id) = file.steps().get(step).map(|s| s.frame) else {
        bail!(
            "--frame {step}: {} has {steps} steps{}",
            path.display(),
            if steps > 0 {
                format!(", numbered 0 to {}", steps - 1)
            } else {
                String::new()
            }
        );
    };
    let frame = file.frame(id).with_context(|| {
        format!(
            "cannot read the frame of step {step} from {}",
            path.display()
        )
    })?;
    frame
        .save_png(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    log::info!("wrote frame {id} of step {step} to {}", out.display());
    Ok(())
}

fn export_all(file: &mut Reader, path: &Path, dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let steps: Vec<_> = file.steps().iter().map(|s| s.frame).collect();
    let digits = steps.len().saturating_sub(1).to_string().len().max(4);
    let bar = progress_bar(steps.len() as u64, "exporting frames");
    // Consecutive steps often show the same screen: copy the PNG written
    // for it rather than decode and compress it again.
    let mut previous: Option<(u32, PathBuf)> = None;
    for (i, &id) in steps.iter().enumerate() {
        let out = dir.join(format!("step-{i:0digits$}.png"));
        match &previous {
            Some((prev, png)) if *prev == id => {
                fs::copy(png, &out).with_context(|| format!("cannot write {}", out.display()))?;
            }
            _ => {
                let frame = file.frame(id).with_context(|| {
                    format!("cannot read the frame of step {i} from {}", path.display())
                })?;
                frame
                    .save_png(&out)
                    .with_context(|| format!("cannot write {}", out.display()))?;
            }
        }
        previous = Some((id, out));
        bar.inc(1);
    }
    bar.finish_and_clear();
    eprintln!("wrote {} frames to {}", steps.len(), dir.display());
    Ok(())
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
pub(crate) fn progress_bar(len: u64, what: &'static str) -> indicatif::ProgressBar {
    if !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let style = indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} {eta}")
        .expect("a valid template");
    indicatif::ProgressBar::new(len)
        .with_style(style)
        .with_message(what)
}

/// The `--json` document (spec §10.1). Field names are stable.
#[derive(Serialize)]
struct JsonDoc<'a> {
    path: &'a Path,
    format_version: String,
    opened: JsonOpened,
    header: &'a Header,
    duration_us: u64,
    stats: JsonStats,
    steps: Vec<JsonStep<'a>>,
}

#[derive(Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
enum JsonOpened {
    Trailer,
    Scan {
        valid_up_to: u64,
        file_bytes: u64,
        stopped_by: Option<String>,
    },
}

#[derive(Serialize)]
struct JsonStats {
    file_bytes: u64,
    steps: usize,
    frames: u32,
    keyframes: u32,
    frame_bytes: u64,
    raw_frame_bytes: u64,
    compression_ratio: f64,
}

#[derive(Serialize)]
struct JsonStep<'a> {
    index: usize,
    #[serde(flatten)]
    step: &'a Step,
}

impl<'a> JsonDoc<'a> {
    fn new(path: &'a Path, file: &'a Reader) -> JsonDoc<'a> {
        let s = file.stats();
        let opened = match file.opened() {
            Opened::Trailer => JsonOpened::Trailer,
            Opened::Scanned(r) => JsonOpened::Scan {
                valid_up_to: r.valid_up_to,
                file_bytes: r.file_len,
                stopped_by: r.stopped_by.as_ref().map(ToString::to_string),
            },
        };
        JsonDoc {
            path,
            format_version: file.version().to_string(),
            opened,
            header: file.header(),
            duration_us: duration_us(file.steps()),
            stats: JsonStats {
                file_bytes: s.file_bytes,
                steps: file.steps().len(),
                frames: s.frames,
                keyframes: s.keyframes,
                frame_bytes: s.frame_bytes,
                raw_frame_bytes: s.raw_frame_bytes,
                compression_ratio: (s.compression_ratio() * 100.0).round() / 100.0,
            },
            steps: file
                .steps()
                .iter()
                .enumerate()
                .map(|(index, step)| JsonStep { index, step })
                .collect(),
        }
    }
}

/// A trajectory lasts until its last step.
fn duration_us(steps: &[Step]) -> u64 {
    steps.last().map_or(0, |s| s.at_us)
}

fn print_text(out: &mut impl Write, path: &Path, file: &Reader) -> io::Result<()> {
    let h = file.header();
    let s: Stats = file.stats();
    let version: Version = file.version();
    writeln!(
        out,
        "{}  (format {version}, written by trajectory {})",
        path.display(),
        h.tool_version
    )?;
    let field = |out: &mut dyn Write, name: &str, value: &dyn std::fmt::Display| {
        writeln!(out, "  {name:<15}{value}")
    };
    if let Some(title) = &h.title {
        field(out, "title", title)?;
    }
    field(out, "created", &describe::created(h.created_unix_us))?;
    field(out, "screen", &describe::screen(h))?;
    if let Some(k) = &h.keyboard {
        field(out, "keyboard", &describe::keyboard(k))?;
    }
    field(
        out,
        "window manager",
        &h.window_manager.as_deref().unwrap_or("none"),
    )?;
    field(
        out,
        "duration",
        &describe::seconds(duration_us(file.steps())),
    )?;
    field(out, "steps", &file.steps().len())?;
    let frames = if s.frames == 0 {
        "none".to_string()
    } else {
        format!(
            "{} stored ({}), {} ({} raw, {:.1}x smaller)",
            s.frames,
            describe::count(s.keyframes as u64, "keyframe"),
            describe::bytes(s.frame_bytes),
            describe::bytes(s.raw_frame_bytes),
            s.compression_ratio()
        )
    };
    field(out, "frames", &frames)?;
    field(out, "file", &describe::bytes(s.file_bytes))?;
    if !h.variables.is_empty() {
        field(out, "variables", &h.variables.join(", "))?;
    }
    field(out, "checkpoint", &describe::checkpoint(&h.checkpoint))?;
    for (i, m) in h.proposed_masks.iter().enumerate() {
        let name = if i == 0 { "proposed masks" } else { "" };
        field(
            out,
            name,
            &format!("{} (changed {} times)", m.rect, m.changes),
        )?;
    }
    if let Opened::Scanned(r) = file.opened() {
        let why = r
            .stopped_by
            .as_ref()
            .map_or_else(|| "the records end there".to_string(), ToString::to_string);
        field(
            out,
            "recovered",
            &format!(
                "by scanning, up to offset {} of {}: {why}",
                r.valid_up_to, r.file_len
            ),
        )?;
    }

    if file.steps().is_empty() {
        return writeln!(out, "\n  no steps");
    }
    let w = file
        .steps()
        .len()
        .saturating_sub(1)
        .to_string()
        .len()
        .max(4);
    writeln!(out)?;
    writeln!(
        out,
        "  {:>w$}  {:>10}  {:<40}  {:>5}  checkpoint",
        "step", "time", "action", "frame"
    )?;
    for (i, step) in file.steps().iter().enumerate() {
        let row = format!(
            "  {i:>w$}  {:>10}  {:<40}  {:>5}  {}",
            describe::seconds(step.at_us),
            step.action.to_string(),
            step.frame,
            describe::overrides(&step.checkpoint)
        );
        writeln!(out, "{}", row.trim_end())?;
    }
    Ok(())
}
