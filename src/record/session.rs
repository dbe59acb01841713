//! The heart of a recording, without threads: input events and captures
//! in, steps with their frames out.
//!
//! - Events go to the gesture [`Recognizer`], except the stop and pause
//!   keys, which are acted on and never recorded. While paused, neither
//!   events nor frames are recorded.
//! - Captures go to the [`Timeline`], which keeps what pending actions may
//!   still need, and to the [`Volatility`] detector.
//! - An action the recognizer emits waits until the captures taken before
//!   it have all arrived (a capture stamped at or after its start has, or
//!   [`CAPTURE_GRACE`] passed), then becomes a step whose frame is the last
//!   screen captured before its start.
//!
//! Every time is unwrapped into one 64-bit server-millisecond count
//! ([`Unwrapper`]), events and captures alike.

#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::RecordError;
use super::capture::Captured;
use super::encode::{FrameJob, StepSink};
use super::gesture::{Gesture, Recognizer, Settings};
use super::time::{ServerNow, Unwrapper};
use super::timeline::{Content, Timeline};
use super::volatile::Volatility;
use crate::input::{EventKind, InputEvent, KeyCombo, KeyInfo};
use crate::model::{Action, ProposedMask, Step, Text};

/// How long an emitted action waits for captures still on their way
/// before it takes the newest one it has.
pub const CAPTURE_GRACE: Duration = Duration::from_millis(150);

/// How late an input event may reach the recorder after a capture taken
/// after it. Captures that such an event could need are kept this long.
pub const EVENT_GRACE: Duration = Duration::from_millis(500);

/// The most bytes of captured pixels kept for pending actions before older
/// ones are dropped regardless of late events (about 30 screens of 1080p).
pub const HELD_BUDGET: usize = 256 << 20;

/// How a session is set up.
#[derive(Debug, Clone)]
pub(crate) struct SessionOptions {
    pub settings: Settings,
    pub stop_key: KeyCombo,
    pub pause_key: KeyCombo,
    /// Names of the variables the next typed texts stand for, in order.
    pub secrets: Vec<String>,
}

/// What the caller should do after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    Continue,
    /// The stop key was pressed.
    Stop,
    /// The pause key was pressed; recording is now paused (`true`) or
    /// running again.
    Paused(bool),
}

/// What the session found, at its end.
#[derive(Debug)]
pub(crate) struct Outcome<K> {
    pub sink: K,
    pub proposed_masks: Vec<ProposedMask>,
    pub held_bytes_peak: usize,
    /// Steps whose action started before any capture held (their frame is
    /// the oldest one held).
    pub early_frames: usize,
}

/// A recording in progress.
pub(crate) struct Session<K> {
    options: SessionOptions,
    recognizer: Recognizer,
    secrets: VecDeque<String>,
    /// The variable armed in the recognizer and not typed yet.
    armed: Option<String>,
    paused: bool,
    clock: Unwrapper,
    now: ServerNow,
    start_ms: u64,
    last_event_ms: u64,
    pointer: (i32, i32),
    timeline: Timeline,
    volatility: Volatility,
    /// Emitted actions waiting for their captures, with when they came.
    waiting: VecDeque<(Gesture, Instant)>,
    last_frame: Option<u64>,
    sink: K,
    steps: usize,
    early_frames: usize,
    over_budget: bool,
}

impl<K: StepSink> Session<K> {
    /// Starts from the first capture (the whole screen), taken at `now`
    /// with the pointer at `pointer`.
    pub(crate) fn new(
        options: SessionOptions,
        first: Captured,
        pointer: (i32, i32),
        now: Instant,
        sink: K,
    ) -> Result<Session<K>, RecordError> {
        let Content::Full(frame) = first.content else {
            return Err(RecordError::Thread {
                what: "capture",
                reason: "the first capture is not a whole screen".into(),
            });
        };
        let mut clock = Unwrapper::new(first.time.unwrap_or(0));
        let start_ms = clock.unwrap(first.time.unwrap_or(0));
        let volatility = Volatility::new(frame.width(), frame.height());
        let timeline = Timeline::new(first.seq, start_ms, frame, now);
        let recognizer = Recognizer::new(options.settings, pointer);
        let mut session = Session {
            secrets: options.secrets.iter().cloned().collect(),
            options,
            recognizer,
            armed: None,
            paused: false,
            clock,
            now: ServerNow::new(start_ms, now),
            start_ms,
            last_event_ms: start_ms,
            pointer,
            timeline,
            volatility,
            waiting: VecDeque::new(),
            last_frame: None,
            sink,
            steps: 0,
            early_frames: 0,
            over_budget: false,
        };
        session.arm_next();
        Ok(session)
    }

    /// Steps handed to the sink so far.
    pub(crate) fn steps(&self) -> usize {
        self.steps
    }

    /// Whether recording is paused.
    pub(crate) fn paused(&self) -> bool {
        self.paused
    }

    /// Takes one input event, received at `now`.
    pub(crate) fn input(&mut self, mut event: InputEvent, now: Instant) -> Control {
        let t = self.clock.unwrap(event.time_ms as u32);
        event.time_ms = t;
        self.last_event_ms = self.last_event_ms.max(t);
        self.now.observe(t, now);
        // Paused or not, input explains the screen changes after it.
        self.volatility.input(t);
        self.pointer = (event.x, event.y);

        if let EventKind::KeyPress(key) = &event.kind {
            if is_combo(key, &self.options.stop_key) {
                return Control::Stop;
            }
            if is_combo(key, &self.options.pause_key) {
                self.toggle_pause(now);
                return Control::Paused(self.paused);
            }
        }
        if !self.paused {
            let gestures = self.recognizer.feed(&event);
            self.emitted(gestures, now);
        }
        Control::Continue
    }

    /// Takes one capture, received at `now`.
    pub(crate) fn capture(&mut self, c: Captured, now: Instant) {
        let time = match c.time {
            Some(t) => self.clock.unwrap(t),
            None => self.now.at(now),
        };
        self.now.observe(time, now);
        self.volatility.change(time, c.changed, now);
        self.timeline.push(c.seq, time, c.content, now);
    }

    /// Lets time pass: ends gestures that can no longer grow, writes the
    /// steps whose captures are in, and drops captures nothing needs.
    pub(crate) fn tick(&mut self, now: Instant) -> Result<(), RecordError> {
        if !self.paused {
            let gestures = self.recognizer.tick(self.now.at(now));
            self.emitted(gestures, now);
        }
        self.commit_ready(now, false)?;

        let mut needed = self.recognizer.pending_starts();
        needed.extend(self.waiting.iter().map(|(g, _)| g.start_ms));
        let settled_by = now.checked_sub(EVENT_GRACE).unwrap_or(now);
        let horizon = self
            .timeline
            .time_arrived_by(settled_by)
            .unwrap_or(0)
            .max(self.last_event_ms);
        let fits = self.timeline.prune(&needed, horizon, HELD_BUDGET);
        if !fits && !self.over_budget {
            log::warn!(
                "pending actions hold {} MiB of screens ({} captures); they are kept until \
                 the actions are written",
                self.timeline.bytes() >> 20,
                self.timeline.len()
            );
        }
        self.over_budget = !fits;
        self.volatility.settle(self.last_event_ms, settled_by);
        Ok(())
    }

    /// Ends the session: pending gestures become steps, and the places
    /// that changed on their own are proposed as masks. Every event and
    /// capture must have been handed over before.
    pub(crate) fn finish(mut self, now: Instant) -> Result<Outcome<K>, RecordError> {
        if !self.paused {
            let fresh = Recognizer::new(self.options.settings, self.pointer);
            let gestures = std::mem::replace(&mut self.recognizer, fresh).finish();
            self.emitted(gestures, now);
        }
        self.commit_ready(now, true)?;
        self.volatility.settle_all();
        Ok(Outcome {
            proposed_masks: self.volatility.proposals(),
            held_bytes_peak: self.timeline.peak_bytes(),
            early_frames: self.early_frames,
            sink: self.sink,
        })
    }

    fn toggle_pause(&mut self, now: Instant) {
        if self.paused {
            self.paused = false;
            let fresh = Recognizer::new(self.options.settings, self.pointer);
            self.recognizer = fresh;
            if let Some(name) = &self.armed {
                self.recognizer.arm_secret(name);
            }
            return;
        }
        // What is pending ends here, as if the recording stopped.
        self.paused = true;
        let fresh = Recognizer::new(self.options.settings, self.pointer);
        let gestures = std::mem::replace(&mut self.recognizer, fresh).finish();
        self.emitted(gestures, now);
    }

    /// Queues emitted gestures for their captures; a secret typed arms the
    /// next one.
    fn emitted(&mut self, gestures: Vec<Gesture>, now: Instant) {
        for g in gestures {
            if matches!(
                &g.action,
                Action::Type {
                    text: Text::Variable(_)
                }
            ) {
                self.armed = None;
                self.arm_next();
            }
            self.waiting.push_back((g, now));
        }
    }

    fn arm_next(&mut self) {
        if self.armed.is_none()
            && let Some(name) = self.secrets.pop_front()
        {
            self.recognizer.arm_secret(&name);
            self.armed = Some(name);
        }
    }

    /// Writes the waiting actions whose captures are all in (all of them
    /// when `all`), in order.
    fn commit_ready(&mut self, now: Instant, all: bool) -> Result<(), RecordError> {
        while let Some((g, emitted)) = self.waiting.front() {
            let ready = all
                || self.timeline.latest_time() >= g.start_ms
                || now.saturating_duration_since(*emitted) >= CAPTURE_GRACE;
            if !ready {
                break;
            }
            let (g, _) = self.waiting.pop_front().expect("just seen");
            self.commit(g)?;
        }
        Ok(())
    }

    fn commit(&mut self, g: Gesture) -> Result<(), RecordError> {
        let seq = self.timeline.seq_before(g.start_ms);
        let frame = if self.last_frame == Some(seq) {
            FrameJob::Same
        } else {
            let chosen = self.timeline.frame_before(g.start_ms);
            if chosen.early {
                self.early_frames += 1;
                log::debug!(
                    "step {}: no capture held from before its action; it gets the oldest",
                    self.steps
                );
            }
            FrameJob::New(chosen.frame)
        };
        self.last_frame = Some(seq);
        let step = Step {
            at_us: g
                .start_ms
                .saturating_sub(self.start_ms)
                .saturating_mul(1000),
            action: g.action,
            frame: 0,
            checkpoint: Default::default(),
        };
        self.sink.push(step, frame)?;
        self.steps += 1;
        Ok(())
    }
}

/// Whether a key press is the combination `combo`: the same modifiers held
/// and the same key.
fn is_combo(key: &KeyInfo, combo: &KeyCombo) -> bool {
    key.combo() == *combo
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Frame;
    use crate::input::{Keysym, Modifier};
    use crate::model::{Button, Rect};
    use crate::record::encode::StepList;
    use crate::record::timeline::Area;

    const W: u32 = 16;
    const H: u32 = 8;

    fn options(secrets: &[&str]) -> SessionOptions {
        SessionOptions {
            settings: Settings::default(),
            stop_key: "ctrl+shift+F12".parse().unwrap(),
            pause_key: "ctrl+shift+F11".parse().unwrap(),
            secrets: secrets.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// A session whose first capture (black) was taken at server time 1000.
    fn session(secrets: &[&str], t0: Instant) -> Session<StepList> {
        let first = Captured {
            seq: 0,
            time: Some(1000),
            content: Content::Full(Frame::filled(W, H, 0)),
            changed: vec![],
        };
        Session::new(options(secrets), first, (0, 0), t0, StepList::default()).unwrap()
    }

    /// Capture `seq` at server time `time` paints pixel (seq, 0) with `seq`.
    fn capture(seq: u64, time: u32) -> Captured {
        let rect = Rect::new(seq as i32, 0, 1, 1);
        let v = seq as u8;
        Captured {
            seq,
            time: Some(time),
            content: Content::Areas(vec![Area {
                rect,
                pixels: vec![v, v, v, 0xFF],
            }]),
            changed: vec![rect],
        }
    }

    fn ev(t: u32, x: i32, y: i32, kind: EventKind) -> InputEvent {
        InputEvent {
            time_ms: u64::from(t),
            x,
            y,
            state: 0,
            kind,
        }
    }

    fn key(t: u32, name: &str, modifiers: &[Modifier]) -> InputEvent {
        let keysym = Keysym::from_name(name).unwrap();
        let info = KeyInfo {
            keycode: 30,
            keysym,
            base: keysym.case_pair().0,
            modifiers: modifiers.to_vec(),
        };
        ev(t, 0, 0, EventKind::KeyPress(info))
    }

    fn click(s: &mut Session<StepList>, t: u32, x: i32, y: i32, now: Instant) {
        s.input(ev(t, x, y, EventKind::ButtonPress { button: 1 }), now);
        s.input(
            ev(t + 40, x, y, EventKind::ButtonRelease { button: 1 }),
            now,
        );
    }

    fn painted(frame: &Frame) -> Vec<u8> {
        (0..W as usize).map(|x| frame.data()[x * 4]).collect()
    }

    #[test]
    fn a_click_gets_the_last_screen_captured_before_it() {
        let t0 = Instant::now();
        let mut s = session(&[], t0);
        s.capture(capture(1, 1100), t0);
        s.capture(capture(2, 1200), t0);
        click(&mut s, 1250, 5, 5, t0);
        // The application answers the click; that capture is after it.
        s.capture(capture(3, 1260), t0);
        // The click is certain once no second click came (500 ms).
        s.tick(t0 + Duration::from_secs(1)).unwrap();
        let server_later = 1250 + 600;
        s.capture(capture(4, server_later), t0 + Duration::from_secs(1));
        s.tick(t0 + Duration::from_secs(2)).unwrap();
        let out = s.finish(t0 + Duration::from_secs(2)).unwrap();
        let steps = &out.sink.steps;
        assert_eq!(steps.len(), 1);
        let (step, frame) = &steps[0];
        assert!(matches!(step.action, Action::Click { x: 5, y: 5, .. }));
        assert_eq!(step.at_us, 250_000);
        let frame = frame.as_ref().expect("a new frame");
        assert_eq!(painted(frame)[..5], [0, 1, 2, 0, 0]);
    }

    #[test]
    fn captures_kept_for_a_pending_click_survive_pruning() {
        let t0 = Instant::now();
        let mut s = session(&[], t0);
        s.capture(capture(1, 1100), t0);
        click(&mut s, 1150, 5, 5, t0);
        // Many captures after the click, before it is certain; pruning runs
        // long after they all arrived.
        for n in 2..10 {
            s.capture(capture(n, 1150 + 10 * n as u32), t0);
        }
        let later = t0 + Duration::from_millis(200);
        s.tick(later).unwrap();
        let out = s.finish(later).unwrap();
        let frame = out.sink.steps[0].1.as_ref().unwrap();
        assert_eq!(painted(frame)[..3], [0, 1, 0]);
    }

    #[test]
    fn an_action_waits_for_a_capture_still_on_its_way() {
        let t0 = Instant::now();
        let mut s = session(&[], t0);
        s.input(key(1500, "Return", &[]), t0);
        // The key is certain at once, but the capture taken just before it
        // arrives a little later.
        s.tick(t0 + Duration::from_millis(20)).unwrap();
        assert!(s.sink.steps.is_empty(), "the step waits for its capture");
        s.capture(capture(1, 1499), t0 + Duration::from_millis(30));
        s.capture(capture(2, 1510), t0 + Duration::from_millis(40));
        s.tick(t0 + Duration::from_millis(50)).unwrap();
        assert_eq!(s.sink.steps.len(), 1);
        let frame = s.sink.steps[0].1.as_ref().unwrap();
        assert_eq!(painted(frame)[..3], [0, 1, 0]);
    }

    #[test]
    fn the_stop_and_pause_keys_are_not_recorded_and_pausing_records_nothing() {
        let t0 = Instant::now();
        let mut s = session(&[], t0);
        let cs = [Modifier::Ctrl, Modifier::Shift];
        click(&mut s, 1100, 1, 1, t0);
        assert_eq!(s.input(key(1200, "F11", &cs), t0), Control::Paused(true));
        click(&mut s, 1300, 2, 2, t0);
        s.input(key(1400, "a", &[]), t0);
        assert_eq!(s.input(key(1500, "F11", &cs), t0), Control::Paused(false));
        click(&mut s, 1600, 3, 3, t0);
        assert_eq!(s.input(key(2500, "F12", &cs), t0), Control::Stop);
        let out = s.finish(t0).unwrap();
        let actions: Vec<String> = out
            .sink
            .steps
            .iter()
            .map(|(st, _)| st.action.to_string())
            .collect();
        assert_eq!(actions, ["click left at 1,1", "click left at 3,3"]);
    }

    #[test]
    fn secrets_stand_for_the_next_typed_texts_in_order() {
        let t0 = Instant::now();
        let mut s = session(&["USER", "PASSWORD"], t0);
        for (i, c) in ["j", "o", "e"].iter().enumerate() {
            s.input(key(1100 + i as u32 * 10, c, &[]), t0);
        }
        s.input(key(1200, "Tab", &[]), t0);
        for (i, c) in ["p", "w"].iter().enumerate() {
            s.input(key(1300 + i as u32 * 10, c, &[]), t0);
        }
        s.input(key(1400, "Return", &[]), t0);
        s.input(key(1500, "x", &[]), t0);
        let out = s.finish(t0).unwrap();
        let actions: Vec<String> = out
            .sink
            .steps
            .iter()
            .map(|(st, _)| st.action.to_string())
            .collect();
        assert_eq!(
            actions,
            [
                "type ${USER}",
                "key Tab",
                "type ${PASSWORD}",
                "key Return",
                "type \"x\""
            ]
        );
    }

    #[test]
    fn steps_on_an_unchanged_screen_share_the_frame() {
        let t0 = Instant::now();
        let mut s = session(&[], t0);
        s.input(key(1100, "Return", &[]), t0);
        s.input(key(1200, "Tab", &[]), t0);
        let out = s.finish(t0).unwrap();
        assert!(out.sink.steps[0].1.is_some());
        assert!(out.sink.steps[1].1.is_none(), "the same capture");
        assert_eq!(out.early_frames, 0);
    }

    #[test]
    fn a_place_changing_with_no_input_is_proposed_as_a_mask() {
        let t0 = Instant::now();
        let mut s = session(&[], t0);
        let mut seq = 0;
        for second in 0..8u32 {
            let t = 2000 + second * 1000;
            if second % 3 == 0 {
                click(&mut s, t, 9, 5, t0);
            }
            seq += 1;
            let mut c = capture(seq % 3 + 12, t + 500);
            c.seq = seq;
            s.capture(c, t0);
        }
        let out = s.finish(t0).unwrap();
        assert_eq!(out.proposed_masks.len(), 1, "{:?}", out.proposed_masks);
        assert_eq!(out.proposed_masks[0].rect, Rect::new(12, 0, 3, 1));
        assert!(out.sink.steps.iter().all(|(st, _)| matches!(
            st.action,
            Action::Click {
                button: Button::LEFT,
                ..
            }
        )));
    }
}
