//! One module per subcommand. Each has an `Args` struct (clap derive) and a
//! `run` function; `main` maps what `run` returns to an exit code.

use clap::Subcommand;

pub mod assemble;
pub mod completions;
pub mod describe;
pub mod diff;
pub mod man;
pub mod record;
pub mod repair;
pub mod show;

/// What a subcommand found, when it ran to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// All passed (exit code 0).
    Success,
    /// A comparison found a difference (exit code 1).
    Mismatch,
}

/// An error caused by the machine rather than by the input (no display, a
/// screen of another geometry, Xvfb or the application would not start).
/// `main` exits with code 3 when one is anywhere in an error's chain.
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub struct EnvironmentError(pub anyhow::Error);

#[derive(Debug, Subcommand)]
pub enum Command {
    Record(record::Args),
    Show(show::Args),
    Repair(repair::Args),
    Assemble(assemble::Args),
    Diff(diff::Args),
    Completions(completions::Args),
    Man(man::Args),
}

impl Command {
    pub fn run(self) -> anyhow::Result<Outcome> {
        match self {
            Command::Record(args) => record::run(args),
            Command::Show(args) => show::run(args),
            Command::Repair(args) => repair::run(args),
            Command::Assemble(args) => assemble::run(args),
            Command::Diff(args) => diff::run(args),
            Command::Completions(args) => completions::run(args),
            Command::Man(args) => man::run(args),
        }
    }
}
