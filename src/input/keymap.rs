//! The keyboard mapping: which keysyms each keycode carries, and which one
//! a key event produces given the modifier state, by the core protocol's
//! rules (shift and lock, the Mode_switch group, Num_Lock on the keypad).
//!
//! The mapping changes while a session runs: XTest clients (xdotool,
//! enigo) type symbols that are not on the keyboard by binding them to a
//! spare keycode for a moment. The listener applies each change at its
//! place in the event stream ([`Keymap::apply_change`]), so every key event
//! is resolved with the mapping that was in effect when it happened.

#![forbid(unsafe_code)]

use x11rb::connection::Connection;
use x11rb::protocol::xproto::ConnectionExt as _;

use super::combo::Modifier;
use super::keysym::Keysym;

/// Bits of the core modifier state (`KeyButMask`).
mod mask {
    pub const SHIFT: u16 = 1 << 0;
    pub const LOCK: u16 = 1 << 1;
    pub const CONTROL: u16 = 1 << 2;
    /// Bits 13 and 14: the XKB group, which an XKB server reports in the
    /// core state.
    pub const XKB_GROUP: u16 = 0b11 << 13;
}

/// How the Lock modifier acts, decided by the keys bound to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LockKind {
    Ignored,
    CapsLock,
    ShiftLock,
}

/// A keyboard mapping (GetKeyboardMapping) and modifier mapping
/// (GetModifierMapping), with the lookups built on them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    min_keycode: u8,
    max_keycode: u8,
    per_keycode: usize,
    /// `per_keycode` keysyms for each keycode from `min_keycode` on.
    keysyms: Vec<u32>,
    /// The keycodes bound to Shift, Lock, Control, Mod1 .. Mod5.
    modifier_map: [Vec<u8>; 8],
    lock: LockKind,
    mode_switch_mask: u16,
    num_lock_mask: u16,
}

/// A mapping the X server sent that does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    /// A keysym list that is not whole rows of keysyms.
    #[error(
        "keyboard mapping of keycodes {first}..={last} has {found} keysyms, expected a \
         multiple of {per} keysyms per keycode"
    )]
    BadLength {
        /// First keycode of the list.
        first: u8,
        /// Last keycode of the list.
        last: u8,
        /// Keysyms per keycode.
        per: usize,
        /// Keysyms in the list.
        found: usize,
    },
    /// A change to keycodes the server does not have.
    #[error("keyboard mapping change for keycodes {first}.. lies outside {min}..={max}")]
    OutOfRange {
        /// First keycode of the change.
        first: u8,
        /// Smallest keycode of the server.
        min: u8,
        /// Largest keycode of the server.
        max: u8,
    },
}

impl Keymap {
    /// A mapping of keycodes `min_keycode..=max_keycode` with
    /// `per_keycode` keysyms each, and the keycodes bound to each of the
    /// eight modifiers.
    pub fn new(
        min_keycode: u8,
        max_keycode: u8,
        per_keycode: u8,
        keysyms: Vec<u32>,
        modifier_map: [Vec<u8>; 8],
    ) -> Result<Keymap, KeymapError> {
        let per = usize::from(per_keycode);
        let count = usize::from(max_keycode.saturating_sub(min_keycode)) + 1;
        if per == 0 || keysyms.len() != per * count {
            return Err(KeymapError::BadLength {
                first: min_keycode,
                last: max_keycode,
                per,
                found: keysyms.len(),
            });
        }
        Ok(Keymap::from_parts(
            min_keycode,
            max_keycode,
            per,
            keysyms,
            modifier_map,
        ))
    }

    /// A keymap from parts whose lengths the caller has made to fit.
    fn from_parts(
        min_keycode: u8,
        max_keycode: u8,
        per_keycode: usize,
        keysyms: Vec<u32>,
        modifier_map: [Vec<u8>; 8],
    ) -> Keymap {
        let mut keymap = Keymap {
            min_keycode,
            max_keycode,
            per_keycode,
            keysyms,
            modifier_map,
            lock: LockKind::Ignored,
            mode_switch_mask: 0,
            num_lock_mask: 0,
        };
        keymap.derive_modifier_roles();
        keymap
    }

    /// The live mapping of the server behind `conn`.
    pub fn fetch(conn: &impl Connection) -> Result<Keymap, x11rb::errors::ReplyError> {
        let setup = conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let count = max.saturating_sub(min).saturating_add(1);
        let keyboard = conn.get_keyboard_mapping(min, count)?;
        let modifiers = conn.get_modifier_mapping()?;
        let keyboard = keyboard.reply()?;
        let modifiers = modifiers.reply()?;
        let map = modifier_map_from(modifiers.keycodes_per_modifier(), &modifiers.keycodes);
        // A server whose reply does not match its own setup is broken; keep
        // what it sent rather than fail the whole session.
        let max = if keyboard.keysyms_per_keycode == 0 {
            max
        } else {
            let n = keyboard.keysyms.len() / usize::from(keyboard.keysyms_per_keycode);
            min.saturating_add(u8::try_from(n.saturating_sub(1)).unwrap_or(u8::MAX))
        };
        let per = keyboard.keysyms_per_keycode.max(1);
        let mut keysyms = keyboard.keysyms;
        keysyms.resize(usize::from(per) * (usize::from(max - min) + 1), 0);
        Ok(Keymap::from_parts(min, max, usize::from(per), keysyms, map))
    }

    /// The keysyms bound to `keycode`, column by column (empty outside the
    /// server's keycode range).
    pub fn keysyms(&self, keycode: u8) -> &[u32] {
        if keycode < self.min_keycode || keycode > self.max_keycode {
            return &[];
        }
        let start = usize::from(keycode - self.min_keycode) * self.per_keycode;
        &self.keysyms[start..start + self.per_keycode]
    }

    /// The keysym a press of `keycode` produces with modifier `state`, by the
    /// rules of the core protocol (section 5, "Keyboards").
    pub fn lookup(&self, keycode: u8, state: u16) -> Keysym {
        let syms = self.keysyms(keycode);
        let group2 = state & self.mode_switch_mask != 0 || state & mask::XKB_GROUP != 0;
        let (k1, k2) = self.group(syms, group2);

        let shift = state & mask::SHIFT != 0;
        let lock = state & mask::LOCK != 0;
        let num_lock = state & self.num_lock_mask != 0;
        let upper = |k: Keysym| k.case_pair().1;

        if num_lock && is_keypad(k2) {
            return if shift || (lock && self.lock == LockKind::ShiftLock) {
                k1
            } else {
                k2
            };
        }
        match (shift, lock, self.lock) {
            (false, false, _) | (false, true, LockKind::Ignored) => k1,
            (false, true, LockKind::CapsLock) => upper(k1),
            (true, true, LockKind::CapsLock) => upper(k2),
            (true, _, _) | (false, true, LockKind::ShiftLock) => k2,
        }
    }

    /// The key bound to a modifier that carries `keysym` in any column:
    /// pressing it sets the modifier whatever column the keysym is in
    /// (Xvfb lists `Meta_L` only in the second column of its key).
    pub fn modifier_keycode(&self, keysym: Keysym) -> Option<u8> {
        let bound = || self.modifier_map.iter().flatten().copied();
        // A key with the keysym first is the one its layout means.
        bound()
            .find(|&kc| self.keysyms(kc).first() == Some(&keysym.0))
            .or_else(|| bound().find(|&kc| self.keysyms(kc).contains(&keysym.0)))
    }

    /// A key that types `keysym`, and the modifier keys to hold while
    /// pressing it: none, Shift, the third-level shift (AltGr), or both,
    /// tried in that order. `None` when the layout lacks the keysym.
    pub fn find(&self, keysym: Keysym) -> Option<(u8, Vec<Keysym>)> {
        // The key that selects the second group or the third level: the
        // one bound to the Mode_switch modifier, AltGr where it is there.
        let level3_key = [Keysym::ISO_LEVEL3_SHIFT, Keysym::MODE_SWITCH]
            .into_iter()
            .find(|&k| {
                (0..8).any(|bit| {
                    self.mode_switch_mask & 1 << bit != 0
                        && self.modifier_map[bit]
                            .iter()
                            .any(|&kc| self.keysyms(kc).first() == Some(&k.0))
                })
            });
        let mut levels = vec![(0, vec![]), (mask::SHIFT, vec![Keysym::SHIFT_L])];
        if let Some(l3) = level3_key {
            levels.push((self.mode_switch_mask, vec![l3]));
            levels.push((
                self.mode_switch_mask | mask::SHIFT,
                vec![Keysym::SHIFT_L, l3],
            ));
        }
        for (state, hold) in levels {
            for keycode in self.min_keycode..=self.max_keycode {
                if self.lookup(keycode, state) == keysym {
                    return Some((keycode, hold));
                }
            }
        }
        None
    }

    /// The keysym of `keycode` with no modifier: the name a key combination
    /// uses (`ctrl+shift+t`, not `ctrl+shift+T`).
    pub fn base(&self, keycode: u8) -> Keysym {
        self.group(self.keysyms(keycode), false).0
    }

    /// The modifiers of a key combination that `state` holds. Mod1 to Mod5
    /// are named after the keys bound to them (Alt before Meta, Super before
    /// Hyper, as X servers bind both pairs to one modifier).
    pub fn modifiers(&self, state: u16) -> Vec<Modifier> {
        let mut out = Vec::new();
        if state & mask::CONTROL != 0 {
            out.push(Modifier::Ctrl);
        }
        if state & mask::SHIFT != 0 {
            out.push(Modifier::Shift);
        }
        for bit in 3..8 {
            if state & (1 << bit) != 0
                && let Some(m) = self.modifier_of_bit(bit)
            {
                out.push(m);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Applies a ChangeKeyboardMapping request: `keysyms` holds
    /// `per_keycode` keysyms for each keycode from `first` on. Slots beyond
    /// a narrower request become NoSymbol; a wider one widens the table.
    pub fn apply_change(
        &mut self,
        first: u8,
        per_keycode: u8,
        keysyms: &[u32],
    ) -> Result<(), KeymapError> {
        let per = usize::from(per_keycode);
        if per == 0 || !keysyms.len().is_multiple_of(per) {
            return Err(KeymapError::BadLength {
                first,
                last: first,
                per,
                found: keysyms.len(),
            });
        }
        let count = keysyms.len() / per;
        let last = usize::from(first) + count.saturating_sub(1);
        if first < self.min_keycode || last > usize::from(self.max_keycode) {
            return Err(KeymapError::OutOfRange {
                first,
                min: self.min_keycode,
                max: self.max_keycode,
            });
        }
        if per > self.per_keycode {
            self.widen(per);
        }
        for (i, row) in keysyms.chunks_exact(per).enumerate() {
            let start = (usize::from(first - self.min_keycode) + i) * self.per_keycode;
            let slot = &mut self.keysyms[start..start + self.per_keycode];
            slot.fill(0);
            slot[..per].copy_from_slice(row);
        }
        self.derive_modifier_roles();
        Ok(())
    }

    /// Applies a SetModifierMapping request (or a fresh GetModifierMapping
    /// reply): `keycodes` holds `per_modifier` keycodes for each of the
    /// eight modifiers.
    pub fn apply_modifier_mapping(&mut self, per_modifier: u8, keycodes: &[u8]) {
        self.modifier_map = modifier_map_from(per_modifier, keycodes);
        self.derive_modifier_roles();
    }

    /// The two keysyms of the chosen group, with the protocol's defaults:
    /// an empty second group falls back to the first, and a group with one
    /// keysym is its lower and upper case.
    fn group(&self, syms: &[u32], group2: bool) -> (Keysym, Keysym) {
        let at = |i: usize| Keysym(syms.get(i).copied().unwrap_or(0));
        let mut base = 0;
        if group2 && (at(2) != Keysym::NO_SYMBOL || at(3) != Keysym::NO_SYMBOL) {
            base = 2;
            // An XKB server lists a one-group key's third and fourth levels
            // (AltGr) after a copy of the first group: `e E e E EuroSign`.
            let copied = at(2) == at(0) && at(3) == at(1);
            if copied && (at(4) != Keysym::NO_SYMBOL || at(5) != Keysym::NO_SYMBOL) {
                base = 4;
            }
        }
        let (k1, k2) = (at(base), at(base + 1));
        if k2 == Keysym::NO_SYMBOL {
            let (lower, upper) = k1.case_pair();
            if lower != upper {
                return (lower, upper);
            }
            return (k1, k1);
        }
        (k1, k2)
    }

    /// Which modifier acts as Mode_switch and Num_Lock, and how Lock acts,
    /// from the keys bound to them (core protocol, "Keyboards").
    fn derive_modifier_roles(&mut self) {
        let bound = |bit: usize, keysym: Keysym| {
            self.modifier_map[bit]
                .iter()
                .any(|&kc| self.keysyms(kc).contains(&keysym.0))
        };
        let lock = if bound(1, Keysym::CAPS_LOCK) {
            LockKind::CapsLock
        } else if bound(1, Keysym::SHIFT_LOCK) {
            LockKind::ShiftLock
        } else {
            LockKind::Ignored
        };
        let mask_of = |keysym: Keysym| {
            (0..8)
                .filter(|&bit| bound(bit, keysym))
                .fold(0u16, |m, bit| m | 1 << bit)
        };
        let mode_switch_mask = mask_of(Keysym::MODE_SWITCH);
        let num_lock_mask = mask_of(Keysym::NUM_LOCK);
        self.lock = lock;
        self.mode_switch_mask = mode_switch_mask;
        self.num_lock_mask = num_lock_mask;
    }

    fn modifier_of_bit(&self, bit: usize) -> Option<Modifier> {
        let mut found: Vec<Modifier> = self.modifier_map[bit]
            .iter()
            .flat_map(|&kc| self.keysyms(kc).iter())
            .filter_map(|&k| Modifier::of_keysym(Keysym(k)))
            .filter(|m| !matches!(m, Modifier::Ctrl | Modifier::Shift))
            .collect();
        found.sort_unstable();
        found.first().copied()
    }

    fn widen(&mut self, per: usize) {
        let old = self.per_keycode;
        let mut wider = Vec::with_capacity(self.keysyms.len() / old * per);
        for row in self.keysyms.chunks_exact(old) {
            wider.extend_from_slice(row);
            wider.resize(wider.len() + per - old, 0);
        }
        self.keysyms = wider;
        self.per_keycode = per;
    }
}

fn modifier_map_from(per_modifier: u8, keycodes: &[u8]) -> [Vec<u8>; 8] {
    let mut map: [Vec<u8>; 8] = Default::default();
    let per = usize::from(per_modifier);
    if per == 0 {
        return map;
    }
    for (slot, chunk) in map.iter_mut().zip(keycodes.chunks(per)) {
        *slot = chunk.iter().copied().filter(|&kc| kc != 0).collect();
    }
    map
}

fn is_keypad(k: Keysym) -> bool {
    xkeysym::Keysym::new(k.0).is_keypad_key() || xkeysym::Keysym::new(k.0).is_private_keypad_key()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: u32 = 0x61;
    const UPPER_A: u32 = 0x41;
    const ONE: u32 = 0x31;
    const EXCLAM: u32 = 0x21;
    const KP_END: u32 = 0xff9c;
    const KP_1: u32 = 0xffb1;

    /// Keycodes 8..=15: a, 1/!, KP_End/KP_1, Caps_Lock, Mode_switch, Num_Lock,
    /// e (with a second group), spare.
    fn sample() -> Keymap {
        let rows: [[u32; 6]; 8] = [
            [A, 0, 0, 0, 0, 0],
            [ONE, EXCLAM, ONE, EXCLAM, 0xb9, 0xa1],
            [KP_END, KP_1, 0, 0, 0, 0],
            [Keysym::CAPS_LOCK.0, 0, 0, 0, 0, 0],
            [Keysym::MODE_SWITCH.0, 0, 0, 0, 0, 0],
            [Keysym::NUM_LOCK.0, 0, 0, 0, 0, 0],
            [0x65, 0x45, 0x6c7, 0x6e7, 0, 0],
            [0, 0, 0, 0, 0, 0],
        ];
        let keysyms = rows.concat();
        let mut map: [Vec<u8>; 8] = Default::default();
        map[1] = vec![11];
        map[4] = vec![13];
        map[7] = vec![12];
        Keymap::new(8, 15, 6, keysyms, map).unwrap()
    }

    #[test]
    fn shift_and_caps_lock_follow_the_protocol() {
        let km = sample();
        assert_eq!(km.lookup(8, 0), Keysym(A));
        assert_eq!(km.lookup(8, mask::SHIFT), Keysym(UPPER_A));
        assert_eq!(km.lookup(8, mask::LOCK), Keysym(UPPER_A));
        assert_eq!(
            km.lookup(9, mask::LOCK),
            Keysym(ONE),
            "caps lock leaves digits"
        );
        assert_eq!(km.lookup(9, mask::SHIFT), Keysym(EXCLAM));
        assert_eq!(km.lookup(9, mask::SHIFT | mask::LOCK), Keysym(EXCLAM));
        assert_eq!(km.lookup(8, mask::CONTROL), Keysym(A));
    }

    #[test]
    fn num_lock_selects_the_keypad_digit() {
        let km = sample();
        let num = 1 << 4;
        assert_eq!(km.lookup(10, 0), Keysym(KP_END));
        assert_eq!(km.lookup(10, num), Keysym(KP_1));
        assert_eq!(km.lookup(10, num | mask::SHIFT), Keysym(KP_END));
    }

    #[test]
    fn mode_switch_selects_the_second_group() {
        let km = sample();
        let mode = 1 << 7;
        assert_eq!(km.lookup(14, mode), Keysym(0x6c7));
        assert_eq!(km.lookup(14, mode | mask::SHIFT), Keysym(0x6e7));
        assert_eq!(km.lookup(8, mode), Keysym(A), "an empty group 2 falls back");
        assert_eq!(
            km.lookup(9, mode),
            Keysym(0xb9),
            "an XKB copy of group 1 gives way to level 3"
        );
        assert_eq!(km.lookup(14, 1 << 13), Keysym(0x6c7), "XKB group bits");
    }

    #[test]
    fn changes_apply_in_place_and_narrow_rows_pad_with_nosymbol() {
        let mut km = sample();
        let euro = 0x20ac;
        km.apply_change(15, 2, &[euro, euro]).unwrap();
        assert_eq!(km.lookup(15, 0), Keysym(euro));
        assert_eq!(km.keysyms(15), [euro, euro, 0, 0, 0, 0]);
        km.apply_change(15, 1, &[UPPER_A]).unwrap();
        assert_eq!(
            km.lookup(15, 0),
            Keysym(A),
            "a lone capital is its lower case"
        );
        km.apply_change(15, 8, &[0xdf, 0, 0, 0, 0, 0, 0, 7])
            .unwrap();
        assert_eq!(km.keysyms(15).len(), 8);
        assert_eq!(km.lookup(15, 0), Keysym(0xdf));
        assert_eq!(
            km.lookup(8, mask::SHIFT),
            Keysym(UPPER_A),
            "others survive widening"
        );
        assert!(km.apply_change(16, 1, &[A]).is_err());
        assert!(km.apply_change(15, 2, &[A]).is_err());
    }

    #[test]
    fn unbinding_caps_lock_turns_lock_off() {
        let mut km = sample();
        km.apply_change(11, 1, &[0]).unwrap();
        assert_eq!(km.lookup(8, mask::LOCK), Keysym(A));
    }

    #[test]
    fn modifiers_are_named_after_their_keys() {
        let mut km = sample();
        let mut map = vec![0u8; 8];
        map[2] = 12;
        km.apply_modifier_mapping(1, &map);
        assert_eq!(
            km.modifiers(mask::CONTROL | mask::SHIFT | 1 << 3),
            [Modifier::Ctrl, Modifier::Shift]
        );
        assert_eq!(km.base(8), Keysym(A));
    }

    #[test]
    fn keys_are_found_with_the_modifiers_that_reach_them() {
        let km = sample();
        assert_eq!(km.find(Keysym(A)), Some((8, vec![])));
        assert_eq!(km.find(Keysym(UPPER_A)), Some((8, vec![Keysym::SHIFT_L])));
        assert_eq!(km.find(Keysym(EXCLAM)), Some((9, vec![Keysym::SHIFT_L])));
        assert_eq!(
            km.find(Keysym(0x6e7)),
            Some((14, vec![Keysym::SHIFT_L, Keysym::MODE_SWITCH]))
        );
        assert_eq!(km.find(Keysym(0x20ac)), None);
        assert_eq!(km.modifier_keycode(Keysym::MODE_SWITCH), Some(12));
        assert_eq!(km.modifier_keycode(Keysym(A)), None);
    }

    #[test]
    fn keycodes_outside_the_range_have_no_symbol() {
        let km = sample();
        assert_eq!(km.lookup(7, 0), Keysym::NO_SYMBOL);
        assert_eq!(km.lookup(200, mask::SHIFT), Keysym::NO_SYMBOL);
    }
}
