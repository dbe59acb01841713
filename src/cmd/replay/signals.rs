//! Ctrl-C and SIGTERM during a replay.
//!
//! The first signal asks the runs to stop: each notices within a
//! checkpoint slice, releases held input, writes its report, and stops its
//! application and Xvfb in order. A second signal means the orderly stop
//! is stuck (an X server that no longer answers): every server and
//! application is killed and the process exits with 130 at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Whether a stop was asked for.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// Whether Ctrl-C or SIGTERM arrived.
    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Handles SIGINT and SIGTERM for the rest of the process, on a thread of
/// its own, and returns the flag they set.
pub fn install() -> std::io::Result<StopFlag> {
    let flag = StopFlag::default();
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    let seen = Arc::clone(&flag.0);
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if seen.swap(true, Ordering::SeqCst) {
                    eprintln!("trajectory: second interrupt: killing Xvfb and the application");
                    trajectory::headless::kill_all();
                    std::process::exit(130);
                }
                let name = if signal == SIGTERM {
                    "SIGTERM"
                } else {
                    "Ctrl-C"
                };
                eprintln!(
                    "trajectory: {name}: stopping (releasing held input, stopping Xvfb and the \
                     application); press Ctrl-C again to kill them at once"
                );
            }
        })?;
    Ok(flag)
}
