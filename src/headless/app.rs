//! The application under test, started on a private display.

#![forbid(unsafe_code)]

use std::io;
use std::os::fd::AsFd;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use super::HeadlessError;
use super::process::GroupChild;
use super::window::{self, MappedWindow};

/// A running application under test. Dropping it stops the application and
/// every process it started (its process group).
///
/// It runs with `DISPLAY` set to the private display (for this process
/// only: the caller's environment is untouched), `WAYLAND_DISPLAY` removed
/// and `XDG_SESSION_TYPE=x11`, so that toolkits which prefer Wayland (GTK,
/// Qt) open their windows on the X display. Its standard input is empty;
/// what it prints goes to our stderr, so that it never mixes with
/// machine-readable output on our stdout.
#[derive(Debug)]
pub struct App {
    group: GroupChild,
    program: String,
    display: String,
    stop_grace: Duration,
}

impl App {
    /// Starts `command` on `display`, with the environment and streams
    /// described on [`App`].
    pub(super) fn spawn(
        mut command: Command,
        display: &str,
        stop_grace: Duration,
    ) -> Result<App, HeadlessError> {
        set_environment(&mut command, display);
        let program = command.get_program().to_string_lossy().into_owned();
        let stdout = io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|source| HeadlessError::AppSpawn {
                program: program.clone(),
                source,
            })?;
        command.stdin(Stdio::null()).stdout(Stdio::from(stdout));
        App::spawn_prepared(command, display, stop_grace)
    }

    /// Starts `command` as it is.
    pub(super) fn spawn_prepared(
        mut command: Command,
        display: &str,
        stop_grace: Duration,
    ) -> Result<App, HeadlessError> {
        let program = command.get_program().to_string_lossy().into_owned();
        let group = GroupChild::spawn(&mut command).map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                HeadlessError::AppNotFound {
                    program: program.clone(),
                }
            } else {
                HeadlessError::AppSpawn {
                    program: program.clone(),
                    source,
                }
            }
        })?;
        log::debug!(
            "started {program:?} on display {display}, pid {}",
            group.pid()
        );
        Ok(App {
            group,
            program,
            display: display.to_string(),
            stop_grace,
        })
    }

    /// The application's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.group.pid()
    }

    /// The program that was started, as given.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The display the application runs on.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// Whether the application's main process is still running.
    pub fn is_running(&self) -> bool {
        !self.group.has_exited()
    }

    /// Waits until a window of the given `WM_CLASS` (instance or class
    /// name, ignoring case: `xcalc` and `XCalc` both find xcalc) is mapped
    /// and viewable on the display, for at most `timeout`.
    ///
    /// A mapped window may not be drawn yet; to wait for that as well, wait
    /// until the screen is still (see
    /// [`X11Screen::wait_until_still`](crate::screen::X11Screen::wait_until_still)).
    ///
    /// # Errors
    ///
    /// No such window in time, the application exited first, or the
    /// display cannot be reached.
    pub fn wait_for_window(
        &self,
        class: &str,
        timeout: Duration,
    ) -> Result<MappedWindow, HeadlessError> {
        window::wait_for_window(&self.display, class, timeout, || {
            match self.group.exit_description() {
                Some(status) => Err(HeadlessError::AppExited {
                    program: self.program.clone(),
                    status,
                }),
                None => Ok(()),
            }
        })
    }

    /// Stops the application now (SIGTERM to its process group, SIGKILL
    /// after the grace period) and returns its exit status.
    ///
    /// # Errors
    ///
    /// When the process cannot be signalled or waited for.
    pub fn stop(mut self) -> io::Result<ExitStatus> {
        self.group.stop(self.stop_grace)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Err(err) = self.group.stop(self.stop_grace) {
            log::warn!("could not stop {:?}: {err}", self.program);
        }
    }
}

/// Points `command` at `display` and away from Wayland.
pub(super) fn set_environment(command: &mut Command, display: &str) {
    command
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_SESSION_TYPE", "x11");
}
