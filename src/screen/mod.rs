//! Capturing the screen and waiting for it to change.
//!
//! The recorder and the replayer are written against the [`Screen`] trait:
//! [`X11Screen`] is the real thing (MIT-SHM capture of the root window, the
//! DAMAGE extension to learn what changed), [`FakeScreen`] serves scripted
//! frames to the engines' unit tests. [`probe`] reads what a trajectory's
//! header records about the display (geometry, DPI, keyboard layout, window
//! manager).
//!
//! # Captures and changes
//!
//! A [`Capture`] borrows the screen's buffer: it is valid until the next
//! capture and costs no copy. Along with the pixels it says which areas
//! changed since the previous capture. [`Screen::wait_for_change`] blocks
//! until something changed since the last capture, or a timeout passes.
//!
//! The two are ordered so that no change is lost and none is reported
//! twice: a capture first takes (and clears) the set of changed areas, then
//! reads the pixels. A change made before a capture is in its pixels and in
//! its `changed` list, and is not reported again. A change made after the
//! set was taken is reported by the next wait and the next capture, even
//! when it made it into this capture's pixels as well: at worst a change is
//! reported once more than needed, never missed.
//!
//! ```no_run
//! use std::time::Duration;
//! use trajectory::screen::{Screen, X11Screen};
//!
//! # fn main() -> Result<(), trajectory::screen::ScreenError> {
//! let mut screen = X11Screen::open(None)?;
//! let first = screen.capture()?;
//! println!("{}x{}", first.frame.width, first.frame.height);
//! if let Some(areas) = screen.wait_for_change(Duration::from_secs(5))? {
//!     println!("{} areas changed", areas.len());
//!     let next = screen.capture()?;
//!     assert!(!next.changed.is_empty());
//! }
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use crate::frame::FrameRef;
use crate::model::{Rect, ScreenGeometry};

mod environment;
mod error;
mod fake;
mod format;
pub(crate) mod poll;
mod shm;
mod x11;
#[cfg(feature = "xcap")]
mod xcap_screen;

pub use environment::{Environment, probe, probe_connection};
pub use error::ScreenError;
pub use fake::FakeScreen;
pub use x11::{CaptureMethod, X11Screen};
#[cfg(feature = "xcap")]
pub use xcap_screen::XcapScreen;

/// A screen that can be captured and watched for changes.
pub trait Screen {
    /// Size and depth of the screen, as it was when it was opened.
    fn geometry(&self) -> ScreenGeometry;

    /// Reads the whole screen.
    ///
    /// The pixels are BGRX (the fourth byte may hold anything) and stay
    /// valid until the next capture. The capture also takes the set of
    /// areas that changed since the previous one, so a following
    /// [`wait_for_change`](Screen::wait_for_change) waits for new changes
    /// only.
    ///
    /// # Errors
    ///
    /// When the screen cannot be read: the connection to the display broke,
    /// or the screen's geometry changed since it was opened.
    fn capture(&mut self) -> Result<Capture<'_>, ScreenError>;

    /// Waits until the screen changed since the last capture, for at most
    /// `timeout`.
    ///
    /// Returns the areas changed so far (at once, if the screen already
    /// changed since the last capture), or `None` when `timeout` passed
    /// without a change. The areas stay pending: the next capture reports
    /// them too.
    ///
    /// # Errors
    ///
    /// When the display cannot be watched any more (the connection broke,
    /// the geometry changed).
    fn wait_for_change(&mut self, timeout: Duration) -> Result<Option<Vec<Rect>>, ScreenError>;
}

/// One capture of the screen.
#[derive(Debug, Clone)]
pub struct Capture<'a> {
    /// The screen's pixels, BGRX, valid until the next capture.
    pub frame: FrameRef<'a>,
    /// Areas that changed since the previous capture, as the display
    /// reported them; the whole screen for the first capture. The areas
    /// do not overlap, but may cover pixels that changed and changed back.
    pub changed: Vec<Rect>,
    /// The X server's time, in milliseconds, right after the pixels were
    /// read: an input event with a later server timestamp happened after
    /// this capture; one with the same timestamp may be on either side.
    /// `None` for screens that do not run on an X server's clock.
    pub server_time: Option<u32>,
}

/// The box around the pixels that differ between two BGRX images of the
/// same size, `width` pixels a row (the spare bytes ignored); `None` when
/// none does. For screens that learn about changes by comparing captures.
pub(crate) fn changed_box(width: u32, old: &[u8], new: &[u8]) -> Option<Rect> {
    let width = width as usize;
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    let pixels = old.chunks_exact(4).zip(new.chunks_exact(4));
    for (i, (a, b)) in pixels.enumerate() {
        if a[..3] != b[..3] {
            let (x, y) = (i % width, i / width);
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x + 1);
            y1 = y1.max(y + 1);
        }
    }
    (x0 < x1).then(|| Rect::new(x0 as i32, y0 as i32, (x1 - x0) as u32, (y1 - y0) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_changed_box_bounds_every_differing_pixel_and_ignores_spare_bytes() {
        let old = vec![0u8; 5 * 4 * 4];
        let mut new = old.clone();
        new[(5 + 1) * 4 + 2] = 1; // (1, 1), red
        new[(3 * 5 + 3) * 4] = 1; // (3, 3), blue
        new[(2 * 5 + 4) * 4 + 3] = 1; // (4, 2), spare byte only
        assert_eq!(changed_box(5, &old, &new), Some(Rect::new(1, 1, 3, 3)));
        assert_eq!(changed_box(5, &old, &old), None);
    }

    #[test]
    fn screens_can_move_to_a_capture_thread() {
        fn send<T: Send>() {}
        send::<X11Screen>();
        send::<FakeScreen>();
        send::<Box<dyn Screen + Send>>();
    }
}
