//! Turns device events into actions: clicks, multi-clicks, drags, scrolls,
//! key combinations, typed text and the pointer moves between them.
//!
//! The rules, each chosen so that replay sees what the application saw:
//!
//! - A press and release within [`Settings::click_slop`] pixels is a click;
//!   further clicks of the same button at the same place, each pressed
//!   within [`Settings::multi_click_ms`] of the one before, make it a double
//!   or triple click, which keeps the recorded interval.
//! - A press, a move beyond the slop, and a release is a drag, with its
//!   path sampled.
//! - Wheel buttons 4 to 7 are scroll notches; notches at one place, each
//!   within [`Settings::scroll_pause_ms`] of the one before, add up to one
//!   scroll.
//! - Keys that type a character with no modifier but Shift or AltGr are
//!   text, grouped into one type action until something else happens or
//!   the typing pauses for [`Settings::type_pause_ms`]. Every other key
//!   (Return, Tab, BackSpace, F5, anything with Ctrl, Alt or Super) is a key
//!   action naming the unshifted keysym and the modifiers: `ctrl+shift+t`.
//! - Pointer motion becomes a move action once the pointer has rested for
//!   [`Settings::settle_ms`]: applications highlight what lies under the
//!   pointer, and the next step's frame shows that highlight, so replay must
//!   move there and let the application redraw before that checkpoint.
//!   Motion that ends in a press before it settled is folded into the
//!   action that follows (which moves to its own position first), and that
//!   action starts where the motion started, so that its frame is the
//!   screen before the motion rather than a half-drawn highlight.
//! - Anything the rules above cannot express faithfully (two buttons held
//!   at once, a key pressed while a button is held, a button held when the
//!   recording starts or stops) falls back to press, release and move
//!   actions.
//!
//! Every gesture carries the server time of the event it starts with; the
//! recorder picks its frame by that time. Gestures come out in the order of
//! those times.

#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use crate::input::{EventKind, InputEvent, KeyCombo, KeyInfo, Keysym, Modifier};
use crate::model::{Action, Button, PathPoint, Text};

/// Thresholds of the rules, in pixels and server milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// How far the pointer may move between press and release, or between
    /// the clicks of a multi-click, for it to still be a click.
    pub click_slop: i32,
    /// Longest time from one press to the next within a multi-click.
    pub multi_click_ms: u64,
    /// How long the pointer must rest for its motion to become a move.
    pub settle_ms: u64,
    /// A pause in typing this long starts a new type action.
    pub type_pause_ms: u64,
    /// A pause between wheel notches this long starts a new scroll.
    pub scroll_pause_ms: u64,
    /// A drag's path keeps a point at least this often...
    pub drag_sample_ms: u64,
    /// ...or whenever the pointer went this far since the last kept point.
    pub drag_sample_px: i32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            click_slop: 4,
            // Above the usual toolkit thresholds (Xt 200 ms, GTK and Qt
            // 400 ms): what the application took as two single clicks
            // still replays as such, since the interval is kept.
            multi_click_ms: 500,
            settle_ms: 100,
            type_pause_ms: 1_000,
            scroll_pause_ms: 500,
            drag_sample_ms: 10,
            drag_sample_px: 16,
        }
    }
}

/// An action and the server time of the event it starts with.
#[derive(Debug, Clone, PartialEq)]
pub struct Gesture {
    pub start_ms: u64,
    pub action: Action,
}

/// Pointer motion since the pointer last rested.
#[derive(Debug, Clone, Copy)]
struct Motion {
    start_ms: u64,
    last_ms: u64,
}

/// A button held down, not yet known to be a click or a drag.
#[derive(Debug, Clone)]
struct Held {
    button: u8,
    /// When the gesture began (earlier than the press when motion was
    /// folded into it).
    start_ms: u64,
    press_ms: u64,
    /// Absolute times; made relative to `start_ms` when emitted.
    path: Vec<(i32, i32, u64)>,
    moved: bool,
    modifiers: Vec<String>,
}

/// One or more clicks that another click may still join.
#[derive(Debug, Clone)]
struct Clicks {
    button: u8,
    x: i32,
    y: i32,
    count: u8,
    start_ms: u64,
    first_press_ms: u64,
    last_press_ms: u64,
    modifiers: Vec<String>,
}

/// Wheel notches being added up.
#[derive(Debug, Clone)]
struct Wheel {
    x: i32,
    y: i32,
    dx: i32,
    dy: i32,
    start_ms: u64,
    last_ms: u64,
    modifiers: Vec<String>,
}

/// Characters being typed.
#[derive(Debug, Clone)]
struct Typing {
    start_ms: u64,
    last_ms: u64,
    text: String,
    /// The variable this text stands for; its characters are then never
    /// emitted.
    secret: Option<String>,
}

/// The state machine. Feed it events in order with [`Recognizer::feed`],
/// let time pass with [`Recognizer::tick`], and end with
/// [`Recognizer::finish`]; each returns the gestures that became certain.
#[derive(Debug, Default)]
pub struct Recognizer {
    settings: Settings,
    out: Vec<Gesture>,
    pointer: (i32, i32),
    /// Where the pointer was when it last rested or acted.
    rest: (i32, i32),
    motion: Option<Motion>,
    /// Modifier keys held, by keycode.
    modifiers_held: BTreeMap<u8, Modifier>,
    held: Option<Held>,
    /// Buttons replayed as raw presses, whose release must be raw too.
    raw_down: Vec<u8>,
    clicks: Option<Clicks>,
    wheel: Option<Wheel>,
    typing: Option<Typing>,
    /// The variable the next typed text stands for.
    secret_armed: Option<String>,
    last_ms: u64,
}

impl Recognizer {
    /// A recognizer with the pointer at `pointer` when recording starts.
    pub fn new(settings: Settings, pointer: (i32, i32)) -> Recognizer {
        Recognizer {
            settings,
            pointer,
            rest: pointer,
            ..Recognizer::default()
        }
    }

    /// Makes the next typed text stand for the variable `name`: it becomes
    /// `type ${name}` and its characters are kept nowhere. BackSpace edits
    /// it rather than ending it, and pauses do not split it; Return, Tab, a
    /// key combination or a pointer action ends it.
    pub fn arm_secret(&mut self, name: &str) {
        self.flush_typing();
        self.secret_armed = Some(name.to_string());
    }

    /// The server times that gestures still pending may start at: the
    /// start of the motion, held button, clicks, scroll or text in
    /// progress, and, for a held button that moved, the time of its last
    /// point (where it becomes a move, should the hold end as a press).
    /// Gestures not pending yet start at events still to come. The
    /// recorder keeps the captures these times need and drops the rest.
    pub fn pending_starts(&self) -> Vec<u64> {
        let mut starts = Vec::new();
        starts.extend(self.motion.map(|m| m.start_ms));
        if let Some(h) = &self.held {
            starts.push(h.start_ms);
            if h.moved
                && let Some(&(_, _, last)) = h.path.last()
            {
                starts.push(last);
            }
        }
        starts.extend(self.clicks.as_ref().map(|c| c.start_ms));
        starts.extend(self.wheel.as_ref().map(|w| w.start_ms));
        starts.extend(self.typing.as_ref().map(|t| t.start_ms));
        starts.sort_unstable();
        starts.dedup();
        starts
    }

    /// Whether text typed now becomes a variable: a secret is armed, or
    /// one is being typed.
    pub fn secret_pending(&self) -> bool {
        self.secret_armed.is_some() || self.typing.as_ref().is_some_and(|t| t.secret.is_some())
    }

    /// Handles one event; events must come in the order they happened.
    pub fn feed(&mut self, event: &InputEvent) -> Vec<Gesture> {
        let t = event.time_ms.max(self.last_ms);
        self.last_ms = t;
        self.expire(t);
        let (x, y) = (event.x, event.y);
        match &event.kind {
            EventKind::Motion => self.motion(t, x, y),
            EventKind::ButtonPress { button } if is_wheel(*button) => self.wheel(t, x, y, *button),
            EventKind::ButtonRelease { button } if is_wheel(*button) => {}
            EventKind::ButtonPress { button } => self.press(t, x, y, *button),
            EventKind::ButtonRelease { button } => self.release(t, x, y, *button),
            EventKind::KeyPress(key) => self.key_press(t, key),
            EventKind::KeyRelease(key) => {
                self.modifiers_held.remove(&key.keycode);
            }
        }
        std::mem::take(&mut self.out)
    }

    /// Lets server time `now_ms` pass with no event: ends what can no longer
    /// grow (a click no second click joins, a scroll, typing that paused, a
    /// pointer that came to rest).
    pub fn tick(&mut self, now_ms: u64) -> Vec<Gesture> {
        self.expire(now_ms.max(self.last_ms));
        std::mem::take(&mut self.out)
    }

    /// Ends the recording: everything pending becomes an action, and a
    /// button still held becomes a press.
    pub fn finish(mut self) -> Vec<Gesture> {
        self.flush_typing();
        self.flush_clicks();
        self.flush_wheel();
        self.flush_motion();
        if let Some(h) = self.held.take() {
            self.emit_held_as_press(h);
        }
        self.out
    }

    fn expire(&mut self, now: u64) {
        let s = self.settings;
        if self
            .clicks
            .as_ref()
            .is_some_and(|c| now.saturating_sub(c.last_press_ms) > s.multi_click_ms)
        {
            self.flush_clicks();
        }
        if self
            .wheel
            .as_ref()
            .is_some_and(|w| now.saturating_sub(w.last_ms) > s.scroll_pause_ms)
        {
            self.flush_wheel();
        }
        if self
            .typing
            .as_ref()
            .is_some_and(|t| t.secret.is_none() && now.saturating_sub(t.last_ms) > s.type_pause_ms)
        {
            self.flush_typing();
        }
        if self.held.is_none()
            && self
                .motion
                .is_some_and(|m| now.saturating_sub(m.last_ms) >= s.settle_ms)
        {
            self.flush_motion();
        }
    }

    fn motion(&mut self, t: u64, x: i32, y: i32) {
        self.pointer = (x, y);
        if let Some(h) = &mut self.held {
            let (px, py, pt) = *h.path.last().expect("a held button has its press point");
            let (sx, sy, _) = h.path[0];
            if far(x, y, sx, sy, self.settings.click_slop) {
                h.moved = true;
            }
            if t.saturating_sub(pt) >= self.settings.drag_sample_ms
                || far(x, y, px, py, self.settings.drag_sample_px)
            {
                h.path.push((x, y, t));
            } else if h.path.len() > 1 {
                // Keep the newest position of a burst, so the path ends
                // where the pointer is.
                *h.path.last_mut().expect("len > 1") = (x, y, t);
            }
            return;
        }
        let slop = self.settings.click_slop;
        if self
            .clicks
            .as_ref()
            .is_some_and(|c| far(x, y, c.x, c.y, slop))
        {
            self.flush_clicks();
        }
        if self
            .wheel
            .as_ref()
            .is_some_and(|w| far(x, y, w.x, w.y, slop))
        {
            self.flush_wheel();
        }
        if far(x, y, self.rest.0, self.rest.1, slop) {
            // Keys go to the window under the pointer: moving away ends
            // the text typed so far.
            self.flush_typing();
        }
        let m = self.motion.get_or_insert(Motion {
            start_ms: t,
            last_ms: t,
        });
        m.last_ms = t;
    }

    /// Handles motion before an action at `t`: a settled motion becomes a
    /// move of its own; an unsettled one is folded into the action, which
    /// then starts when the motion started. Returns the action's start.
    fn settle_before(&mut self, t: u64) -> u64 {
        match self.motion {
            Some(m) if t.saturating_sub(m.last_ms) < self.settings.settle_ms => {
                self.motion = None;
                m.start_ms
            }
            Some(_) => {
                self.flush_motion();
                t
            }
            None => t,
        }
    }

    fn press(&mut self, t: u64, x: i32, y: i32, button: u8) {
        self.flush_typing();
        self.flush_wheel();
        if self.held.is_some() || !self.raw_down.is_empty() {
            // A second button while one is held: replay it as it happened.
            self.flush_clicks();
            if let Some(h) = self.held.take() {
                self.emit_held_as_press(h);
            }
            self.flush_motion();
            self.emit(
                t,
                Action::Press {
                    button: Button(button),
                    x,
                    y,
                    modifiers: self.modifier_names(),
                },
            );
            self.raw_down.push(button);
            self.rest = (x, y);
            return;
        }
        let joins = self.clicks.as_ref().is_some_and(|c| {
            c.button == button
                && t.saturating_sub(c.last_press_ms) <= self.settings.multi_click_ms
                && !far(x, y, c.x, c.y, self.settings.click_slop)
        });
        if !joins {
            self.flush_clicks();
        }
        let start_ms = self.settle_before(t);
        self.held = Some(Held {
            button,
            start_ms,
            press_ms: t,
            path: vec![(x, y, t)],
            moved: false,
            modifiers: self.modifier_names(),
        });
    }

    fn release(&mut self, t: u64, x: i32, y: i32, button: u8) {
        let Some(h) = self.held.take_if(|h| h.button == button) else {
            // A raw press, or a button held since before the recording.
            self.raw_down.retain(|&b| b != button);
            if let Some(h) = self.held.take() {
                self.emit_held_as_press(h);
            }
            self.flush_typing();
            self.flush_clicks();
            self.flush_wheel();
            self.flush_motion();
            self.emit(
                t,
                Action::Release {
                    button: Button(button),
                    x,
                    y,
                },
            );
            self.rest = (x, y);
            return;
        };
        self.rest = (x, y);
        self.motion = None;
        let moved = h.moved || far(x, y, h.path[0].0, h.path[0].1, self.settings.click_slop);
        if !moved {
            let (px, py, _) = h.path[0];
            match &mut self.clicks {
                Some(c) if c.button == button => {
                    c.count = c.count.saturating_add(1);
                    c.last_press_ms = h.press_ms;
                }
                _ => {
                    self.clicks = Some(Clicks {
                        button,
                        x: px,
                        y: py,
                        count: 1,
                        start_ms: h.start_ms,
                        first_press_ms: h.press_ms,
                        last_press_ms: h.press_ms,
                        modifiers: h.modifiers,
                    });
                }
            }
            return;
        }
        // A drag; a multi-click it started from ends before it.
        self.flush_clicks();
        let mut path = h.path;
        if path.last().is_some_and(|&(lx, ly, _)| (lx, ly) != (x, y)) || path.len() == 1 {
            path.push((x, y, t));
        } else if let Some(last) = path.last_mut() {
            last.2 = t;
        }
        let start = h.start_ms;
        let path = path
            .into_iter()
            .map(|(x, y, at)| PathPoint {
                x,
                y,
                t_us: at.saturating_sub(start) * 1000,
            })
            .collect();
        self.emit(
            start,
            Action::Drag {
                button: Button(button),
                path,
                modifiers: h.modifiers,
            },
        );
    }

    fn wheel(&mut self, t: u64, x: i32, y: i32, button: u8) {
        self.flush_typing();
        self.flush_clicks();
        if let Some(h) = self.held.take() {
            self.emit_held_as_press(h);
        }
        let (dx, dy) = match button {
            4 => (0, -1),
            5 => (0, 1),
            6 => (-1, 0),
            _ => (1, 0),
        };
        let modifiers = self.modifier_names();
        let joins = self.wheel.as_ref().is_some_and(|w| {
            !far(x, y, w.x, w.y, self.settings.click_slop)
                && t.saturating_sub(w.last_ms) <= self.settings.scroll_pause_ms
                && w.modifiers == modifiers
        });
        if !joins {
            self.flush_wheel();
        }
        if let Some(w) = &mut self.wheel {
            w.dx += dx;
            w.dy += dy;
            w.last_ms = t;
            return;
        }
        let start_ms = self.settle_before(t);
        self.rest = (x, y);
        self.wheel = Some(Wheel {
            x,
            y,
            dx,
            dy,
            start_ms,
            last_ms: t,
            modifiers,
        });
    }

    fn key_press(&mut self, t: u64, key: &KeyInfo) {
        if let Some(m) = Modifier::of_keysym(key.keysym) {
            self.modifiers_held.insert(key.keycode, m);
            return;
        }
        if key.keysym.is_modifier() {
            // Lock keys and group switches change what later keys type,
            // which their keysyms already show.
            return;
        }
        if let Some(h) = self.held.take() {
            self.emit_held_as_press(h);
        }
        self.flush_clicks();
        self.flush_wheel();
        // Keys go to the window under the pointer, so the pointer's move
        // comes first as an action of its own.
        self.flush_motion();

        let secret = self.typing.as_ref().is_some_and(|t| t.secret.is_some())
            || (self.typing.is_none() && self.secret_armed.is_some());
        if secret && key.keysym == Keysym(0xff08) {
            // BackSpace edits a secret instead of ending it.
            if let Some(typing) = &mut self.typing {
                typing.text.pop();
                typing.last_ms = t;
            }
            return;
        }

        match typed_char(key) {
            Some(c) => {
                if self.typing.as_ref().is_some_and(|ty| {
                    ty.secret.is_none()
                        && t.saturating_sub(ty.last_ms) > self.settings.type_pause_ms
                }) {
                    self.flush_typing();
                }
                if self.typing.is_none() {
                    self.typing = Some(Typing {
                        start_ms: t,
                        last_ms: t,
                        text: String::new(),
                        secret: self.secret_armed.take(),
                    });
                }
                let typing = self.typing.as_mut().expect("just set");
                // A secret's characters are kept nowhere, not even here.
                if typing.secret.is_none() {
                    typing.text.push(c);
                }
                typing.last_ms = t;
            }
            None => {
                self.flush_typing();
                let combo = KeyCombo::new(key.modifiers.iter().copied(), key.base);
                self.emit(
                    t,
                    Action::Key {
                        keys: combo.to_string(),
                    },
                );
            }
        }
    }

    fn emit(&mut self, start_ms: u64, action: Action) {
        self.out.push(Gesture { start_ms, action });
    }

    fn emit_held_as_press(&mut self, h: Held) {
        let (x, y, _) = h.path[0];
        let (lx, ly, lt) = *h.path.last().expect("a held button has its press point");
        self.emit(
            h.start_ms,
            Action::Press {
                button: Button(h.button),
                x,
                y,
                modifiers: h.modifiers,
            },
        );
        self.raw_down.push(h.button);
        self.rest = (x, y);
        if h.moved {
            self.emit(lt, Action::Move { x: lx, y: ly });
            self.rest = (lx, ly);
        }
    }

    /// Ends the motion since the last rest: a move to where the pointer is,
    /// unless it stayed within the slop of where it was (a jitter).
    fn flush_motion(&mut self) {
        if let Some(m) = self.motion.take() {
            let (x, y) = self.pointer;
            if far(x, y, self.rest.0, self.rest.1, self.settings.click_slop) {
                self.emit(m.start_ms, Action::Move { x, y });
                self.rest = (x, y);
            }
        }
    }

    fn flush_clicks(&mut self) {
        if let Some(c) = self.clicks.take() {
            let interval_us = match c.count {
                0 | 1 => 0,
                n => (c.last_press_ms - c.first_press_ms) * 1000 / u64::from(n - 1),
            };
            self.emit(
                c.start_ms,
                Action::Click {
                    button: Button(c.button),
                    count: c.count,
                    x: c.x,
                    y: c.y,
                    interval_us,
                    modifiers: c.modifiers,
                },
            );
        }
    }

    fn flush_wheel(&mut self) {
        if let Some(w) = self.wheel.take()
            && (w.dx, w.dy) != (0, 0)
        {
            self.emit(
                w.start_ms,
                Action::Scroll {
                    dx: w.dx,
                    dy: w.dy,
                    x: w.x,
                    y: w.y,
                    modifiers: w.modifiers,
                },
            );
        }
    }

    fn flush_typing(&mut self) {
        if let Some(t) = self.typing.take() {
            let text = match t.secret {
                Some(name) => Text::Variable(name),
                None => Text::Literal(t.text),
            };
            self.emit(t.start_ms, Action::Type { text });
        }
    }

    /// The modifiers held now, as pointer actions name them.
    fn modifier_names(&self) -> Vec<String> {
        let mut mods: Vec<Modifier> = self.modifiers_held.values().copied().collect();
        mods.sort();
        mods.dedup();
        mods.into_iter().map(|m| m.alias().to_string()).collect()
    }
}

/// The character a key press types as text, if it types one: a printable
/// character with no modifier held but Shift and AltGr (which choose the
/// character rather than a command). Return and Tab are keys, not text.
fn typed_char(key: &KeyInfo) -> Option<char> {
    let only_level_modifiers = key
        .modifiers
        .iter()
        .all(|m| matches!(m, Modifier::Shift | Modifier::AltGr));
    key.keysym
        .to_char()
        .filter(|c| only_level_modifiers && *c != '\n' && *c != '\t')
}

fn is_wheel(button: u8) -> bool {
    (4..=7).contains(&button)
}

fn far(x: i32, y: i32, ox: i32, oy: i32, slop: i32) -> bool {
    (x - ox).abs() > slop || (y - oy).abs() > slop
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ev(t: u64, x: i32, y: i32, kind: EventKind) -> InputEvent {
        InputEvent {
            time_ms: t,
            x,
            y,
            state: 0,
            kind,
        }
    }

    fn motion(t: u64, x: i32, y: i32) -> InputEvent {
        ev(t, x, y, EventKind::Motion)
    }

    fn press(t: u64, x: i32, y: i32, button: u8) -> InputEvent {
        ev(t, x, y, EventKind::ButtonPress { button })
    }

    fn release(t: u64, x: i32, y: i32, button: u8) -> InputEvent {
        ev(t, x, y, EventKind::ButtonRelease { button })
    }

    /// A key event for the keysym `name` typed with `modifiers` held; the
    /// base keysym is the lower-case form, as on a US keyboard.
    fn key(t: u64, name: &str, modifiers: &[Modifier], down: bool) -> InputEvent {
        let keysym = Keysym::from_name(name).expect("a known keysym name");
        let info = KeyInfo {
            keycode: (keysym.0 & 0x7f) as u8 + 8,
            keysym,
            base: keysym.case_pair().0,
            modifiers: modifiers.to_vec(),
        };
        let kind = if down {
            EventKind::KeyPress(info)
        } else {
            EventKind::KeyRelease(info)
        };
        ev(t, 0, 0, kind)
    }

    fn run(events: &[InputEvent]) -> Vec<Gesture> {
        let mut r = Recognizer::new(Settings::default(), (0, 0));
        let mut out = Vec::new();
        for e in events {
            out.extend(r.feed(e));
        }
        out.extend(r.finish());
        out
    }

    fn actions(events: &[InputEvent]) -> Vec<Action> {
        run(events).into_iter().map(|g| g.action).collect()
    }

    fn click(x: i32, y: i32, count: u8, interval_us: u64) -> Action {
        Action::Click {
            button: Button::LEFT,
            count,
            x,
            y,
            interval_us,
            modifiers: vec![],
        }
    }

    fn typed(s: &str) -> Action {
        Action::Type {
            text: Text::Literal(s.into()),
        }
    }

    fn keys(k: &str) -> Action {
        Action::Key { keys: k.into() }
    }

    #[test]
    fn press_and_release_in_place_is_a_click() {
        let got = actions(&[press(10, 0, 0, 1), release(60, 2, 1, 1)]);
        assert_eq!(got, vec![click(0, 0, 1, 0)]);
    }

    #[test]
    fn quick_clicks_in_place_make_a_double_click_keeping_the_interval() {
        let got = actions(&[
            press(0, 5, 5, 1),
            release(40, 5, 5, 1),
            press(120, 6, 5, 1),
            release(160, 6, 5, 1),
        ]);
        assert_eq!(got, vec![click(5, 5, 2, 120_000)]);
    }

    #[test]
    fn slow_clicks_stay_single_and_a_tick_ends_the_wait_for_another() {
        let mut r = Recognizer::new(Settings::default(), (5, 5));
        assert!(r.feed(&press(0, 5, 5, 1)).is_empty());
        assert!(r.feed(&release(40, 5, 5, 1)).is_empty());
        assert!(r.tick(400).is_empty(), "another click may still come");
        let first = r.tick(501);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].action, click(5, 5, 1, 0));
        r.feed(&press(900, 5, 5, 1));
        r.feed(&release(950, 5, 5, 1));
        let rest = r.finish();
        assert_eq!(rest[0].start_ms, 900);
    }

    #[test]
    fn press_move_release_is_a_drag_with_its_path() {
        let got = run(&[
            press(1000, 10, 10, 1),
            motion(1020, 20, 10),
            motion(1022, 21, 10),
            motion(1040, 40, 12),
            release(1060, 40, 12, 1),
        ]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].start_ms, 1000);
        let Action::Drag { button, path, .. } = &got[0].action else {
            panic!("expected a drag, got {:?}", got[0].action);
        };
        assert_eq!(*button, Button::LEFT);
        let first = path.first().unwrap();
        let last = path.last().unwrap();
        assert_eq!((first.x, first.y, first.t_us), (10, 10, 0));
        assert_eq!((last.x, last.y, last.t_us), (40, 12, 60_000));
        assert!(path.windows(2).all(|w| w[0].t_us <= w[1].t_us));
    }

    #[test]
    fn a_settled_move_is_a_step_of_its_own_before_the_click() {
        let got = run(&[
            motion(100, 50, 50),
            motion(120, 200, 100),
            press(400, 200, 100, 1),
            release(450, 200, 100, 1),
        ]);
        assert_eq!(got[0].start_ms, 100);
        assert_eq!(got[0].action, Action::Move { x: 200, y: 100 });
        assert_eq!(got[1].start_ms, 400);
        assert_eq!(got[1].action, click(200, 100, 1, 0));
    }

    #[test]
    fn motion_that_has_not_settled_folds_into_the_click() {
        let got = run(&[
            motion(100, 50, 50),
            motion(120, 200, 100),
            press(130, 200, 100, 1),
            release(170, 200, 100, 1),
        ]);
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].start_ms, 100,
            "the click's frame is the screen before the motion"
        );
        assert_eq!(got[0].action, click(200, 100, 1, 0));
    }

    #[test]
    fn wheel_notches_add_up_to_one_scroll() {
        let got = actions(&[
            press(0, 30, 30, 5),
            release(1, 30, 30, 5),
            press(50, 30, 30, 5),
            release(51, 30, 30, 5),
            press(100, 31, 30, 5),
            release(101, 31, 30, 5),
            press(900, 31, 30, 4),
            release(901, 31, 30, 4),
        ]);
        let scroll = |dy| Action::Scroll {
            dx: 0,
            dy,
            x: 30,
            y: 30,
            modifiers: vec![],
        };
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], scroll(3));
        assert!(matches!(got[1], Action::Scroll { dy: -1, .. }));
    }

    #[test]
    fn printable_keys_group_into_text_and_return_is_a_key() {
        let shift = [Modifier::Shift];
        let got = actions(&[
            key(0, "Shift_L", &[], true),
            key(10, "H", &shift, true),
            key(20, "H", &shift, false),
            key(25, "Shift_L", &shift, false),
            key(40, "i", &[], true),
            key(60, "space", &[], true),
            key(80, "exclam", &shift, true),
            key(100, "Return", &[], true),
        ]);
        assert_eq!(got, vec![typed("Hi !"), keys("Return")]);
    }

    #[test]
    fn a_pause_in_typing_starts_a_new_type_action() {
        let got = actions(&[key(0, "a", &[], true), key(2000, "b", &[], true)]);
        assert_eq!(got, vec![typed("a"), typed("b")]);
    }

    #[test]
    fn combinations_name_the_unshifted_key_and_every_modifier() {
        let got = actions(&[
            key(0, "Control_L", &[], true),
            key(5, "Shift_L", &[Modifier::Ctrl], true),
            key(10, "T", &[Modifier::Ctrl, Modifier::Shift], true),
            key(20, "s", &[Modifier::Ctrl], true),
            key(30, "Tab", &[Modifier::Shift], true),
        ]);
        assert_eq!(
            got,
            vec![keys("ctrl+shift+t"), keys("ctrl+s"), keys("shift+Tab")]
        );
    }

    #[test]
    fn pointer_actions_carry_the_modifiers_held() {
        let got = actions(&[
            key(0, "Control_L", &[], true),
            press(10, 5, 5, 1),
            release(20, 5, 5, 1),
            key(30, "Control_L", &[Modifier::Ctrl], false),
            press(700, 5, 5, 1),
            release(720, 5, 5, 1),
        ]);
        assert_eq!(got[0].modifiers(), ["ctrl".to_string()]);
        assert!(got[1].modifiers().is_empty());
    }

    #[test]
    fn a_secret_is_recorded_as_its_variable_and_backspace_edits_it() {
        let mut r = Recognizer::new(Settings::default(), (0, 0));
        r.arm_secret("PASSWORD");
        let mut out = Vec::new();
        for (i, name) in ["h", "u", "x", "BackSpace", "n", "t", "e", "r", "2"]
            .iter()
            .enumerate()
        {
            // Pauses do not split a secret.
            out.extend(r.feed(&key(i as u64 * 1500, name, &[], true)));
        }
        out.extend(r.feed(&key(20_000, "Return", &[], true)));
        out.extend(r.feed(&key(20_100, "a", &[], true)));
        out.extend(r.finish());
        let got: Vec<Action> = out.into_iter().map(|g| g.action).collect();
        assert_eq!(
            got,
            vec![
                Action::Type {
                    text: Text::Variable("PASSWORD".into())
                },
                keys("Return"),
                typed("a"),
            ]
        );
        assert!(!format!("{got:?}").contains("hunt"));
    }

    #[test]
    fn two_buttons_at_once_replay_as_presses_and_releases() {
        let got = actions(&[
            press(0, 1, 1, 1),
            press(50, 1, 1, 3),
            release(60, 1, 1, 3),
            release(70, 1, 1, 1),
        ]);
        let kinds: Vec<&str> = got.iter().map(Action::kind).collect();
        assert_eq!(kinds, ["press", "press", "release", "release"]);
    }

    #[test]
    fn a_key_pressed_during_a_drag_keeps_the_order() {
        let got = actions(&[
            press(0, 1, 1, 1),
            motion(20, 40, 40),
            key(30, "Escape", &[], true),
            release(40, 40, 40, 1),
        ]);
        let kinds: Vec<&str> = got.iter().map(Action::kind).collect();
        assert_eq!(kinds, ["press", "move", "key", "release"]);
    }

    #[test]
    fn a_button_held_at_the_end_is_a_press() {
        let got = actions(&[press(0, 3, 4, 1)]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].kind(), "press");
    }

    #[test]
    fn pending_starts_name_every_start_a_later_gesture_can_have() {
        let mut r = Recognizer::new(Settings::default(), (0, 0));
        assert!(r.pending_starts().is_empty());
        r.feed(&motion(100, 50, 50));
        assert_eq!(r.pending_starts(), [100]);
        r.feed(&press(130, 50, 50, 1));
        assert_eq!(r.pending_starts(), [100], "the motion folds into the press");
        r.feed(&motion(150, 90, 90));
        assert_eq!(r.pending_starts(), [100, 150]);
        // A key during the hold makes it a press at 100 and a move at 150.
        let got = r.feed(&key(160, "Escape", &[], true));
        let starts: Vec<u64> = got.iter().map(|g| g.start_ms).collect();
        assert_eq!(starts, [100, 150, 160]);
        r.feed(&release(200, 90, 90, 1));
        r.feed(&key(300, "a", &[], true));
        assert_eq!(r.pending_starts(), [300]);
    }

    fn any_event() -> impl Strategy<Value = (u64, i32, i32, u8)> {
        (0u64..700, 0i32..60, 0i32..60, 0u8..12)
    }

    proptest! {
        #[test]
        fn gestures_come_out_in_time_order_whatever_the_input(
            steps in proptest::collection::vec(any_event(), 0..80)
        ) {
            let mut t = 0;
            let mut events = Vec::new();
            for (dt, x, y, what) in steps {
                t += dt;
                let e = match what {
                    0..=3 => motion(t, x, y),
                    4 => press(t, x, y, 1 + (x as u8 % 3)),
                    5 => release(t, x, y, 1 + (x as u8 % 3)),
                    6 => press(t, x, y, 4 + (y as u8 % 4)),
                    7 => key(t, ["a", "B", "Return", "BackSpace"][x as usize % 4], &[], true),
                    8 => key(t, "Control_L", &[], y % 2 == 0),
                    9 => key(t, "s", &[Modifier::Ctrl], true),
                    _ => release(t, x, y, 4 + (y as u8 % 4)),
                };
                events.push(e);
            }
            let got = run(&events);
            prop_assert!(got.windows(2).all(|w| w[0].start_ms <= w[1].start_ms), "{got:?}");
        }
    }
}
