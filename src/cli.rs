//! The command line, as clap definitions. `trajectory completions` and
//! `trajectory man` generate shell completions and the man page from it.

use clap::{Args, Parser};

use crate::cmd;

const EXAMPLES: &str = "\
Examples:
  Record a session on the current display, stop with Ctrl-C:
    trajectory record -o login.traj

  Replay it headless in CI against the application under test:
    trajectory replay login.traj --headless -- ./my-app

  Inspect a file and export the frame of step 3:
    trajectory show login.traj
    trajectory show login.traj --frame 3 -o step3.png

Exit codes:
  0  success
  1  a checkpoint failed, or the compared images differ
  2  usage error, or a file that cannot be read or written
  3  environment error: no display, geometry differs, Xvfb or the app would not start
  130  interrupted by Ctrl-C or SIGTERM (replay releases held input and stops
       what it started first)";

/// Record desktop sessions on X11 and replay them with visual checkpoints.
///
/// A trajectory file holds every action of a session (pointer, buttons,
/// keys, typed text) with the screen as it was right before it. Replay acts
/// only when the live screen matches the recorded one, and leaves expected,
/// actual and diff images when it does not.
#[derive(Debug, Parser)]
#[command(name = "trajectory", version, after_help = EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: cmd::Command,
}

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Log more to stderr: -v info, -vv debug, -vvv trace (RUST_LOG also works).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// The clap command, for completions, the man page and the tests.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_definition_is_consistent() {
        super::command().debug_assert();
    }
}
