//! What can go wrong while starting Xvfb or the application under test.

use std::time::Duration;

use x11rb::errors::{ConnectError, ReplyOrIdError};

/// An error from starting or watching Xvfb and the application under test.
/// All of them are the environment's fault, not the trajectory's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HeadlessError {
    /// The screen asked for is one Xvfb should not be asked to make.
    #[error("cannot start Xvfb with a {geometry} screen: {why}")]
    BadGeometry {
        geometry: crate::model::ScreenGeometry,
        why: &'static str,
    },

    /// The server program is not on `PATH`.
    #[error(
        "cannot start {program}: it is not installed or not on PATH; on Debian and Ubuntu \
         install the xvfb package (apt-get install xvfb xfonts-base)"
    )]
    XvfbNotFound { program: String },

    /// The server program exists but could not be run.
    #[error("cannot start {program}")]
    XvfbSpawn {
        program: String,
        #[source]
        source: std::io::Error,
    },

    /// The server exited before it accepted connections.
    #[error("{program} exited with {status} before it was ready; it said:\n{stderr}")]
    XvfbExited {
        program: String,
        status: String,
        stderr: String,
    },

    /// The server did not become ready in time.
    #[error(
        "{program} was not ready after {waited:.1?} (is the machine overloaded?); it said:\n\
         {stderr}"
    )]
    XvfbTimeout {
        program: String,
        waited: Duration,
        stderr: String,
    },

    /// `-displayfd` gave something other than a display number.
    #[error("{program} wrote {output} to -displayfd where a display number was expected")]
    XvfbBadDisplay { program: String, output: String },

    /// The server said it was ready, but refused a connection.
    #[error("Xvfb reported display {display} as ready, but it cannot be connected to")]
    XvfbUnreachable {
        display: String,
        #[source]
        source: ConnectError,
    },

    /// No application command was given.
    #[error("no application to start: the command is empty")]
    NoCommand,

    /// The application's program does not exist.
    #[error(
        "the application under test {program:?} was not found: it is neither a file nor a \
         program on PATH"
    )]
    AppNotFound { program: String },

    /// The application's program exists but could not be run.
    #[error("cannot start the application under test {program:?}")]
    AppSpawn {
        program: String,
        #[source]
        source: std::io::Error,
    },

    /// The application exited while its window was awaited.
    #[error(
        "the application under test {program:?} exited with {status} before its window appeared"
    )]
    AppExited { program: String, status: String },

    /// No window of the class appeared in time.
    #[error(
        "no window of class {class:?} appeared on display {display} within {waited:.1?} \
         (check the class with xprop WM_CLASS)"
    )]
    WindowTimeout {
        class: String,
        display: String,
        waited: Duration,
    },

    /// The display could not be reached while a window was awaited.
    #[error("cannot connect to display {display} to wait for a window")]
    Connect {
        display: String,
        #[source]
        source: ConnectError,
    },

    /// A request failed while a window was awaited.
    #[error("X request failed on display {display} while waiting for a window")]
    X11 {
        display: String,
        #[source]
        source: ReplyOrIdError,
    },
}
