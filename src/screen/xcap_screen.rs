//! Capture through the `xcap` crate (cargo feature `xcap`), for desktops
//! where [`X11Screen`](super::X11Screen) cannot capture, such as a Wayland
//! session.
//!
//! It is slower than X11 capture (xcap opens new connections for every
//! capture and converts to RGBA, which is converted back here), and it has
//! no DAMAGE: [`wait_for_change`](Screen::wait_for_change) captures at a
//! fixed interval and compares, and the changed area it reports is one box
//! around every pixel that differs. xcap picks the desktop from the
//! environment (`WAYLAND_DISPLAY`, `DISPLAY`); it cannot be pointed at a
//! display by name.

#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use super::{Capture, Screen, ScreenError, changed_box};
use crate::frame::{FrameRef, PixelLayout};
use crate::model::{Rect, ScreenGeometry};

/// How often a wait captures to look for a change, by default.
const DEFAULT_INTERVAL: Duration = Duration::from_millis(50);

/// The primary monitor of the desktop, captured through xcap.
pub struct XcapScreen {
    monitor: xcap::Monitor,
    geometry: ScreenGeometry,
    interval: Duration,
    /// The last capture, BGRX; empty before the first.
    current: Vec<u8>,
    /// A newer image a wait found, not yet handed out by a capture.
    newer: Option<Vec<u8>>,
    /// Changes found by waits since the last capture.
    pending: Vec<Rect>,
}

impl XcapScreen {
    /// Opens the primary monitor (the first one when none is marked
    /// primary). Waits look for changes every 50 ms.
    ///
    /// # Errors
    ///
    /// When xcap finds no monitor or cannot read its size.
    pub fn open_primary() -> Result<XcapScreen, ScreenError> {
        let monitors = xcap::Monitor::all().map_err(xcap_error("listing monitors"))?;
        let primary = monitors
            .iter()
            .position(|m| m.is_primary().unwrap_or(false))
            .unwrap_or(0);
        let Some(monitor) = monitors.into_iter().nth(primary) else {
            return Err(ScreenError::Xcap {
                during: "listing monitors",
                source: Box::new(xcap::XCapError::new("no monitor found")),
            });
        };
        let width = monitor.width().map_err(xcap_error("reading the size"))?;
        let height = monitor.height().map_err(xcap_error("reading the size"))?;
        Ok(XcapScreen {
            monitor,
            // xcap hands out 8-bit RGBA whatever the desktop's depth.
            geometry: ScreenGeometry {
                width,
                height,
                depth: 24,
            },
            interval: DEFAULT_INTERVAL,
            current: Vec::new(),
            newer: None,
            pending: Vec::new(),
        })
    }

    /// Sets how often a wait captures to look for a change.
    pub fn set_interval(&mut self, interval: Duration) {
        self.interval = interval;
    }

    /// One image of the monitor, as BGRX.
    fn grab(&self) -> Result<Vec<u8>, ScreenError> {
        let image = self
            .monitor
            .capture_image()
            .map_err(xcap_error("capturing"))?;
        let (width, height) = image.dimensions();
        if (width, height) != (self.geometry.width, self.geometry.height) {
            return Err(ScreenError::GeometryChanged {
                display: "xcap".into(),
                expected_width: self.geometry.width,
                expected_height: self.geometry.height,
                found_width: width,
                found_height: height,
            });
        }
        let mut data = image.into_raw();
        for px in data.chunks_exact_mut(4) {
            px.swap(0, 2);
        }
        Ok(data)
    }
}

impl Screen for XcapScreen {
    fn geometry(&self) -> ScreenGeometry {
        self.geometry
    }

    fn capture(&mut self) -> Result<Capture<'_>, ScreenError> {
        let image = self.grab()?;
        let mut changed = std::mem::take(&mut self.pending);
        if self.current.is_empty() {
            changed = vec![Rect::new(0, 0, self.geometry.width, self.geometry.height)];
        } else {
            // Against what the last wait saw, if it saw something newer.
            let seen = self.newer.take().unwrap_or_else(|| self.current.clone());
            changed.extend(changed_box(self.geometry.width, &seen, &image));
        }
        self.current = image;
        let frame = FrameRef::new(
            self.geometry.width,
            self.geometry.height,
            PixelLayout::Bgrx,
            &self.current,
        )
        .map_err(|e| ScreenError::UnsupportedFormat {
            display: "xcap".into(),
            found: e.to_string(),
        })?;
        Ok(Capture {
            frame,
            changed,
            server_time: None,
        })
    }

    fn wait_for_change(&mut self, timeout: Duration) -> Result<Option<Vec<Rect>>, ScreenError> {
        if self.current.is_empty() {
            return Ok(Some(vec![Rect::new(
                0,
                0,
                self.geometry.width,
                self.geometry.height,
            )]));
        }
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let image = self.grab()?;
            let seen = self.newer.as_ref().unwrap_or(&self.current);
            if let Some(area) = changed_box(self.geometry.width, seen, &image) {
                self.pending.push(area);
                self.newer = Some(image);
            }
            if !self.pending.is_empty() {
                return Ok(Some(self.pending.clone()));
            }
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => self.interval,
            };
            if left.is_zero() {
                return Ok(None);
            }
            std::thread::sleep(left.min(self.interval));
        }
    }
}

impl std::fmt::Debug for XcapScreen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XcapScreen")
            .field("geometry", &self.geometry)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

fn xcap_error(during: &'static str) -> impl Fn(xcap::XCapError) -> ScreenError {
    move |source| ScreenError::Xcap {
        during,
        source: Box::new(source),
    }
}
