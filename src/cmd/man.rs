//! `trajectory man`: the man page, in roff.

use std::io::Write;

use super::Outcome;

/// Print the man page (roff) to stdout.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  trajectory man > /usr/local/share/man/man1/trajectory.1
  trajectory man | man -l -")]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<Outcome> {
    let mut out = Vec::new();
    clap_mangen::Man::new(crate::cli::command()).render(&mut out)?;
    std::io::stdout().lock().write_all(&out)?;
    Ok(Outcome::Success)
}
