//! The captures a recording may still need, and the screen as each showed
//! it.
//!
//! A step's frame is the last screen captured before its action's server
//! time. The recognizer emits actions late (a click waits for a second
//! click, text for the end of typing, motion for the pointer to rest), so
//! the captures those actions will need must be kept until they come out,
//! and nothing more: a 1080p screen is 8 MB, and an application playing
//! video changes it 60 times a second.
//!
//! So the timeline keeps one whole screen (the oldest capture it holds)
//! and, for each later capture, only the areas that changed. A capture is
//! dropped, its areas folded into the next one, once no action can still
//! pick it: no pending action starts between it and the next capture, and
//! no event still to arrive can (see [`Timeline::prune`]). A capture's
//! screen is put together only when a step takes it as its frame.

#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::time::Instant;

use crate::frame::Frame;
use crate::model::Rect;

/// A rectangle of pixels copied out of a capture: BGRX rows of
/// `rect.width` pixels, the fourth byte of each 0xFF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Area {
    pub rect: Rect,
    pub pixels: Vec<u8>,
}

/// What a capture brings: the whole screen, or the areas that changed
/// since the capture before it.
#[derive(Debug, Clone)]
pub(crate) enum Content {
    Full(Frame),
    Areas(Vec<Area>),
}

impl Content {
    fn bytes(&self) -> usize {
        match self {
            Content::Full(f) => f.data().len(),
            Content::Areas(areas) => areas.iter().map(|a| a.pixels.len()).sum(),
        }
    }
}

/// One capture held: its number, its server time, when it reached the
/// recorder, and its pixels.
#[derive(Debug)]
struct Entry {
    seq: u64,
    time: u64,
    arrived: Instant,
    content: Content,
}

/// A step's frame, as [`Timeline::frame_before`] finds it.
#[derive(Debug)]
pub(crate) struct Chosen {
    pub frame: Frame,
    /// No capture held is from before the time asked for: this is the
    /// oldest one held.
    pub early: bool,
}

/// The captures held, oldest first. The first always holds a whole
/// screen.
#[derive(Debug)]
pub(crate) struct Timeline {
    entries: VecDeque<Entry>,
    frame_bytes: usize,
    bytes: usize,
    peak_bytes: usize,
}

impl Timeline {
    /// A timeline holding one capture, the whole screen `frame`.
    pub(crate) fn new(seq: u64, time: u64, frame: Frame, arrived: Instant) -> Timeline {
        let frame_bytes = frame.data().len();
        let mut entries = VecDeque::new();
        entries.push_back(Entry {
            seq,
            time,
            arrived,
            content: Content::Full(frame),
        });
        Timeline {
            entries,
            frame_bytes,
            bytes: frame_bytes,
            peak_bytes: frame_bytes,
        }
    }

    /// Adds a capture taken after every capture held. A time earlier than
    /// the newest held (which a capture thread does not produce) is taken
    /// as the newest.
    pub(crate) fn push(&mut self, seq: u64, time: u64, content: Content, arrived: Instant) {
        let time = time.max(self.latest_time());
        self.bytes += content.bytes();
        self.peak_bytes = self.peak_bytes.max(self.bytes);
        self.entries.push_back(Entry {
            seq,
            time,
            arrived,
            content,
        });
    }

    /// The server time of the newest capture held.
    pub(crate) fn latest_time(&self) -> u64 {
        self.entries.back().map_or(0, |e| e.time)
    }

    /// The server time of the newest capture that arrived at or before
    /// `instant`, if any did.
    pub(crate) fn time_arrived_by(&self, instant: Instant) -> Option<u64> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.arrived <= instant)
            .map(|e| e.time)
    }

    /// How many captures are held.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Bytes of pixels held now.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The most bytes of pixels held at any time.
    pub(crate) fn peak_bytes(&self) -> usize {
        self.peak_bytes
    }

    /// The number of the last capture taken before server time `t`
    /// (strictly: a capture stamped `t` may have been taken after an event
    /// stamped `t`), or of the oldest held when none is before `t`.
    pub(crate) fn seq_before(&self, t: u64) -> u64 {
        self.entries[self.index_before(t).unwrap_or(0)].seq
    }

    /// The screen of the last capture taken before server time `t`, as
    /// [`seq_before`](Timeline::seq_before) finds it.
    pub(crate) fn frame_before(&self, t: u64) -> Chosen {
        let index = self.index_before(t);
        let k = index.unwrap_or(0);
        Chosen {
            frame: self.materialize(k),
            early: index.is_none(),
        }
    }

    fn index_before(&self, t: u64) -> Option<usize> {
        let after = self.entries.partition_point(|e| e.time < t);
        after.checked_sub(1)
    }

    /// The whole screen of entry `k`: the last whole screen at or before
    /// it, with the areas of the entries after that one applied in order.
    fn materialize(&self, k: usize) -> Frame {
        let full = (0..=k)
            .rev()
            .find(|&j| matches!(self.entries[j].content, Content::Full(_)))
            .expect("the first entry holds a whole screen");
        let Content::Full(frame) = &self.entries[full].content else {
            unreachable!("found as a whole screen")
        };
        let mut frame = frame.clone();
        for e in self.entries.range(full + 1..=k) {
            if let Content::Areas(areas) = &e.content {
                apply(&mut frame, areas);
            }
        }
        frame
    }

    /// Drops the captures no action can pick any more, keeping the newest.
    ///
    /// Capture `i` is the frame of an action starting at `s` exactly when
    /// `time[i] < s <= time[i + 1]`. It is dropped when no time of `needed`
    /// (the starts of actions pending or not yet written) lies there, and
    /// `time[i + 1] < horizon`, the earliest time an action not known yet
    /// can start at.
    ///
    /// When more than `budget` bytes are still held after that, captures
    /// are dropped from the oldest on regardless of the horizon (an event
    /// arriving very late then gets an older frame), but never one that
    /// `needed` names. Returns whether the timeline fits in `budget`.
    pub(crate) fn prune(&mut self, needed: &[u64], horizon: u64, budget: usize) -> bool {
        self.prune_where(needed, |next| next < horizon);
        if self.bytes > budget {
            self.prune_where(needed, |_| true);
        }
        self.bytes <= budget
    }

    fn prune_where(&mut self, needed: &[u64], settled: impl Fn(u64) -> bool) {
        let mut i = 0;
        while i + 1 < self.entries.len() {
            let (t, next) = (self.entries[i].time, self.entries[i + 1].time);
            let picked = needed.iter().any(|&s| t < s && s <= next);
            if !picked && settled(next) {
                self.drop_entry(i);
            } else {
                i += 1;
            }
        }
    }

    /// Removes entry `i`, folding its areas into the entry after it so that
    /// every later screen stays the same.
    fn drop_entry(&mut self, i: usize) {
        let removed = self.entries.remove(i).expect("i + 1 < len");
        self.bytes -= removed.content.bytes();
        let frame_bytes = self.frame_bytes;
        let next = &mut self.entries[i];
        let before = next.content.bytes();
        match (removed.content, &mut next.content) {
            // The next one is whole: nothing of this one is needed.
            (_, Content::Full(_)) => {}
            // This was the whole screen the next one's areas apply to.
            (Content::Full(mut frame), Content::Areas(areas)) => {
                apply(&mut frame, areas);
                next.content = Content::Full(frame);
            }
            (Content::Areas(mut earlier), Content::Areas(later)) => {
                earlier.append(later);
                *later = earlier;
            }
        }
        self.bytes = self.bytes - before + next.content.bytes();
        // Areas that pile up (a region redrawn again and again while an
        // old capture is kept) would grow without bound: past half a
        // screen, a whole screen is smaller.
        if next.content.bytes() > frame_bytes / 2 && matches!(next.content, Content::Areas(_)) {
            let frame = self.materialize(i);
            let next = &mut self.entries[i];
            self.bytes = self.bytes - next.content.bytes() + frame.data().len();
            next.content = Content::Full(frame);
        }
    }
}

/// Copies each area into `frame`, in order.
pub(crate) fn apply(frame: &mut Frame, areas: &[Area]) {
    let width = frame.width() as usize;
    let data = frame.data_mut();
    for area in areas {
        let row = area.rect.width as usize * 4;
        let (x, y) = (area.rect.x as usize, area.rect.y as usize);
        for (r, src) in area.pixels.chunks_exact(row).enumerate() {
            let start = ((y + r) * width + x) * 4;
            data[start..start + row].copy_from_slice(src);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const W: u32 = 8;
    const H: u32 = 4;

    /// An area of one pixel at (x, y) of colour `v`.
    fn dot(x: i32, y: i32, v: u8) -> Area {
        Area {
            rect: Rect::new(x, y, 1, 1),
            pixels: vec![v, v, v, 0xFF],
        }
    }

    fn pixel(frame: &Frame, x: usize, y: usize) -> u8 {
        frame.data()[(y * W as usize + x) * 4]
    }

    /// A timeline of captures 0 (black, at 100), then one dot each: capture
    /// n at time 100 + 10 n sets pixel (n, 0) to n.
    fn timeline(captures: u64, t0: Instant) -> Timeline {
        let mut tl = Timeline::new(0, 100, Frame::filled(W, H, 0), t0);
        for n in 1..=captures {
            let areas = vec![dot(n as i32, 0, n as u8)];
            tl.push(n, 100 + 10 * n, Content::Areas(areas), t0);
        }
        tl
    }

    #[test]
    fn a_frame_is_the_last_capture_strictly_before_the_time() {
        let tl = timeline(3, Instant::now());
        assert_eq!(tl.seq_before(125), 2);
        assert_eq!(tl.seq_before(120), 1, "a capture stamped 120 may be after");
        let chosen = tl.frame_before(125);
        assert!(!chosen.early);
        assert_eq!(pixel(&chosen.frame, 1, 0), 1);
        assert_eq!(pixel(&chosen.frame, 2, 0), 2);
        assert_eq!(pixel(&chosen.frame, 3, 0), 0, "not yet captured then");
        let early = tl.frame_before(50);
        assert!(early.early);
        assert_eq!(pixel(&early.frame, 1, 0), 0);
    }

    #[test]
    fn pruning_keeps_what_pending_actions_need_and_the_same_screens() {
        let t0 = Instant::now();
        let mut tl = timeline(5, t0);
        let before: Vec<Frame> = [125, 145, 1000]
            .iter()
            .map(|&t| tl.frame_before(t).frame)
            .collect();
        // Actions pending from 125 and 145; everything settled up to 200.
        assert!(tl.prune(&[125, 145], 200, usize::MAX));
        assert_eq!(tl.len(), 3, "captures 2, 4 and the newest, 5");
        for (t, frame) in [125, 145, 1000].iter().zip(&before) {
            assert_eq!(&tl.frame_before(*t).frame, frame, "the screen before {t}");
        }
        assert_eq!(tl.seq_before(125), 2);
        assert_eq!(tl.seq_before(145), 4);
    }

    #[test]
    fn captures_an_event_still_in_flight_may_need_are_kept() {
        let t0 = Instant::now();
        let mut tl = timeline(4, t0);
        // Nothing pending, but events up to 125 only are known: one still
        // to come may start anywhere from 125 on, and need capture 2 (120)
        // or any later one.
        tl.prune(&[], 125, usize::MAX);
        let kept: Vec<u64> = tl.entries.iter().map(|e| e.seq).collect();
        assert_eq!(kept, [2, 3, 4]);
        // Once everything is known, only the newest stays.
        tl.prune(&[], u64::MAX, usize::MAX);
        assert_eq!(tl.len(), 1);
        assert_eq!(tl.seq_before(u64::MAX), 4);
        assert!(matches!(tl.entries[0].content, Content::Full(_)));
        assert_eq!(tl.bytes(), (W * H * 4) as usize);
    }

    #[test]
    fn areas_piling_up_behind_a_kept_capture_become_one_screen() {
        let t0 = Instant::now();
        let mut tl = Timeline::new(0, 100, Frame::filled(W, H, 0), t0);
        // The whole top half redrawn again and again.
        let half = |v: u8| Area {
            rect: Rect::new(0, 0, W, H / 2),
            pixels: [v, v, v, 0xFF].repeat((W * H / 2) as usize),
        };
        for n in 1..=20u64 {
            tl.push(n, 100 + n, Content::Areas(vec![half(n as u8)]), t0);
            // An action pending since 101 keeps capture 0.
            tl.prune(&[101], u64::MAX, usize::MAX);
        }
        assert_eq!(tl.len(), 2);
        assert!(tl.bytes() <= 2 * (W * H * 4) as usize, "{}", tl.bytes());
        assert_eq!(pixel(&tl.frame_before(1000).frame, 0, 0), 20);
        assert_eq!(pixel(&tl.frame_before(101).frame, 0, 0), 0);
    }

    #[test]
    fn over_budget_the_oldest_unneeded_captures_go_first() {
        let t0 = Instant::now();
        let mut tl = timeline(6, t0);
        // Nothing is settled (horizon 0), but nothing fits either: every
        // capture no pending action names goes.
        assert!(!tl.prune(&[115, 125, 135], 0, 0), "needed captures stay");
        let kept: Vec<u64> = tl.entries.iter().map(|e| e.seq).collect();
        assert_eq!(kept, [1, 2, 3, 6]);
        assert_eq!(pixel(&tl.frame_before(135).frame, 3, 0), 3);
        let mut tl = timeline(6, t0);
        assert!(tl.prune(&[], 0, (W * H * 4) as usize));
        assert_eq!(tl.len(), 1);
    }

    #[test]
    fn the_arrival_horizon_is_the_newest_capture_that_arrived_in_time() {
        let t0 = Instant::now();
        let mut tl = Timeline::new(0, 100, Frame::filled(W, H, 0), t0);
        let later = t0 + Duration::from_millis(300);
        tl.push(1, 150, Content::Areas(vec![dot(0, 0, 1)]), later);
        assert_eq!(tl.time_arrived_by(t0), Some(100));
        assert_eq!(tl.time_arrived_by(later), Some(150));
        assert_eq!(tl.time_arrived_by(t0 - Duration::from_millis(1)), None);
    }
}
