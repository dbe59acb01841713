//! `trajectory completions SHELL`: shell completion scripts.

use std::io::Write;

use super::Outcome;

/// Print a shell completion script to stdout.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  trajectory completions bash > ~/.local/share/bash-completion/completions/trajectory
  trajectory completions zsh > ~/.zfunc/_trajectory
  trajectory completions fish > ~/.config/fish/completions/trajectory.fish")]
pub struct Args {
    /// The shell to write completions for.
    pub shell: clap_complete::Shell,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let mut out = Vec::new();
    clap_complete::generate(
        args.shell,
        &mut crate::cli::command(),
        "trajectory",
        &mut out,
    );
    std::io::stdout().lock().write_all(&out)?;
    Ok(Outcome::Success)
}
