//! Why a recording could not start, or failed.

#![forbid(unsafe_code)]

use std::path::PathBuf;

use crate::format;
use crate::input::ListenError;
use crate::screen::ScreenError;

/// A recording could not start, or failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The output file exists and replacing it was not asked for.
    #[error(
        "{} exists; add --force to replace it (the old file stays until the new one is \
         finished), or choose another name with -o",
        path.display()
    )]
    OutputExists {
        /// The output file.
        path: PathBuf,
    },
    /// The screen cannot be captured (no display, no DAMAGE, another pixel
    /// format).
    #[error("cannot capture the screen: {0}")]
    Screen(#[from] ScreenError),
    /// Input cannot be listened to (no RECORD extension).
    #[error("cannot listen to input: {0}")]
    Listen(#[from] ListenError),
    /// The pointer's position could not be read at the start.
    #[error("cannot read the pointer's position on display {display}: {reason}")]
    Pointer {
        /// The display name.
        display: String,
        /// What the X server or the connection reported.
        reason: String,
    },
    /// The file cannot be written.
    #[error(transparent)]
    Format(#[from] format::Error),
    /// A thread of the recorder failed.
    #[error("the recorder's {what} thread failed: {reason}")]
    Thread {
        /// Which thread: `capture`, `encoder`, `input`.
        what: &'static str,
        /// What went wrong.
        reason: String,
    },
}

impl RecordError {
    /// Whether the machine rather than the input is at fault: no display,
    /// an X server lacking an extension, a broken connection.
    pub fn is_environmental(&self) -> bool {
        matches!(
            self,
            RecordError::Screen(_) | RecordError::Listen(_) | RecordError::Pointer { .. }
        )
    }
}
