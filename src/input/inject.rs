//! Injecting input: the [`Injector`] trait replay drives, the bookkeeping of
//! what is held down, and [`RecordingInjector`], a fake that writes down
//! what it was asked to do (for unit tests of the replay engine).

#![forbid(unsafe_code)]

use crate::model::Button;

use super::combo::KeyCombo;
use super::keysym::Keysym;

/// Injects input into a display.
///
/// Every method returns once the input is in effect in the X server (a
/// capture taken right after sees its effect as soon as the application
/// has redrawn). Keys and buttons pressed and not yet released are
/// remembered, and [`release_all`](Injector::release_all) lets them go;
/// implementations also do so when dropped.
pub trait Injector {
    /// Moves the pointer to (x, y) in root window coordinates.
    fn move_to(&mut self, x: i32, y: i32) -> Result<(), InjectError>;

    /// Presses a pointer button where the pointer is and keeps it down.
    fn button_down(&mut self, button: Button) -> Result<(), InjectError>;

    /// Releases a pointer button where the pointer is.
    fn button_up(&mut self, button: Button) -> Result<(), InjectError>;

    /// Turns the wheel where the pointer is: `dy` notches down (negative:
    /// up), `dx` notches right (negative: left), as buttons 4 to 7.
    fn scroll(&mut self, dx: i32, dy: i32) -> Result<(), InjectError>;

    /// Presses a key, given by its keysym, and keeps it down (a Shift held
    /// through a click, for example).
    fn key_down(&mut self, keysym: Keysym) -> Result<(), InjectError>;

    /// Releases a key pressed with [`key_down`](Injector::key_down).
    fn key_up(&mut self, keysym: Keysym) -> Result<(), InjectError>;

    /// Presses the combination's modifiers in order, presses and releases
    /// its key, then releases the modifiers in reverse order.
    fn key_combo(&mut self, combo: &KeyCombo) -> Result<(), InjectError>;

    /// Types `text` so that the focused window receives exactly its
    /// characters, whatever the keyboard layout. `\n` is Return, `\t` Tab.
    fn type_text(&mut self, text: &str) -> Result<(), InjectError>;

    /// Releases every key and button still held, last pressed first. Tries
    /// them all and reports the first failure.
    fn release_all(&mut self) -> Result<(), InjectError>;
}

/// Input that could not be injected.
#[derive(Debug, thiserror::Error)]
pub enum InjectError {
    /// No connection to the display for injecting input.
    #[error(
        "cannot inject input on display {display}: {reason} (is an X server running \
         there, with the XTEST extension?)"
    )]
    Connect {
        /// The display name.
        display: String,
        /// What the connection attempt reported.
        reason: String,
    },
    /// The X server refused or lost an injected event.
    #[error("injecting {what} failed: {reason}")]
    Inject {
        /// The event, for example `key Return (Press)`.
        what: String,
        /// What enigo or the X server reported.
        reason: String,
    },
    /// A pointer button X cannot be asked to press through XTEST here.
    #[error(
        "pointer button {button} cannot be injected; buttons 1 to 9 can (1 left, 2 middle, \
         3 right, 4 to 7 the wheel, 8 back, 9 forward)"
    )]
    UnsupportedButton {
        /// The X button number.
        button: u8,
    },
    /// A pointer position outside what X coordinates can hold.
    #[error("pointer position {x},{y} is off screen; X positions are 0 to 32767")]
    BadPosition {
        /// The requested column.
        x: i32,
        /// The requested row.
        y: i32,
    },
}

/// Something that can be held down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// A key, by the keysym it was pressed as.
    Key(Keysym),
    /// A pointer button.
    Button(Button),
}

/// What is held down, in the order it was pressed, so it can be released
/// last first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeldInputs {
    held: Vec<Held>,
}

impl HeldInputs {
    /// Notes that `h` went down. Pressing what is already held leaves one
    /// entry: X has one state per key and button.
    pub fn press(&mut self, h: Held) {
        if !self.held.contains(&h) {
            self.held.push(h);
        }
    }

    /// Notes that `h` came up.
    pub fn release(&mut self, h: Held) {
        self.held.retain(|&x| x != h);
    }

    /// What is held, first pressed first.
    pub fn held(&self) -> &[Held] {
        &self.held
    }

    /// Empties the set, returning what was held, last pressed first.
    pub fn take_reversed(&mut self) -> Vec<Held> {
        let mut all = std::mem::take(&mut self.held);
        all.reverse();
        all
    }
}

/// The wheel buttons for a scroll of `dx`, `dy` notches, one entry per
/// notch: vertical first, as a person's wheel usually turns.
pub fn wheel_clicks(dx: i32, dy: i32) -> impl Iterator<Item = Button> {
    let vertical = if dy < 0 { Button(4) } else { Button(5) };
    let horizontal = if dx < 0 { Button(6) } else { Button(7) };
    std::iter::repeat_n(vertical, dy.unsigned_abs() as usize)
        .chain(std::iter::repeat_n(horizontal, dx.unsigned_abs() as usize))
}

/// One thing a [`RecordingInjector`] was asked to do, at the level of
/// single events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Injected {
    /// The pointer moved to (x, y).
    Move {
        /// Column on the root window.
        x: i32,
        /// Row on the root window.
        y: i32,
    },
    /// A button went down.
    ButtonDown(Button),
    /// A button came up.
    ButtonUp(Button),
    /// A key went down.
    KeyDown(Keysym),
    /// A key came up.
    KeyUp(Keysym),
}

/// A fake [`Injector`] that writes down every event instead of sending it,
/// and tracks what is held as the real one does. For unit tests of code
/// that drives an injector (the replay engine).
#[derive(Debug, Default)]
pub struct RecordingInjector {
    /// Every event, in order.
    pub events: Vec<Injected>,
    held: HeldInputs,
    /// When set, the call that would record event number `n` (counting
    /// from 0) fails instead, as if the X server went away.
    pub fail_at: Option<usize>,
}

impl RecordingInjector {
    /// A fake that has recorded nothing yet.
    pub fn new() -> RecordingInjector {
        RecordingInjector::default()
    }

    /// What is held down now, first pressed first.
    pub fn held(&self) -> &[Held] {
        self.held.held()
    }

    fn push(&mut self, e: Injected) -> Result<(), InjectError> {
        if self.fail_at == Some(self.events.len()) {
            return Err(InjectError::Inject {
                what: format!("{e:?}"),
                reason: "the fake was told to fail here".into(),
            });
        }
        match e {
            Injected::ButtonDown(b) => self.held.press(Held::Button(b)),
            Injected::ButtonUp(b) => self.held.release(Held::Button(b)),
            Injected::KeyDown(k) => self.held.press(Held::Key(k)),
            Injected::KeyUp(k) => self.held.release(Held::Key(k)),
            Injected::Move { .. } => {}
        }
        self.events.push(e);
        Ok(())
    }
}

impl Injector for RecordingInjector {
    fn move_to(&mut self, x: i32, y: i32) -> Result<(), InjectError> {
        self.push(Injected::Move { x, y })
    }

    fn button_down(&mut self, button: Button) -> Result<(), InjectError> {
        self.push(Injected::ButtonDown(button))
    }

    fn button_up(&mut self, button: Button) -> Result<(), InjectError> {
        self.push(Injected::ButtonUp(button))
    }

    fn scroll(&mut self, dx: i32, dy: i32) -> Result<(), InjectError> {
        for b in wheel_clicks(dx, dy) {
            self.push(Injected::ButtonDown(b))?;
            self.push(Injected::ButtonUp(b))?;
        }
        Ok(())
    }

    fn key_down(&mut self, keysym: Keysym) -> Result<(), InjectError> {
        self.push(Injected::KeyDown(keysym))
    }

    fn key_up(&mut self, keysym: Keysym) -> Result<(), InjectError> {
        self.push(Injected::KeyUp(keysym))
    }

    fn key_combo(&mut self, combo: &KeyCombo) -> Result<(), InjectError> {
        let keys: Vec<Keysym> = combo.keysyms().collect();
        for &k in &keys {
            self.push(Injected::KeyDown(k))?;
        }
        for &k in keys.iter().rev() {
            self.push(Injected::KeyUp(k))?;
        }
        Ok(())
    }

    fn type_text(&mut self, text: &str) -> Result<(), InjectError> {
        for c in text.chars() {
            let k = Keysym::from_char(c);
            self.push(Injected::KeyDown(k))?;
            self.push(Injected::KeyUp(k))?;
        }
        Ok(())
    }

    fn release_all(&mut self) -> Result<(), InjectError> {
        for h in self.held.take_reversed() {
            let e = match h {
                Held::Key(k) => Injected::KeyUp(k),
                Held::Button(b) => Injected::ButtonUp(b),
            };
            self.events.push(e);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_notches_become_buttons_4_to_7() {
        let v: Vec<u8> = wheel_clicks(-1, 2).map(|b| b.0).collect();
        assert_eq!(v, [5, 5, 6]);
        let v: Vec<u8> = wheel_clicks(2, -1).map(|b| b.0).collect();
        assert_eq!(v, [4, 7, 7]);
        assert_eq!(wheel_clicks(0, 0).count(), 0);
    }

    #[test]
    fn the_fake_presses_combinations_in_order_and_releases_in_reverse() {
        let mut inj = RecordingInjector::new();
        inj.key_combo(&"ctrl+shift+t".parse().unwrap()).unwrap();
        use Injected::*;
        assert_eq!(
            inj.events,
            [
                KeyDown(Keysym::CONTROL_L),
                KeyDown(Keysym::SHIFT_L),
                KeyDown(Keysym(0x74)),
                KeyUp(Keysym(0x74)),
                KeyUp(Keysym::SHIFT_L),
                KeyUp(Keysym::CONTROL_L),
            ]
        );
        assert!(inj.held().is_empty());
    }

    #[test]
    fn release_all_lets_go_of_what_a_failure_left_held() {
        let mut inj = RecordingInjector::new();
        inj.button_down(Button::LEFT).unwrap();
        inj.fail_at = Some(3);
        let err = inj.key_combo(&"ctrl+alt+Delete".parse().unwrap());
        assert!(err.is_err());
        assert_eq!(
            inj.held(),
            [
                Held::Button(Button::LEFT),
                Held::Key(Keysym::CONTROL_L),
                Held::Key(Keysym::ALT_L),
            ]
        );
        inj.release_all().unwrap();
        assert!(inj.held().is_empty());
        assert_eq!(
            &inj.events[3..],
            [
                Injected::KeyUp(Keysym::ALT_L),
                Injected::KeyUp(Keysym::CONTROL_L),
                Injected::ButtonUp(Button::LEFT),
            ]
        );
    }

    #[test]
    fn held_inputs_keep_one_entry_per_key() {
        let mut h = HeldInputs::default();
        h.press(Held::Key(Keysym(0x61)));
        h.press(Held::Key(Keysym(0x61)));
        h.press(Held::Button(Button::LEFT));
        assert_eq!(h.held().len(), 2);
        h.release(Held::Key(Keysym(0x61)));
        assert_eq!(h.take_reversed(), [Held::Button(Button::LEFT)]);
    }
}
