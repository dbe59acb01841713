//! The real [`Injector`]: XTest through enigo's pure-Rust x11rb back end.
//!
//! Keys are sent as keysyms, not keycodes, so the focused window receives
//! the recorded symbols whatever the layout (`de`, `fr`, ...). Typed text
//! uses the layout's own keys where it can: the key that carries the
//! character, with Shift and AltGr held as its level needs (as a person
//! types). A keysym the layout lacks is bound to a spare keycode first
//! ([`spare_keys`](super::spare_keys)). enigo sends the keycodes, button
//! and pointer events through XTEST.
//!
//! The injector reads the keyboard mapping when it connects; one made
//! before the layout changes (`setxkbmap`) types with the old mapping, so
//! make it after the display is set up.

#![forbid(unsafe_code)]

use enigo::{Direction, Enigo, Keyboard, Mouse, Settings};

use crate::model::Button;

use super::combo::KeyCombo;
use super::inject::{Held, HeldInputs, InjectError, Injector, wheel_clicks};
use super::keymap::Keymap;
use super::keysym::Keysym;
use super::spare_keys::SpareKeys;

/// Injects input into an X display through the XTEST extension.
///
/// Each call is synchronous: enigo makes a round trip to the server after
/// every event, so the event has been processed when the call returns.
/// Whatever is still held is released when the injector is dropped.
///
/// ```no_run
/// use trajectory::input::{Injector, XTestInjector};
///
/// let mut input = XTestInjector::connect(Some(":1"))?;
/// input.move_to(100, 200)?;
/// input.key_combo(&"ctrl+s".parse()?)?;
/// input.type_text("Hello, World!\n")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct XTestInjector {
    enigo: Enigo,
    held: HeldInputs,
    display: String,
    /// The keyboard mapping when the injector connected.
    keymap: Keymap,
    spare: SpareKeys,
}

impl XTestInjector {
    /// Connects to the display called `display` (`:1`), or to the one
    /// `DISPLAY` names when `None`. The process environment is left alone.
    pub fn connect(display: Option<&str>) -> Result<XTestInjector, InjectError> {
        let name = display
            .map(str::to_string)
            .or_else(|| std::env::var("DISPLAY").ok())
            .unwrap_or_else(|| "(DISPLAY is not set)".to_string());
        let settings = Settings {
            x11_display: display.map(str::to_string),
            // enigo delays each button event by this many milliseconds in
            // the server; replay paces actions itself.
            linux_delay: 0,
            ..Settings::default()
        };
        let connect_error = |reason: String| InjectError::Connect {
            display: name.clone(),
            reason,
        };
        let enigo = Enigo::new(&settings).map_err(|e| connect_error(e.to_string()))?;
        let (conn, _) = x11rb::connect(display).map_err(|e| connect_error(e.to_string()))?;
        let keymap = Keymap::fetch(&conn).map_err(|e| connect_error(e.to_string()))?;
        let spare = SpareKeys::new(conn, &keymap);
        Ok(XTestInjector {
            enigo,
            held: HeldInputs::default(),
            display: name,
            keymap,
            spare,
        })
    }

    /// The display this injector sends input to.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// What is held down now, first pressed first.
    pub fn held(&self) -> &[Held] {
        self.held.held()
    }

    /// The keycode that types `keysym` without modifiers: the key bound to
    /// the modifier it stands for, the layout's own key, or a spare one
    /// bound to it.
    fn keycode_for(&mut self, keysym: Keysym) -> Result<u8, InjectError> {
        if let Some(keycode) = self.keymap.modifier_keycode(keysym) {
            return Ok(keycode);
        }
        match self.keymap.find(keysym) {
            Some((keycode, hold)) if hold.is_empty() => Ok(keycode),
            _ => self
                .spare
                .bind(keysym)
                .map_err(|reason| InjectError::Inject {
                    what: format!("key {keysym}"),
                    reason,
                }),
        }
    }

    fn key(&mut self, keysym: Keysym, direction: Direction) -> Result<(), InjectError> {
        let keycode = self.keycode_for(keysym)?;
        self.keycode(keycode, keysym, direction)?;
        match direction {
            Direction::Press => self.held.press(Held::Key(keysym)),
            Direction::Release => self.held.release(Held::Key(keysym)),
            Direction::Click => {}
        }
        Ok(())
    }

    fn keycode(
        &mut self,
        keycode: u8,
        keysym: Keysym,
        direction: Direction,
    ) -> Result<(), InjectError> {
        self.enigo
            .raw(u16::from(keycode), direction)
            .map_err(|e| InjectError::Inject {
                what: format!("key {keysym} (keycode {keycode}, {direction:?})"),
                reason: e.to_string(),
            })?;
        self.spare.used(keycode, direction == Direction::Press);
        Ok(())
    }

    fn button(&mut self, button: Button, direction: Direction) -> Result<(), InjectError> {
        let b = match button.0 {
            1 => enigo::Button::Left,
            2 => enigo::Button::Middle,
            3 => enigo::Button::Right,
            4 => enigo::Button::ScrollUp,
            5 => enigo::Button::ScrollDown,
            6 => enigo::Button::ScrollLeft,
            7 => enigo::Button::ScrollRight,
            8 => enigo::Button::Back,
            9 => enigo::Button::Forward,
            n => return Err(InjectError::UnsupportedButton { button: n }),
        };
        self.enigo
            .button(b, direction)
            .map_err(|e| InjectError::Inject {
                what: format!("button {button} ({direction:?})"),
                reason: e.to_string(),
            })?;
        match direction {
            Direction::Press => self.held.press(Held::Button(button)),
            Direction::Release => self.held.release(Held::Button(button)),
            Direction::Click => {}
        }
        Ok(())
    }
}

impl Injector for XTestInjector {
    fn move_to(&mut self, x: i32, y: i32) -> Result<(), InjectError> {
        // X positions are 16-bit; enigo would reject these with a vaguer
        // message.
        if !(0..=i32::from(i16::MAX)).contains(&x) || !(0..=i32::from(i16::MAX)).contains(&y) {
            return Err(InjectError::BadPosition { x, y });
        }
        self.enigo
            .move_mouse(x, y, enigo::Coordinate::Abs)
            .map_err(|e| InjectError::Inject {
                what: format!("pointer move to {x},{y}"),
                reason: e.to_string(),
            })
    }

    fn button_down(&mut self, button: Button) -> Result<(), InjectError> {
        self.button(button, Direction::Press)
    }

    fn button_up(&mut self, button: Button) -> Result<(), InjectError> {
        self.button(button, Direction::Release)
    }

    fn scroll(&mut self, dx: i32, dy: i32) -> Result<(), InjectError> {
        for b in wheel_clicks(dx, dy) {
            self.button(b, Direction::Click)?;
        }
        Ok(())
    }

    fn key_down(&mut self, keysym: Keysym) -> Result<(), InjectError> {
        self.key(keysym, Direction::Press)
    }

    fn key_up(&mut self, keysym: Keysym) -> Result<(), InjectError> {
        self.key(keysym, Direction::Release)
    }

    fn key_combo(&mut self, combo: &KeyCombo) -> Result<(), InjectError> {
        for m in combo.modifiers() {
            self.key(m.keysym(), Direction::Press)?;
        }
        self.key(combo.key(), Direction::Press)?;
        self.key(combo.key(), Direction::Release)?;
        for m in combo.modifiers().iter().rev() {
            self.key(m.keysym(), Direction::Release)?;
        }
        Ok(())
    }

    fn type_text(&mut self, text: &str) -> Result<(), InjectError> {
        for c in text.chars() {
            let keysym = Keysym::from_char(c);
            let Some((keycode, hold)) = self.keymap.find(keysym) else {
                self.key(keysym, Direction::Click)?;
                continue;
            };
            for &m in &hold {
                self.key(m, Direction::Press)?;
            }
            self.keycode(keycode, keysym, Direction::Click)?;
            for &m in hold.iter().rev() {
                self.key(m, Direction::Release)?;
            }
        }
        Ok(())
    }

    fn release_all(&mut self) -> Result<(), InjectError> {
        let mut first_error = None;
        for h in self.held.take_reversed() {
            let result = match h {
                Held::Key(k) => self.key(k, Direction::Release),
                Held::Button(b) => self.button(b, Direction::Release),
            };
            if let Err(e) = result {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

impl Drop for XTestInjector {
    fn drop(&mut self) {
        if let Err(e) = self.release_all() {
            log::warn!("releasing held keys and buttons on {}: {e}", self.display);
        }
    }
}
