//! The `trajectory` command: parses the command line, runs one subcommand,
//! and maps its result to the documented exit codes.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod cmd;

use cli::Cli;
use cmd::Outcome;

/// Exit codes, as documented in `trajectory --help` and the README.
mod exit {
    /// Everything passed.
    pub const SUCCESS: u8 = 0;
    /// A comparison found a difference (a failed checkpoint, differing images).
    pub const MISMATCH: u8 = 1;
    /// Bad usage, or a file that cannot be read or written.
    pub const ERROR: u8 = 2;
    /// The environment is not fit: no display, wrong geometry, Xvfb or the
    /// application under test would not start.
    pub const ENVIRONMENT: u8 = 3;
    /// Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
    pub const INTERRUPTED: u8 = 130;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.verbose);

    match cli.command.run() {
        Ok(Outcome::Success) => ExitCode::from(exit::SUCCESS),
        Ok(Outcome::Mismatch) => ExitCode::from(exit::MISMATCH),
        Ok(Outcome::Interrupted) => ExitCode::from(exit::INTERRUPTED),
        Err(err) if is_broken_pipe(&err) => ExitCode::from(exit::SUCCESS),
        Err(err) => {
            eprintln!("trajectory: error: {err:#}");
            ExitCode::from(exit_code_for(&err))
        }
    }
}

/// Diagnostics go to stderr through `log`: warnings by default, more with
/// each `-v`, or whatever `RUST_LOG` asks for.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => log::LevelFilter::Warn,
        1 => log::LevelFilter::Info,
        2 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    // enigo warns about every unmapped modifier of an ordinary X server
    // each time it connects; that is noise unless debugging input.
    let enigo = if verbose >= 2 {
        level
    } else {
        log::LevelFilter::Error
    };
    env_logger::Builder::new()
        .filter_level(level)
        .filter_module("enigo", enigo)
        .parse_env("RUST_LOG")
        .format_timestamp(None)
        .init();
}

/// The one place that decides which errors are the environment's fault.
fn exit_code_for(err: &anyhow::Error) -> u8 {
    let environmental = err.chain().any(|e| e.is::<cmd::EnvironmentError>());
    if environmental {
        exit::ENVIRONMENT
    } else {
        exit::ERROR
    }
}

/// `trajectory show f.traj | head` closes our stdout early; that is not an
/// error worth reporting.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
