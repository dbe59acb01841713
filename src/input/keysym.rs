//! Keysyms and their names, as X names them (`Return`, `BackSpace`,
//! `Page_Down`, `ssharp`, `XF86AudioPlay`).
//!
//! Key actions store keysym names, so the names are part of the file format
//! and must never change under us. `xkeysym` (already compiled in through
//! enigo) turns a value into a name, but says its names are for debugging
//! only, keeps one name per value and cannot look a name up. So the names
//! live in our own table, [`keysym_table`](super::keysym_table), generated
//! from the X.Org headers (`keysymdef.h`, `XF86keysym.h`) and checked
//! against them by a test whenever the headers are installed.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use super::keysym_table::KEYSYMS;

/// An X keysym: the symbol a key produces, as opposed to the keycode that
/// says which physical key it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Keysym(pub u32);

impl Keysym {
    /// No symbol: an empty slot of the keyboard mapping.
    pub const NO_SYMBOL: Keysym = Keysym(0);
    /// Left Shift.
    pub const SHIFT_L: Keysym = Keysym(0xffe1);
    /// Right Shift.
    pub const SHIFT_R: Keysym = Keysym(0xffe2);
    /// Left Control.
    pub const CONTROL_L: Keysym = Keysym(0xffe3);
    /// Right Control.
    pub const CONTROL_R: Keysym = Keysym(0xffe4);
    /// Caps Lock.
    pub const CAPS_LOCK: Keysym = Keysym(0xffe5);
    /// Shift Lock.
    pub const SHIFT_LOCK: Keysym = Keysym(0xffe6);
    /// Left Meta.
    pub const META_L: Keysym = Keysym(0xffe7);
    /// Right Meta.
    pub const META_R: Keysym = Keysym(0xffe8);
    /// Left Alt.
    pub const ALT_L: Keysym = Keysym(0xffe9);
    /// Right Alt.
    pub const ALT_R: Keysym = Keysym(0xffea);
    /// Left Super (the Windows key).
    pub const SUPER_L: Keysym = Keysym(0xffeb);
    /// Right Super.
    pub const SUPER_R: Keysym = Keysym(0xffec);
    /// Left Hyper.
    pub const HYPER_L: Keysym = Keysym(0xffed);
    /// Right Hyper.
    pub const HYPER_R: Keysym = Keysym(0xffee);
    /// Mode_switch: selects the second group of the core mapping.
    pub const MODE_SWITCH: Keysym = Keysym(0xff7e);
    /// Num Lock.
    pub const NUM_LOCK: Keysym = Keysym(0xff7f);
    /// The third-level shift, AltGr on most layouts.
    pub const ISO_LEVEL3_SHIFT: Keysym = Keysym(0xfe03);
    /// Return (Enter).
    pub const RETURN: Keysym = Keysym(0xff0d);
    /// Tab.
    pub const TAB: Keysym = Keysym(0xff09);

    /// The keysym called `name`, as `XStringToKeysym` reads it: a name from
    /// the X headers (`Return`, `a`, `XF86AudioPlay`), `U20AC` for a Unicode
    /// code point, or `0x1008ff14` for a raw value. `None` when the name is
    /// unknown.
    pub fn from_name(name: &str) -> Option<Keysym> {
        if let Some(&value) = BY_NAME.get(name) {
            return Some(Keysym(value));
        }
        if let Some(hex) = name.strip_prefix('U')
            && (1..=6).contains(&hex.len())
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            let cp = u32::from_str_radix(hex, 16).ok()?;
            return char::from_u32(cp).map(Keysym::from_char);
        }
        if let Some(hex) = name.strip_prefix("0x")
            && (1..=8).contains(&hex.len())
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return u32::from_str_radix(hex, 16).ok().map(Keysym);
        }
        None
    }

    /// The name `XKeysymToString` would give: the first name the X headers
    /// list for this value (later ones are deprecated aliases), `U20AC` for a
    /// Unicode keysym without a name, otherwise the value in hex.
    pub fn name(self) -> String {
        if let Some(name) = BY_VALUE.get(&self.0) {
            return (*name).to_string();
        }
        if (0x0100_0100..=0x0110_ffff).contains(&self.0) {
            return format!("U{:04X}", self.0 - 0x0100_0000);
        }
        format!("{:#x}", self.0)
    }

    /// The keysym that types `c`: Latin-1 characters are their own keysym,
    /// others are looked up in the X tables or encoded as Unicode keysyms
    /// (`0x1000000 + code point`). Newline and tab are the Return and Tab
    /// keys, since that is what typing them means.
    pub fn from_char(c: char) -> Keysym {
        match c {
            '\n' | '\r' => Keysym::RETURN,
            '\t' => Keysym::TAB,
            _ => Keysym(xkeysym::Keysym::from_char(c).raw()),
        }
    }

    /// The character this keysym types, if it types one.
    pub fn to_char(self) -> Option<char> {
        match self {
            Keysym::RETURN => Some('\n'),
            Keysym::TAB => Some('\t'),
            _ => xkeysym::Keysym::new(self.0)
                .key_char()
                .filter(|c| !c.is_control()),
        }
    }

    /// Whether this is one of the modifier keys (Shift, Control, Alt, Meta,
    /// Super, Hyper, Caps/Shift/Num Lock, Mode_switch, the ISO level and
    /// group shifts).
    pub fn is_modifier(self) -> bool {
        xkeysym::Keysym::new(self.0).is_modifier_key()
    }

    /// The lower- and upper-case forms of this keysym, as the core protocol
    /// pairs them when a key lists only one keysym for a group (`a` and
    /// `A`). Keysyms without case give themselves twice.
    pub fn case_pair(self) -> (Keysym, Keysym) {
        // Through the characters: Unicode knows the case of every script
        // X has keysyms for (Latin, Greek, Cyrillic, Armenian, ...).
        let Some(c) = self.to_char() else {
            return (self, self);
        };
        let single = |it: &mut dyn Iterator<Item = char>| match (it.next(), it.next()) {
            (Some(c), None) => Keysym::from_char(c),
            _ => self,
        };
        let lower = single(&mut c.to_lowercase());
        let upper = single(&mut c.to_uppercase());
        (lower, upper)
    }
}

impl fmt::Display for Keysym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Every name, aliases included, to its value.
static BY_NAME: LazyLock<HashMap<&'static str, u32>> =
    LazyLock::new(|| KEYSYMS.iter().map(|&(name, value)| (name, value)).collect());

/// Every value to its first (canonical) name.
static BY_VALUE: LazyLock<HashMap<u32, &'static str>> = LazyLock::new(|| {
    let mut map = HashMap::with_capacity(KEYSYMS.len());
    for &(name, value) in KEYSYMS {
        map.entry(value).or_insert(name);
    }
    map
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_as_xstringtokeysym_reads_them() {
        assert_eq!(Keysym::from_name("Return"), Some(Keysym(0xff0d)));
        assert_eq!(Keysym::from_name("BackSpace"), Some(Keysym(0xff08)));
        assert_eq!(Keysym::from_name("Page_Down"), Some(Keysym(0xff56)));
        assert_eq!(Keysym::from_name("Next"), Some(Keysym(0xff56)));
        assert_eq!(Keysym::from_name("a"), Some(Keysym(0x61)));
        assert_eq!(Keysym::from_name("A"), Some(Keysym(0x41)));
        assert_eq!(Keysym::from_name("ssharp"), Some(Keysym(0xdf)));
        assert_eq!(Keysym::from_name("F5"), Some(Keysym(0xffc2)));
        assert_eq!(Keysym::from_name("EuroSign"), Some(Keysym(0x20ac)));
        assert_eq!(
            Keysym::from_name("XF86AudioPlay"),
            Some(Keysym(0x1008_ff14))
        );
        assert_eq!(Keysym::from_name("U263A"), Some(Keysym(0x0100_263a)));
        assert_eq!(Keysym::from_name("0xff0d"), Some(Keysym(0xff0d)));
        assert_eq!(Keysym::from_name("return"), None);
        assert_eq!(Keysym::from_name("Ux"), None);
        assert_eq!(Keysym::from_name(""), None);
    }

    #[test]
    fn values_print_with_the_first_name_the_headers_list() {
        assert_eq!(Keysym(0xff0d).name(), "Return");
        assert_eq!(Keysym(0xff56).name(), "Next");
        assert_eq!(Keysym(0x27).name(), "apostrophe");
        assert_eq!(Keysym(0x0100_263a).name(), "U263A");
        assert_eq!(Keysym(0x7fff_0000).name(), "0x7fff0000");
    }

    #[test]
    fn every_name_reads_back_as_its_value() {
        for &(name, value) in KEYSYMS {
            let canonical = Keysym(value).name();
            assert_eq!(Keysym::from_name(&canonical), Some(Keysym(value)), "{name}");
        }
    }

    #[test]
    fn characters_map_to_the_keysyms_that_type_them() {
        for c in "Hello, World! ~{}ß€\n\t".chars() {
            let k = Keysym::from_char(c);
            assert_eq!(k.to_char(), Some(c), "{c:?} -> {k}");
        }
        assert_eq!(Keysym::from_char('€'), Keysym(0x20ac));
        assert_eq!(Keysym::from_char('☺'), Keysym(0x0100_263a));
        assert_eq!(Keysym::SHIFT_L.to_char(), None);
    }

    #[test]
    fn case_pairs_follow_the_protocol() {
        assert_eq!(Keysym(0x61).case_pair(), (Keysym(0x61), Keysym(0x41)));
        assert_eq!(Keysym(0xdf).case_pair().0, Keysym(0xdf));
        assert_eq!(Keysym(0x31).case_pair(), (Keysym(0x31), Keysym(0x31)));
    }

    /// Regenerates `keysym_table.rs` from the X headers when they are
    /// installed (Debian: `x11proto-dev`), and fails when the committed
    /// table differs from them. Run with `TRAJECTORY_REGENERATE=1` to
    /// rewrite the table after the headers changed.
    #[test]
    fn table_matches_the_x_headers() {
        let headers = [
            ("/usr/include/X11/keysymdef.h", "XK_", ""),
            ("/usr/include/X11/XF86keysym.h", "XF86XK_", "XF86"),
        ];
        let mut entries: Vec<(String, u32)> = Vec::new();
        for (path, prefix, replacement) in headers {
            let Ok(text) = std::fs::read_to_string(path) else {
                eprintln!("skipped: {path} is not installed (Debian: x11proto-dev)");
                return;
            };
            entries.extend(parse_header(&text, prefix, replacement));
        }
        let generated = render_table(&entries);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/input/keysym_table.rs");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        if committed != generated {
            if std::env::var_os("TRAJECTORY_REGENERATE").is_some() {
                std::fs::write(path, &generated).unwrap();
            } else {
                panic!(
                    "{path} differs from the X headers; rerun with TRAJECTORY_REGENERATE=1 \
                     to rewrite it"
                );
            }
        }
    }

    /// `#define XK_name 0xVALUE` and `#define XF86XK_name _EVDEVK(0xV)`.
    fn parse_header(text: &str, prefix: &str, replacement: &str) -> Vec<(String, u32)> {
        let mut out = Vec::new();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            if words.next() != Some("#define") {
                continue;
            }
            let (Some(name), Some(value)) = (words.next(), words.next()) else {
                continue;
            };
            let Some(name) = name.strip_prefix(prefix) else {
                continue;
            };
            let value = if let Some(v) = value
                .strip_prefix("_EVDEVK(0x")
                .and_then(|v| v.strip_suffix(')'))
            {
                0x1008_1000 + u32::from_str_radix(v, 16).unwrap()
            } else if let Some(v) = value.strip_prefix("0x") {
                u32::from_str_radix(v, 16).unwrap()
            } else {
                continue;
            };
            out.push((format!("{replacement}{name}"), value));
        }
        out
    }

    fn render_table(entries: &[(String, u32)]) -> String {
        let mut s = String::from(
            "//! Keysym names and values, in the order the X.Org headers list them\n\
             //! (`keysymdef.h`, then `XF86keysym.h`); the first name of a value is its\n\
             //! canonical one. Generated by the test `table_matches_the_x_headers` in\n\
             //! `keysym.rs`: do not edit by hand.\n\
             \n\
             #![forbid(unsafe_code)]\n\
             \n\
             /// `(name, value)` for every keysym name X knows.\n\
             #[rustfmt::skip]\n\
             pub(super) static KEYSYMS: &[(&str, u32)] = &[\n",
        );
        for (name, value) in entries {
            s.push_str(&format!("    ({name:?}, {value:#x}),\n"));
        }
        s.push_str("];\n");
        s
    }
}
