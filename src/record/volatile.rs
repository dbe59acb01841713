//! Finding the parts of the screen that change on their own (a clock, a
//! blinking caret, a spinner), to propose them as masks.
//!
//! Every capture reports the areas whose pixels really changed. A change is
//! *quiet* when no input event happened in the [`QUIET_AFTER_INPUT`] before
//! it: nothing the person did can have caused it. Areas that change only in
//! answer to input (text echoed as it is typed, a calculator's display
//! after a click, a button highlighted under the pointer) change within
//! moments of an event, and are never proposed.
//!
//! A wrong mask hides real failures, so a place is proposed only when it
//! changed quietly at least [`MIN_QUIET_CHANGES`] times, in at least
//! [`MIN_QUIET_PERIODS`] separate quiet periods (periods between input
//! events): a program that keeps drawing for a while after one click (a
//! progress bar, a window fading in) changes quietly, but in one period
//! only. The screen is tracked in cells of [`CELL`] pixels; each cell
//! remembers the box its quiet changes covered, and neighbouring cells
//! that qualify make one proposed mask, the box around their changes.

#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::model::{ProposedMask, Rect};

/// A change this long after the last input event counts as quiet.
pub const QUIET_AFTER_INPUT: Duration = Duration::from_millis(1000);

/// Quiet changes a place needs before it is proposed as a mask.
pub const MIN_QUIET_CHANGES: u32 = 3;

/// Separate quiet periods a place must have changed in.
pub const MIN_QUIET_PERIODS: u32 = 2;

/// Side of the cells the screen is tracked in, in pixels.
pub const CELL: u32 = 16;

/// How far behind the newest event input events are remembered, in
/// server milliseconds.
const KEEP_INPUTS_MS: u64 = 60_000;

/// A change waiting until the input events around it are known.
#[derive(Debug)]
struct Change {
    time: u64,
    areas: Vec<Rect>,
    arrived: Instant,
}

/// What is known of one cell.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    quiet: u32,
    periods: u32,
    /// The quiet period (number of input events before it, plus one) of
    /// the last quiet change; 0 for none.
    last_period: u64,
    /// The capture that last counted here, so that a capture counts once.
    last_change: u64,
    /// The box the quiet changes covered: x0, y0, x1, y1 (exclusive).
    bounds: Option<(u32, u32, u32, u32)>,
}

/// Tells the places that change on their own from those that answer input.
#[derive(Debug)]
pub(crate) struct Volatility {
    width: u32,
    height: u32,
    cols: u32,
    cells: Vec<Cell>,
    /// Server times of recent input events, oldest first.
    inputs: VecDeque<u64>,
    /// Input events before the oldest in `inputs`.
    inputs_dropped: u64,
    waiting: VecDeque<Change>,
    changes: u64,
    quiet_ms: u64,
}

impl Volatility {
    /// Tracks a `width` x `height` screen.
    pub(crate) fn new(width: u32, height: u32) -> Volatility {
        let cols = width.div_ceil(CELL);
        let rows = height.div_ceil(CELL);
        Volatility {
            width,
            height,
            cols,
            cells: vec![Cell::default(); (cols * rows) as usize],
            inputs: VecDeque::new(),
            inputs_dropped: 0,
            waiting: VecDeque::new(),
            changes: 0,
            quiet_ms: QUIET_AFTER_INPUT.as_millis() as u64,
        }
    }

    /// An input event happened at server time `t`. Events come in order.
    pub(crate) fn input(&mut self, t: u64) {
        self.inputs.push_back(t);
    }

    /// The areas changed in a capture at server time `time`, which reached
    /// the recorder at `arrived`. They are judged once the events before
    /// them are known (see [`settle`](Volatility::settle)).
    pub(crate) fn change(&mut self, time: u64, areas: Vec<Rect>, arrived: Instant) {
        if !areas.is_empty() {
            self.waiting.push_back(Change {
                time,
                areas,
                arrived,
            });
        }
    }

    /// Judges the changes whose preceding events are all known: those at
    /// or before `known`, the time of the newest event received, and
    /// those that arrived at or before `arrived_by` (an event before them
    /// would have been received by now).
    pub(crate) fn settle(&mut self, known: u64, arrived_by: Instant) {
        while let Some(c) = self.waiting.front() {
            if c.time > known && c.arrived > arrived_by {
                break;
            }
            let c = self.waiting.pop_front().expect("just seen");
            self.judge(&c);
        }
        self.forget_inputs(known);
    }

    /// Judges every change still waiting: the recording ended and every
    /// event is known.
    pub(crate) fn settle_all(&mut self) {
        while let Some(c) = self.waiting.pop_front() {
            self.judge(&c);
        }
    }

    /// Input events older than any change can look back at are dropped;
    /// only their number is kept, to tell quiet periods apart. A change
    /// not received yet may be older than the newest event (`known`), so
    /// a minute of events behind that stays.
    fn forget_inputs(&mut self, known: u64) {
        let oldest_needed = self
            .waiting
            .front()
            .map_or(u64::MAX, |c| c.time)
            .min(known.saturating_sub(KEEP_INPUTS_MS))
            .saturating_sub(self.quiet_ms);
        // Keep the last one before that: it ends the quiet period.
        while self.inputs.len() > 1 && self.inputs[1] < oldest_needed {
            self.inputs.pop_front();
            self.inputs_dropped += 1;
        }
    }

    fn judge(&mut self, c: &Change) {
        self.changes += 1;
        // Input events at or before the change.
        let before = self.inputs.partition_point(|&t| t <= c.time);
        let last_input = before.checked_sub(1).map(|i| self.inputs[i]);
        let quiet = match last_input {
            Some(t) => c.time.saturating_sub(t) >= self.quiet_ms,
            // Before every event still known: quiet only if none was ever
            // dropped (a change arriving a minute late is not judged).
            None => self.inputs_dropped == 0,
        };
        if !quiet {
            return;
        }
        let period = self.inputs_dropped + before as u64 + 1;
        let stamp = self.changes;
        for area in &c.areas {
            let Some(r) = area.clip(self.width, self.height) else {
                continue;
            };
            let (x0, y0) = (r.x as u32, r.y as u32);
            let (x1, y1) = (x0 + r.width, y0 + r.height);
            for row in y0 / CELL..y1.div_ceil(CELL) {
                for col in x0 / CELL..x1.div_ceil(CELL) {
                    let cell = &mut self.cells[(row * self.cols + col) as usize];
                    // The part of the area inside this cell.
                    let part = (
                        x0.max(col * CELL),
                        y0.max(row * CELL),
                        x1.min((col + 1) * CELL),
                        y1.min((row + 1) * CELL),
                    );
                    cell.bounds = Some(match cell.bounds {
                        Some(b) => (
                            b.0.min(part.0),
                            b.1.min(part.1),
                            b.2.max(part.2),
                            b.3.max(part.3),
                        ),
                        None => part,
                    });
                    if cell.last_change == stamp {
                        continue;
                    }
                    cell.last_change = stamp;
                    cell.quiet += 1;
                    if cell.last_period != period {
                        cell.last_period = period;
                        cell.periods += 1;
                    }
                }
            }
        }
    }

    /// The masks to propose: the boxes around groups of neighbouring cells
    /// that changed quietly often enough, largest count of changes first.
    pub(crate) fn proposals(&self) -> Vec<ProposedMask> {
        let qualifies = |c: &Cell| c.quiet >= MIN_QUIET_CHANGES && c.periods >= MIN_QUIET_PERIODS;
        let mut seen = vec![false; self.cells.len()];
        let mut masks = Vec::new();
        let rows = self.cells.len() as u32 / self.cols.max(1);
        for start in 0..self.cells.len() {
            if seen[start] || !qualifies(&self.cells[start]) {
                continue;
            }
            // Flood the group of qualifying cells that touch this one.
            seen[start] = true;
            let mut stack = vec![start];
            let mut bounds = (u32::MAX, u32::MAX, 0, 0);
            let mut changes = 0;
            while let Some(i) = stack.pop() {
                let cell = &self.cells[i];
                if let Some(b) = cell.bounds {
                    bounds = (
                        bounds.0.min(b.0),
                        bounds.1.min(b.1),
                        bounds.2.max(b.2),
                        bounds.3.max(b.3),
                    );
                }
                changes = changes.max(cell.quiet);
                let (col, row) = (i as u32 % self.cols, i as u32 / self.cols);
                let neighbours = [
                    (col > 0).then(|| i - 1),
                    (col + 1 < self.cols).then(|| i + 1),
                    (row > 0).then(|| i - self.cols as usize),
                    (row + 1 < rows).then(|| i + self.cols as usize),
                ];
                for n in neighbours.into_iter().flatten() {
                    if !seen[n] && qualifies(&self.cells[n]) {
                        seen[n] = true;
                        stack.push(n);
                    }
                }
            }
            if bounds.0 < bounds.2 {
                masks.push(ProposedMask {
                    rect: Rect::new(
                        bounds.0 as i32,
                        bounds.1 as i32,
                        bounds.2 - bounds.0,
                        bounds.3 - bounds.1,
                    ),
                    changes,
                });
            }
        }
        masks.sort_by_key(|m| std::cmp::Reverse(m.changes));
        masks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(v: &mut Volatility) -> Vec<ProposedMask> {
        v.settle_all();
        v.proposals()
    }

    #[test]
    fn a_clock_ticking_between_inputs_is_proposed() {
        let now = Instant::now();
        let mut v = Volatility::new(200, 100);
        let clock = Rect::new(150, 10, 30, 30);
        let display = Rect::new(10, 10, 60, 20);
        for second in 0..10u64 {
            let t = 10_000 + second * 1000;
            // A click every three seconds, the display answering at once.
            if second % 3 == 0 {
                v.input(t + 100);
                v.change(t + 120, vec![display], now);
            }
            v.change(t + 500, vec![clock], now);
        }
        let masks = judged(&mut v);
        assert_eq!(masks.len(), 1, "{masks:?}");
        assert_eq!(masks[0].rect, clock);
        assert!(masks[0].changes >= MIN_QUIET_CHANGES);
    }

    #[test]
    fn drawing_that_goes_on_after_one_input_is_not_proposed() {
        let now = Instant::now();
        let mut v = Volatility::new(200, 100);
        v.input(1000);
        // A progress bar filling for five seconds after one click.
        for n in 0..50 {
            v.change(1000 + 100 * n, vec![Rect::new(2 * n as i32, 50, 2, 8)], now);
        }
        assert!(judged(&mut v).is_empty());
    }

    #[test]
    fn changes_soon_after_input_are_never_quiet() {
        let now = Instant::now();
        let mut v = Volatility::new(200, 100);
        for n in 0..20u64 {
            let t = 1000 + n * 2000;
            v.input(t);
            v.change(t + 900, vec![Rect::new(0, 0, 10, 10)], now);
        }
        assert!(judged(&mut v).is_empty());
    }

    #[test]
    fn a_change_waits_until_the_events_before_it_are_known() {
        let t0 = Instant::now();
        let mut v = Volatility::new(64, 64);
        let area = Rect::new(0, 0, 8, 8);
        for n in 0..4u64 {
            let t = 10_000 * (n + 1);
            v.change(t, vec![area], t0);
            // The event just before the change is received after it: the
            // change must not be judged quiet in the meantime.
            v.settle(t - 1, t0 - Duration::from_secs(1));
            v.input(t - 5);
        }
        assert!(judged(&mut v).is_empty(), "every change followed input");
    }

    #[test]
    fn neighbouring_cells_make_one_mask_around_the_changes() {
        let now = Instant::now();
        let mut v = Volatility::new(100, 100);
        for n in 0..4u64 {
            v.input(n * 5000);
            v.change(n * 5000 + 2000, vec![Rect::new(10, 12, 40, 3)], now);
            v.change(n * 5000 + 3000, vec![Rect::new(20, 60, 2, 2)], now);
        }
        let masks = judged(&mut v);
        assert_eq!(masks.len(), 2, "{masks:?}");
        assert!(masks.iter().any(|m| m.rect == Rect::new(10, 12, 40, 3)));
        assert!(masks.iter().any(|m| m.rect == Rect::new(20, 60, 2, 2)));
    }
}
