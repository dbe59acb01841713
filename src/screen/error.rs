//! What can go wrong while opening, reading or watching a screen.

use x11rb::errors::{ConnectError, ReplyOrIdError};

/// An error from the screen layer. Every variant names the display, so a
/// message read in a CI log says which server it was about.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScreenError {
    /// Neither a display name nor `DISPLAY` was given.
    #[error(
        "no X display to use: DISPLAY is not set; pass --display :N, or replay with \
         --headless to start a private Xvfb"
    )]
    NoDisplay,

    /// The display name cannot name a display.
    #[error("{display:?} is not a usable display name: {why}")]
    BadDisplayName { display: String, why: &'static str },

    /// The X server could not be reached.
    #[error(
        "cannot connect to X display {display:?} (is the server running, and does DISPLAY \
         or --display name it?)"
    )]
    Connect {
        display: String,
        #[source]
        source: ConnectError,
    },

    /// The screen's pixels are not in the one format captures support.
    #[error(
        "display {display} has {found}; trajectory captures only depth 24 at 32 bits per \
         pixel, least significant byte first, with colour masks ff0000/00ff00/0000ff \
         (start the server with a depth of 24, for example Xvfb -screen 0 1920x1080x24)"
    )]
    UnsupportedFormat { display: String, found: String },

    /// The server lacks an extension the screen layer needs.
    #[error(
        "display {display} does not offer the {extension} extension, which is needed to \
         {needed_for}; use an X server that has it (Xorg, Xvfb and Xvnc do)"
    )]
    MissingExtension {
        display: String,
        extension: &'static str,
        needed_for: &'static str,
    },

    /// The screen was resized (RandR) after it was opened.
    #[error(
        "the screen of display {display} changed size from {expected_width}x{expected_height} \
         to {found_width}x{found_height} while it was in use; captures need the size they \
         started with (was it resized with xrandr, or by a monitor change?)"
    )]
    GeometryChanged {
        display: String,
        expected_width: u32,
        expected_height: u32,
        found_width: u32,
        found_height: u32,
    },

    /// Capture through MIT-SHM was asked for explicitly and is not possible.
    #[error(
        "display {display} cannot be captured through MIT-SHM: {reason}; use the GetImage \
         capture method instead"
    )]
    ShmUnavailable { display: String, reason: String },

    /// A request to the X server failed, or the connection broke.
    #[error("X request failed on display {display} while {during}")]
    X11 {
        display: String,
        during: &'static str,
        #[source]
        source: ReplyOrIdError,
    },

    /// A system call failed while talking to the X server.
    #[error("I/O error on display {display} while {during}")]
    Io {
        display: String,
        during: &'static str,
        #[source]
        source: std::io::Error,
    },

    /// The `xcap` capture failed.
    #[cfg(feature = "xcap")]
    #[error("capture through xcap failed while {during}")]
    Xcap {
        during: &'static str,
        #[source]
        source: Box<xcap::XCapError>,
    },
}
