//! The capture side of a recording: wait for the screen to change, capture
//! it, and hand over what really changed.
//!
//! The display reports the areas drawn on (DAMAGE); an application often
//! redraws what did not change (a terminal repainting a line, a clock its
//! face). The loop keeps a copy of the screen as last captured and compares
//! each damaged area with it, so that it hands over only the boxes around
//! pixels that differ, with their pixels: small for a clock or a caret,
//! however large the damage. A capture that changed nothing is not handed
//! over at all.
//!
//! Captures are at least [`MIN_CAPTURE_INTERVAL`] apart: a screen that
//! changes all the time (a video, a terminal printing without end) is
//! captured a hundred times a second rather than as fast as the server
//! can, and the damage in between adds up into the next capture.

#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use super::stats::Samples;
use super::timeline::{Area, Content};
use crate::frame::{Frame, FrameRef};
use crate::model::Rect;
use crate::screen::{Screen, ScreenError};

/// The shortest time between two captures.
pub const MIN_CAPTURE_INTERVAL: Duration = Duration::from_millis(10);

/// One capture, as handed to the recorder.
#[derive(Debug)]
pub(crate) struct Captured {
    /// Captures are numbered from 0, in order.
    pub seq: u64,
    /// The X server's time right after the pixels were read; `None` for a
    /// screen without a server clock.
    pub time: Option<u32>,
    /// The whole screen (the first capture) or the areas that changed.
    pub content: Content,
    /// The boxes around the pixels that changed (empty for the first).
    pub changed: Vec<Rect>,
}

/// What the loop measured.
#[derive(Debug, Default)]
pub(crate) struct CaptureStats {
    /// Captures handed over.
    pub captures: u64,
    /// Captures whose damage changed no pixel.
    pub unchanged: u64,
    /// From learning of a change to having its pixels in memory.
    pub latency: Samples,
    /// How long the capture itself took (request, pixels, server time).
    pub capture_time: Samples,
}

/// Captures a screen whenever it changes.
pub(crate) struct CaptureLoop<S> {
    screen: S,
    /// The screen as last captured (the fourth byte of each pixel 0xFF).
    mirror: Frame,
    seq: u64,
    last_capture: Instant,
    pub stats: CaptureStats,
}

impl<S: Screen> CaptureLoop<S> {
    /// Captures the whole screen once, to start from.
    pub(crate) fn start(mut screen: S) -> Result<(CaptureLoop<S>, Captured), ScreenError> {
        let began = Instant::now();
        let capture = screen.capture()?;
        let mirror = capture.frame.to_frame();
        let first = Captured {
            seq: 0,
            time: capture.server_time,
            content: Content::Full(mirror.clone()),
            changed: Vec::new(),
        };
        let mut stats = CaptureStats::default();
        stats.capture_time.push(began.elapsed());
        let lp = CaptureLoop {
            screen,
            mirror,
            seq: 0,
            last_capture: Instant::now(),
            stats,
        };
        Ok((lp, first))
    }

    /// Waits for the screen to change (at most `timeout`) and captures it.
    /// Returns `None` when nothing changed in time, or when the damage
    /// changed no pixel.
    pub(crate) fn next(&mut self, timeout: Duration) -> Result<Option<Captured>, ScreenError> {
        if self.screen.wait_for_change(timeout)?.is_none() {
            return Ok(None);
        }
        let woke = Instant::now();
        let since = woke.saturating_duration_since(self.last_capture);
        if let Some(rest) = MIN_CAPTURE_INTERVAL.checked_sub(since) {
            std::thread::sleep(rest);
        }

        let began = Instant::now();
        let capture = self.screen.capture()?;
        let done = Instant::now();
        self.last_capture = done;
        self.stats.capture_time.push(done - began);
        self.stats.latency.push(done - woke);

        let time = capture.server_time;
        let (areas, changed) = take_changes(&mut self.mirror, capture.frame, &capture.changed);
        if areas.is_empty() {
            self.stats.unchanged += 1;
            return Ok(None);
        }
        self.seq += 1;
        self.stats.captures += 1;
        Ok(Some(Captured {
            seq: self.seq,
            time,
            content: Content::Areas(areas),
            changed,
        }))
    }
}

/// For each damaged rectangle, the box around the pixels of `new` that
/// differ from `mirror` (the fourth byte ignored), copied out as an area
/// and into `mirror`. Returns the areas and their boxes.
fn take_changes(mirror: &mut Frame, new: FrameRef<'_>, damaged: &[Rect]) -> (Vec<Area>, Vec<Rect>) {
    let (width, height) = (mirror.width(), mirror.height());
    let mut areas = Vec::new();
    let mut boxes = Vec::new();
    for rect in damaged.iter().filter_map(|r| r.clip(width, height)) {
        let Some(b) = changed_box(mirror.data(), new.data, width, rect) else {
            continue;
        };
        let area = copy_area(new.data, width, b);
        super::timeline::apply(mirror, std::slice::from_ref(&area));
        boxes.push(b);
        areas.push(area);
    }
    (areas, boxes)
}

/// The box around the pixels inside `rect` whose colour differs between
/// two BGRX screens `width` pixels wide.
fn changed_box(old: &[u8], new: &[u8], width: u32, rect: Rect) -> Option<Rect> {
    let (x0, y0) = (rect.x as usize, rect.y as usize);
    let (w, h) = (rect.width as usize, rect.height as usize);
    let stride = width as usize * 4;
    let (mut left, mut right, mut top, mut bottom) = (usize::MAX, 0, usize::MAX, 0);
    for y in y0..y0 + h {
        let start = y * stride + x0 * 4;
        let a = &old[start..start + w * 4];
        let b = &new[start..start + w * 4];
        let differs = |i: &usize| a[i * 4..i * 4 + 3] != b[i * 4..i * 4 + 3];
        let Some(first) = (0..w).find(differs) else {
            continue;
        };
        let last = (first..w).rev().find(differs).unwrap_or(first);
        left = left.min(x0 + first);
        right = right.max(x0 + last + 1);
        top = top.min(y);
        bottom = y + 1;
    }
    (left < right).then(|| {
        Rect::new(
            left as i32,
            top as i32,
            (right - left) as u32,
            (bottom - top) as u32,
        )
    })
}

/// The pixels of `rect` out of a BGRX screen `width` pixels wide, with the
/// fourth byte set to 0xFF.
fn copy_area(data: &[u8], width: u32, rect: Rect) -> Area {
    let row = rect.width as usize * 4;
    let stride = width as usize * 4;
    let mut pixels = Vec::with_capacity(row * rect.height as usize);
    for y in rect.y as usize..(rect.y as usize + rect.height as usize) {
        let start = y * stride + rect.x as usize * 4;
        pixels.extend_from_slice(&data[start..start + row]);
    }
    for px in pixels.chunks_exact_mut(4) {
        px[3] = 0xFF;
    }
    Area { rect, pixels }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screen::FakeScreen;

    fn with_dot(base: u32, x: u32, y: u32, rgb: [u8; 3]) -> Frame {
        let (w, h) = (32, 16);
        let mut data = Frame::filled(w, h, base).into_data();
        let i = ((y * w + x) * 4) as usize;
        data[i..i + 3].copy_from_slice(&rgb);
        Frame::from_bgrx(w, h, data).unwrap()
    }

    #[test]
    fn only_pixels_that_changed_are_handed_over() {
        let fake = FakeScreen::new(Frame::filled(32, 16, 0x102030));
        let test = fake.clone();
        let (mut lp, first) = CaptureLoop::start(fake).unwrap();
        assert!(matches!(first.content, Content::Full(_)));
        assert_eq!(first.seq, 0);

        // The application redraws a large area, one pixel of it changed;
        // the spare byte of another pixel differs too, which is no change.
        let mut data = with_dot(0x102030, 5, 7, [1, 2, 3]).into_data();
        data[(2 * 32 + 2) * 4 + 3] = 0;
        let frame = Frame::from_bgrx(32, 16, data.clone()).unwrap();
        test.show_with(frame, vec![Rect::new(0, 0, 20, 10)]);
        let c = lp.next(Duration::from_secs(5)).unwrap().expect("a change");
        assert_eq!(c.seq, 1);
        assert_eq!(c.changed, [Rect::new(5, 7, 1, 1)]);
        let Content::Areas(areas) = &c.content else {
            panic!("areas expected")
        };
        assert_eq!(areas[0].pixels, [1, 2, 3, 0xFF]);

        // Damage over unchanged pixels is no capture at all.
        test.show_with(
            with_dot(0x102030, 5, 7, [1, 2, 3]),
            vec![Rect::new(0, 0, 32, 16)],
        );
        assert!(lp.next(Duration::from_secs(5)).unwrap().is_none());
        assert_eq!(lp.stats.unchanged, 1);
        assert!(lp.next(Duration::from_millis(20)).unwrap().is_none());
    }

    #[test]
    fn the_changed_box_spans_every_differing_pixel_of_the_damage() {
        let old = Frame::filled(8, 8, 0).into_data();
        let mut new = old.clone();
        for (x, y) in [(2usize, 3usize), (5, 1), (4, 6)] {
            new[(y * 8 + x) * 4 + 1] = 9;
        }
        let whole = Rect::new(0, 0, 8, 8);
        assert_eq!(
            changed_box(&old, &new, 8, whole),
            Some(Rect::new(2, 1, 4, 6))
        );
        assert_eq!(changed_box(&old, &new, 8, Rect::new(0, 4, 3, 4)), None);
    }
}
