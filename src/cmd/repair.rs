//! `trajectory repair FILE`: gives a file whose recording was interrupted
//! its trailer back, keeping every complete record. The repaired file is
//! written beside the target and renamed into place, so nothing good is
//! ever overwritten by something half done.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::Outcome;
use super::describe;
use super::show::progress_bar;
use trajectory::format::{self, Reader};

const EXAMPLES: &str = "\
Examples:
  Recover what a killed recording left (writes login.traj, removes the .partial):
    trajectory repair login.traj.partial

  Give a file cut short its trailer back, in place:
    trajectory repair login.traj

  Keep what comes before a damaged record, dropping the rest:
    trajectory repair login.traj --truncate -o login-recovered.traj";

/// Repair a trajectory file: rebuild its trailer from its records.
///
/// Checks every record of FILE. A file cut short (the recording was killed,
/// the disk filled) keeps every complete record, and gets its trailer back.
/// A file that is already sound is left as it is. `NAME.traj.partial`, the
/// name a recording has until it is finished, is repaired to `NAME.traj`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The file to repair.
    pub file: PathBuf,

    /// Write the repaired file here instead (default: FILE, or NAME.traj for
    /// NAME.traj.partial).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Replace the output file if it exists (other than FILE itself).
    #[arg(long)]
    pub force: bool,

    /// When a damaged record is followed by more data, keep what comes
    /// before it and drop the rest (without this, repair refuses).
    #[arg(long)]
    pub truncate: bool,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let input = &args.file;
    let partial = input.extension() == Some(OsStr::new("partial"));
    let target = match &args.output {
        Some(out) => out.clone(),
        None if partial => input.with_extension(""),
        None => input.clone(),
    };
    let in_place = same_file(input, &target);

    let len = fs::metadata(input)
        .with_context(|| format!("cannot read {}", input.display()))?
        .len();
    let bar = progress_bar(len, "checking records");
    let scanned = format::scan_file(input, &mut |n| bar.set_position(n))
        .with_context(|| format!("cannot repair {}", input.display()))?;
    bar.finish_and_clear();
    let r = &scanned.recovery;

    if r.stopped_by.is_none() && scanned.has_trailer && in_place {
        println!(
            "{} is sound: {} steps, {} frames, every record checked; nothing to repair",
            input.display(),
            scanned.steps.len(),
            scanned.frames.len()
        );
        return Ok(Outcome::Success);
    }
    if let Some(e) = &r.stopped_by
        && !r.interrupted
        && !args.truncate
    {
        bail!(
            "{}: {e}\n{} bytes follow offset {}. `--truncate` keeps the {} steps before it and \
             drops the rest",
            input.display(),
            r.dropped_bytes(),
            r.valid_up_to,
            scanned.steps.len()
        );
    }
    if !in_place && target.exists() && !args.force {
        bail!(
            "{} exists; add --force to replace it, or choose another name with -o",
            target.display()
        );
    }

    let temp = temp_path(&target);
    let _ = fs::remove_file(&temp);
    let bar = progress_bar(scanned.body_end, "copying records");
    let written = format::write_recovered(input, &scanned, &temp, &mut |n| bar.set_position(n))
        .with_context(|| format!("cannot repair {}", input.display()));
    bar.finish_and_clear();
    if let Err(e) = written.and_then(|_| verify(&temp)) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    fs::rename(&temp, &target)
        .with_context(|| format!("cannot rename {} to {}", temp.display(), target.display()))?;
    if partial && !in_place {
        fs::remove_file(input).with_context(|| {
            format!(
                "repaired into {}, but cannot remove {}",
                target.display(),
                input.display()
            )
        })?;
    }

    println!(
        "repaired {} into {}: {} steps, {} frames, {}",
        input.display(),
        target.display(),
        scanned.steps.len(),
        scanned.frames.len(),
        describe::bytes(fs::metadata(&target).map(|m| m.len()).unwrap_or(0))
    );
    if let Some(e) = &r.stopped_by {
        println!(
            "dropped {} after offset {}: {e}",
            describe::bytes(r.dropped_bytes()),
            r.valid_up_to
        );
    }
    Ok(Outcome::Success)
}

/// Opens the repaired file the way every reader will, before it replaces
/// anything.
fn verify(path: &Path) -> anyhow::Result<()> {
    Reader::open(path)
        .map(drop)
        .with_context(|| format!("the repaired file {} does not open", path.display()))
}

/// Where the repaired file is written before it is renamed into place:
/// beside the target, so that the rename does not cross file systems.
fn temp_path(target: &Path) -> PathBuf {
    let mut name = target.as_os_str().to_owned();
    name.push(".repairing");
    PathBuf::from(name)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
