//! A scripted screen for the engines' unit tests: [`FakeScreen`].

#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Capture, Screen, ScreenError, changed_box};
use crate::frame::{Frame, PixelLayout};
use crate::model::{Rect, ScreenGeometry};

/// A scripted screen for the engines' unit tests.
///
/// It shows one frame at a time. A test changes it at once
/// ([`show`](FakeScreen::show), as an application drawing would; a fake
/// input device can call it when an action is injected) or queues frames
/// that appear one by one whenever the engine waits for a change
/// ([`then`](FakeScreen::then)). Clones share the screen, so the test keeps
/// a handle while the engine owns another. Waiting follows the rules of
/// the X11 screen: changes since the last capture are returned at once,
/// otherwise the wait blocks (really, up to its timeout) until a frame is
/// shown.
///
/// ```
/// use std::time::Duration;
/// use trajectory::Frame;
/// use trajectory::model::Rect;
/// use trajectory::screen::{FakeScreen, Screen};
///
/// let mut screen = FakeScreen::new(Frame::filled(4, 4, 0x000000));
/// let test = screen.clone();
/// screen.capture().unwrap();
///
/// // The application draws a white pixel at (2, 1).
/// let mut data = Frame::filled(4, 4, 0x000000).into_data();
/// data[(4 + 2) * 4..][..3].copy_from_slice(&[0xff; 3]);
/// test.show(Frame::from_bgrx(4, 4, data).unwrap());
///
/// let changed = screen.wait_for_change(Duration::from_secs(1)).unwrap();
/// assert_eq!(changed, Some(vec![Rect::new(2, 1, 1, 1)]));
/// assert_eq!(screen.capture().unwrap().frame.data[(4 + 2) * 4], 0xff);
/// ```
#[derive(Clone)]
pub struct FakeScreen {
    shared: Arc<Shared>,
    geometry: ScreenGeometry,
    /// This handle's last capture, which the returned view borrows.
    captured: Option<Frame>,
}

struct Shared {
    state: Mutex<FakeState>,
    shown: Condvar,
}

struct FakeState {
    current: Frame,
    pending: Vec<Rect>,
    queue: VecDeque<(Frame, Option<Vec<Rect>>)>,
    captures: usize,
    waits: usize,
}

impl FakeScreen {
    /// A depth-24 screen the size of `first`, showing it. Frames are kept
    /// as BGRX whatever layout they come in.
    pub fn new(first: Frame) -> FakeScreen {
        let first = to_bgrx(first);
        let geometry = ScreenGeometry {
            width: first.width(),
            height: first.height(),
            depth: 24,
        };
        let pending = vec![Rect::new(0, 0, geometry.width, geometry.height)];
        FakeScreen {
            shared: Arc::new(Shared {
                state: Mutex::new(FakeState {
                    current: first,
                    pending,
                    queue: VecDeque::new(),
                    captures: 0,
                    waits: 0,
                }),
                shown: Condvar::new(),
            }),
            geometry,
            captured: None,
        }
    }

    /// Shows `frame` now and wakes a waiting engine. The changed area is
    /// the box around the pixels that differ; nothing changes when none
    /// does. A frame of another size stands for a resized screen: captures
    /// fail from then on.
    pub fn show(&self, frame: Frame) {
        let mut state = self.lock();
        state.apply(to_bgrx(frame), None);
        drop(state);
        self.shared.shown.notify_all();
    }

    /// Shows `frame` now, reporting exactly `changed` as the changed areas
    /// (for tests of how engines use them).
    pub fn show_with(&self, frame: Frame, changed: Vec<Rect>) {
        let mut state = self.lock();
        state.apply(to_bgrx(frame), Some(changed));
        drop(state);
        self.shared.shown.notify_all();
    }

    /// Queues `frame`: it is shown when the screen is waited on with no
    /// change pending, one queued frame per wait, in order.
    pub fn then(&self, frame: Frame) -> &FakeScreen {
        self.lock().queue.push_back((to_bgrx(frame), None));
        self
    }

    /// How many captures were taken, through any handle.
    pub fn captures(&self) -> usize {
        self.lock().captures
    }

    /// How many times the screen was waited on, through any handle.
    pub fn waits(&self) -> usize {
        self.lock().waits
    }

    /// How many queued frames were not shown yet.
    pub fn queued(&self) -> usize {
        self.lock().queue.len()
    }

    fn lock(&self) -> MutexGuard<'_, FakeState> {
        // A test that panicked while holding the lock has failed already;
        // the state itself is still consistent.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl FakeState {
    fn apply(&mut self, frame: Frame, changed: Option<Vec<Rect>>) {
        let changed =
            changed.unwrap_or_else(|| difference(&self.current, &frame).into_iter().collect());
        self.pending.extend(changed);
        self.current = frame;
    }
}

impl Screen for FakeScreen {
    fn geometry(&self) -> ScreenGeometry {
        self.geometry
    }

    fn capture(&mut self) -> Result<Capture<'_>, ScreenError> {
        let mut state = self.lock();
        state.captures += 1;
        let (width, height) = (state.current.width(), state.current.height());
        if (width, height) != (self.geometry.width, self.geometry.height) {
            return Err(ScreenError::GeometryChanged {
                display: "fake".into(),
                expected_width: self.geometry.width,
                expected_height: self.geometry.height,
                found_width: width,
                found_height: height,
            });
        }
        let changed = std::mem::take(&mut state.pending);
        let frame = state.current.clone();
        drop(state);
        let frame = self.captured.insert(frame).as_ref();
        Ok(Capture {
            frame,
            changed,
            server_time: None,
        })
    }

    fn wait_for_change(&mut self, timeout: Duration) -> Result<Option<Vec<Rect>>, ScreenError> {
        let deadline = Instant::now().checked_add(timeout);
        let mut state = self.lock();
        state.waits += 1;
        if state.pending.is_empty()
            && let Some((frame, changed)) = state.queue.pop_front()
        {
            state.apply(frame, changed);
        }
        while state.pending.is_empty() {
            let left = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return Ok(None),
                },
                None => Duration::from_secs(3600),
            };
            state = self
                .shared
                .shown
                .wait_timeout(state, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        Ok(Some(state.pending.clone()))
    }
}

impl std::fmt::Debug for FakeScreen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeScreen")
            .field("geometry", &self.geometry)
            .finish_non_exhaustive()
    }
}

fn to_bgrx(frame: Frame) -> Frame {
    match frame.layout() {
        PixelLayout::Bgrx => frame,
        PixelLayout::Rgba => {
            let (w, h) = (frame.width(), frame.height());
            let mut data = frame.into_data();
            for px in data.chunks_exact_mut(4) {
                px.swap(0, 2);
            }
            Frame::from_bgrx(w, h, data).expect("the size is unchanged")
        }
    }
}

/// The box around the pixels that differ between two BGRX frames; the
/// whole new frame when the sizes differ.
fn difference(old: &Frame, new: &Frame) -> Option<Rect> {
    if (old.width(), old.height()) != (new.width(), new.height()) {
        return Some(Rect::new(0, 0, new.width(), new.height()));
    }
    changed_box(new.width(), old.data(), new.data())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(level: u8) -> Frame {
        Frame::filled(4, 3, u32::from_be_bytes([0, level, level, level]))
    }

    #[test]
    fn the_first_capture_reports_the_whole_screen_and_the_next_nothing() {
        let mut screen = FakeScreen::new(grey(0));
        assert_eq!(
            screen.capture().unwrap().changed,
            vec![Rect::new(0, 0, 4, 3)]
        );
        assert!(screen.capture().unwrap().changed.is_empty());
        assert_eq!(screen.captures(), 2);
    }

    #[test]
    fn a_shown_frame_is_reported_once_with_the_box_that_changed() {
        let mut screen = FakeScreen::new(grey(0));
        screen.capture().unwrap();
        let mut data = grey(0).into_data();
        data[(4 + 1) * 4] = 9; // pixel (1, 1)
        data[(2 * 4 + 2) * 4 + 1] = 9; // pixel (2, 2)
        screen.show(Frame::from_bgrx(4, 3, data).unwrap());
        let expected = Rect::new(1, 1, 2, 2);
        let waited = screen.wait_for_change(Duration::ZERO).unwrap();
        assert_eq!(waited, Some(vec![expected]));
        let capture = screen.capture().unwrap();
        assert_eq!(capture.changed, vec![expected]);
        assert_eq!(capture.frame.data[(4 + 1) * 4], 9);
        assert_eq!(
            screen.wait_for_change(Duration::from_millis(5)).unwrap(),
            None
        );
    }

    #[test]
    fn queued_frames_appear_one_per_wait() {
        let mut screen = FakeScreen::new(grey(0));
        screen.then(grey(1)).then(grey(2));
        screen.capture().unwrap();
        assert!(screen.wait_for_change(Duration::ZERO).unwrap().is_some());
        assert_eq!(screen.capture().unwrap().frame.data[0], 1);
        assert!(screen.wait_for_change(Duration::ZERO).unwrap().is_some());
        assert_eq!(screen.capture().unwrap().frame.data[0], 2);
        assert_eq!(screen.queued(), 0);
        assert_eq!(screen.waits(), 2);
    }

    #[test]
    fn a_wait_wakes_when_another_handle_shows_a_frame() {
        let mut screen = FakeScreen::new(grey(0));
        screen.capture().unwrap();
        let painter = screen.clone();
        let thread = std::thread::spawn(move || {
            while painter.waits() == 0 {
                std::thread::yield_now();
            }
            painter.show(grey(7));
        });
        let changed = screen.wait_for_change(Duration::from_secs(60)).unwrap();
        thread.join().unwrap();
        assert_eq!(changed, Some(vec![Rect::new(0, 0, 4, 3)]));
    }

    #[test]
    fn a_frame_of_another_size_fails_the_next_capture() {
        let mut screen = FakeScreen::new(grey(0));
        screen.show(Frame::filled(2, 2, 0));
        let err = screen.capture().unwrap_err();
        assert!(err.to_string().contains("from 4x3 to 2x2"), "{err}");
    }

    #[test]
    fn rgba_frames_are_served_as_bgrx() {
        let rgba = Frame::from_rgba(1, 1, vec![10, 20, 30, 255]).unwrap();
        let mut screen = FakeScreen::new(rgba);
        let capture = screen.capture().unwrap();
        assert_eq!(capture.frame.layout, PixelLayout::Bgrx);
        assert_eq!(capture.frame.data, &[30, 20, 10, 255]);
    }
}
