//! Binding keysyms the layout lacks (`€` on a US keyboard, Greek letters)
//! to spare keycodes, so the injector can press them.
//!
//! An X client reads key events with the keyboard mapping it holds when it
//! reads them, and it reloads the mapping as soon as it is told of a
//! change. So a keycode rebound while the application still has unread
//! events for it makes those events type the new symbol. enigo's own
//! binding unbinds every spare keycode at once when it runs out, which did
//! exactly that in xterm past 19 distinct symbols. Here a binding is
//! replaced only when no spare keycode is free, the least recently used
//! first, never while held, and only after the application has had
//! [`SETTLE`] to read the events of its last press. There is no way to ask
//! an application whether it has read them, so this is a wait, not a proof.

#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use x11rb::protocol::xproto::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

use super::keymap::Keymap;
use super::keysym::Keysym;

/// How long an application gets to read the key events of a spare
/// keycode before the keycode is bound to another keysym. 100 ms was not
/// always enough for xterm on a machine busy with other tests. With 19
/// spare keycodes (Xvfb), text made only of missing symbols, each new,
/// still types at 19 per `SETTLE`, about 38 a second.
pub const SETTLE: Duration = Duration::from_millis(500);

/// One spare keycode.
#[derive(Debug)]
struct Slot {
    keycode: u8,
    keysym: Option<Keysym>,
    last_used: Option<Instant>,
    held: bool,
}

/// The spare keycodes of a display and what they are bound to.
pub(super) struct SpareKeys {
    conn: RustConnection,
    slots: Vec<Slot>,
}

impl SpareKeys {
    /// The keycodes without any keysym in `keymap`, except 8, which some
    /// servers turn into evdev code 0, no key at all.
    pub(super) fn new(conn: RustConnection, keymap: &Keymap) -> SpareKeys {
        let slots = (9..=u8::MAX)
            .filter(|&kc| {
                let syms = keymap.keysyms(kc);
                !syms.is_empty() && syms.iter().all(|&k| k == 0)
            })
            .map(|keycode| Slot {
                keycode,
                keysym: None,
                last_used: None,
                held: false,
            })
            .collect();
        SpareKeys { conn, slots }
    }

    /// A keycode that types `keysym` with no modifier, binding one when
    /// needed. The binding is in effect in the server when this returns.
    pub(super) fn bind(&mut self, keysym: Keysym) -> Result<u8, String> {
        if let Some(slot) = self.slots.iter().find(|s| s.keysym == Some(keysym)) {
            return Ok(slot.keycode);
        }
        let total = self.slots.len();
        let slot = match self.slots.iter().position(|s| s.keysym.is_none()) {
            Some(i) => &mut self.slots[i],
            None => self
                .slots
                .iter_mut()
                .filter(|s| !s.held)
                .min_by_key(|s| s.last_used)
                .ok_or_else(|| {
                    format!(
                        "no spare keycode to bind {keysym} to: all {total} are held down \
                         with other symbols"
                    )
                })?,
        };
        if let Some(used) = slot.last_used {
            std::thread::sleep(SETTLE.saturating_sub(used.elapsed()));
        }

        // Two columns: with one, the server would make a letter's second
        // column its capital.
        let e = |e: &dyn std::fmt::Display| format!("binding {keysym} to a spare keycode: {e}");
        self.conn
            .change_keyboard_mapping(1, slot.keycode, 2, &[keysym.0, keysym.0])
            .map_err(|x| e(&x))?;
        self.conn.sync().map_err(|x| e(&x))?;
        slot.keysym = Some(keysym);
        slot.last_used = None;
        Ok(slot.keycode)
    }

    /// Notes that `keycode` was pressed (`held`) or released.
    pub(super) fn used(&mut self, keycode: u8, held: bool) {
        if let Some(slot) = self.slots.iter_mut().find(|s| s.keycode == keycode) {
            slot.last_used = Some(Instant::now());
            slot.held = held;
        }
    }
}

impl Drop for SpareKeys {
    /// Leaves the keyboard mapping as it was found.
    fn drop(&mut self) {
        for slot in self.slots.iter().filter(|s| s.keysym.is_some()) {
            if let Ok(cookie) = self
                .conn
                .change_keyboard_mapping(1, slot.keycode, 2, &[0, 0])
            {
                cookie.ignore_error();
            }
        }
        let _ = self.conn.sync();
    }
}
