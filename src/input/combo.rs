//! Key combinations as key actions write them: keysym names joined with
//! `+`, modifiers first (`ctrl+shift+t`, `Return`, `alt+F4`, `super+l`).

#![forbid(unsafe_code)]

use std::fmt;
use std::str::FromStr;

use super::keysym::Keysym;

/// A modifier of a key combination, named by its alias.
///
/// Each is pressed as its left-hand key (`ctrl` is `Control_L`), since
/// applications treat both sides alike and the left keys are on every
/// layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Modifier {
    /// Control (`ctrl`, `control`).
    Ctrl,
    /// Alt (`alt`).
    Alt,
    /// Shift (`shift`).
    Shift,
    /// Super, the Windows key (`super`, `win`).
    Super,
    /// Meta (`meta`).
    Meta,
    /// Hyper (`hyper`).
    Hyper,
    /// The third-level shift (`ISO_Level3_Shift`), AltGr on most layouts.
    AltGr,
}

impl Modifier {
    /// Every modifier, in the order a combination prints them.
    pub const ALL: [Modifier; 7] = [
        Modifier::Ctrl,
        Modifier::Alt,
        Modifier::Shift,
        Modifier::Super,
        Modifier::Meta,
        Modifier::Hyper,
        Modifier::AltGr,
    ];

    /// The alias a combination prints: `ctrl`, `alt`, `shift`, `super`,
    /// `meta`, `hyper`, `altgr`.
    pub fn alias(self) -> &'static str {
        match self {
            Modifier::Ctrl => "ctrl",
            Modifier::Alt => "alt",
            Modifier::Shift => "shift",
            Modifier::Super => "super",
            Modifier::Meta => "meta",
            Modifier::Hyper => "hyper",
            Modifier::AltGr => "altgr",
        }
    }

    /// The modifier an alias names, ignoring case: the printed aliases plus
    /// `control` and `win`.
    pub fn from_alias(alias: &str) -> Option<Modifier> {
        let m = match alias.to_ascii_lowercase().as_str() {
            "ctrl" | "control" => Modifier::Ctrl,
            "alt" => Modifier::Alt,
            "shift" => Modifier::Shift,
            "super" | "win" => Modifier::Super,
            "meta" => Modifier::Meta,
            "hyper" => Modifier::Hyper,
            "altgr" => Modifier::AltGr,
            _ => return None,
        };
        Some(m)
    }

    /// The key pressed for this modifier.
    pub fn keysym(self) -> Keysym {
        match self {
            Modifier::Ctrl => Keysym::CONTROL_L,
            Modifier::Alt => Keysym::ALT_L,
            Modifier::Shift => Keysym::SHIFT_L,
            Modifier::Super => Keysym::SUPER_L,
            Modifier::Meta => Keysym::META_L,
            Modifier::Hyper => Keysym::HYPER_L,
            Modifier::AltGr => Keysym::ISO_LEVEL3_SHIFT,
        }
    }

    /// The modifier a modifier key stands for, either side (`Control_R` is
    /// `ctrl`). Lock keys and group switches are none.
    pub fn of_keysym(keysym: Keysym) -> Option<Modifier> {
        let m = match keysym {
            Keysym::CONTROL_L | Keysym::CONTROL_R => Modifier::Ctrl,
            Keysym::ALT_L | Keysym::ALT_R => Modifier::Alt,
            Keysym::SHIFT_L | Keysym::SHIFT_R => Modifier::Shift,
            Keysym::SUPER_L | Keysym::SUPER_R => Modifier::Super,
            Keysym::META_L | Keysym::META_R => Modifier::Meta,
            Keysym::HYPER_L | Keysym::HYPER_R => Modifier::Hyper,
            Keysym::ISO_LEVEL3_SHIFT => Modifier::AltGr,
            _ => return None,
        };
        Some(m)
    }
}

/// A key pressed while modifiers are held: `ctrl+shift+t` is Control and
/// Shift held while `t` is pressed and released.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyCombo {
    /// Held in this order, released in reverse; sorted and without repeats.
    modifiers: Vec<Modifier>,
    key: Keysym,
}

impl KeyCombo {
    /// `key` with `modifiers` held (given in any order, repeats ignored).
    pub fn new(modifiers: impl IntoIterator<Item = Modifier>, key: Keysym) -> KeyCombo {
        let mut modifiers: Vec<Modifier> = modifiers.into_iter().collect();
        modifiers.sort_unstable();
        modifiers.dedup();
        KeyCombo { modifiers, key }
    }

    /// The modifiers, in the order they are pressed.
    pub fn modifiers(&self) -> &[Modifier] {
        &self.modifiers
    }

    /// The key pressed last and released first.
    pub fn key(&self) -> Keysym {
        self.key
    }

    /// Every key of the combination in the order it is pressed.
    pub fn keysyms(&self) -> impl Iterator<Item = Keysym> + '_ {
        self.modifiers
            .iter()
            .map(|m| m.keysym())
            .chain(std::iter::once(self.key))
    }
}

impl fmt::Display for KeyCombo {
    /// Modifier aliases in a fixed order, then the key's canonical name:
    /// `ctrl+shift+t`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.modifiers {
            write!(f, "{}+", m.alias())?;
        }
        f.write_str(&self.key.name())
    }
}

/// A key combination that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyComboError {
    /// Nothing but blanks.
    #[error(
        "key combination {combo:?} is empty; expected keysym names joined with +, \
         such as ctrl+s or Return"
    )]
    Empty {
        /// The text given.
        combo: String,
    },
    /// Two `+` with nothing between them, or a trailing `+`.
    #[error(
        "key combination {combo:?} has an empty name between two +; write the plus key as \
         `plus` (ctrl+plus)"
    )]
    EmptyName {
        /// The text given.
        combo: String,
    },
    /// A name that is neither a keysym nor a modifier.
    #[error(
        "key combination {combo:?}: unknown key name {name:?}; expected a keysym name as X \
         spells them (Return, BackSpace, Page_Down, a, F5, ssharp) or a modifier \
         (ctrl, alt, shift, super, meta, hyper, altgr)"
    )]
    UnknownName {
        /// The text given.
        combo: String,
        /// The part that is not a known name.
        name: String,
    },
    /// An ordinary key before the last place.
    #[error(
        "key combination {combo:?}: {name:?} is not a modifier, but only the last key of a \
         combination may be an ordinary key (write modifiers first, as in ctrl+shift+t)"
    )]
    NotAModifier {
        /// The text given.
        combo: String,
        /// The key that is not a modifier.
        name: String,
    },
}

impl FromStr for KeyCombo {
    type Err = KeyComboError;

    /// Parses `ctrl+shift+t`. Modifier aliases ignore case; key names are
    /// keysym names and do (`a` and `A` differ). A single character stands
    /// for the keysym that types it (`ctrl+,` is `ctrl+comma`), and a
    /// trailing `++` is the plus key.
    fn from_str(s: &str) -> Result<KeyCombo, KeyComboError> {
        let combo = || s.to_string();
        if s.trim().is_empty() {
            return Err(KeyComboError::Empty { combo: combo() });
        }

        // A `+` that ends the text after another `+` (or stands alone) is
        // the key itself, not a separator.
        let (head, last) = match s.strip_suffix("++") {
            Some(head) => (Some(head), "+"),
            None if s == "+" => (None, "+"),
            None => match s.rsplit_once('+') {
                Some((head, last)) => (Some(head), last),
                None => (None, s),
            },
        };

        let mut modifiers = Vec::new();
        for name in head.into_iter().flat_map(|h| h.split('+')).map(str::trim) {
            if name.is_empty() {
                return Err(KeyComboError::EmptyName { combo: combo() });
            }
            let m = Modifier::from_alias(name)
                .or_else(|| Keysym::from_name(name).and_then(Modifier::of_keysym));
            match m {
                Some(m) => modifiers.push(m),
                None if key_from_name(name).is_some() => {
                    return Err(KeyComboError::NotAModifier {
                        combo: combo(),
                        name: name.to_string(),
                    });
                }
                None => {
                    return Err(KeyComboError::UnknownName {
                        combo: combo(),
                        name: name.to_string(),
                    });
                }
            }
        }

        let last = if last == "+" { last } else { last.trim() };
        if last.is_empty() {
            return Err(KeyComboError::EmptyName { combo: combo() });
        }
        let key = key_from_name(last).ok_or_else(|| KeyComboError::UnknownName {
            combo: combo(),
            name: last.to_string(),
        })?;
        Ok(KeyCombo::new(modifiers, key))
    }
}

/// A key name: a keysym name, a modifier alias (its left key), or one
/// character.
fn key_from_name(name: &str) -> Option<Keysym> {
    if let Some(k) = Keysym::from_name(name) {
        return Some(k);
    }
    if let Some(m) = Modifier::from_alias(name) {
        return Some(m.keysym());
    }
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if !c.is_control() => Some(Keysym::from_char(c)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> KeyCombo {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn combinations_parse_and_print_modifiers_first() {
        let c = parse("ctrl+shift+t");
        assert_eq!(c.modifiers(), [Modifier::Ctrl, Modifier::Shift]);
        assert_eq!(c.key(), Keysym(0x74));
        assert_eq!(c.to_string(), "ctrl+shift+t");
        assert_eq!(parse("Return").to_string(), "Return");
        assert_eq!(parse("alt+F4").to_string(), "alt+F4");
        assert_eq!(parse("super+l").to_string(), "super+l");
        assert_eq!(parse("ctrl+alt+Delete").to_string(), "ctrl+alt+Delete");
    }

    #[test]
    fn aliases_and_modifier_keysyms_normalize() {
        assert_eq!(parse("Shift+CONTROL+t").to_string(), "ctrl+shift+t");
        assert_eq!(parse("Control_R+Alt_L+x").to_string(), "ctrl+alt+x");
        assert_eq!(parse("win+e").to_string(), "super+e");
        assert_eq!(parse("ctrl+ctrl+c").to_string(), "ctrl+c");
        assert_eq!(
            parse("altgr+e").keysyms().next(),
            Some(Keysym::ISO_LEVEL3_SHIFT)
        );
    }

    #[test]
    fn single_characters_and_the_plus_key_are_accepted() {
        assert_eq!(parse("ctrl+,").to_string(), "ctrl+comma");
        assert_eq!(parse("ctrl++").to_string(), "ctrl+plus");
        assert_eq!(parse("+").to_string(), "plus");
        assert_eq!(parse("ß").to_string(), "ssharp");
        assert_eq!(parse("ctrl+Page_Down").key(), Keysym(0xff56));
    }

    #[test]
    fn a_lone_modifier_is_a_key() {
        let c = parse("shift");
        assert!(c.modifiers().is_empty());
        assert_eq!(c.key(), Keysym::SHIFT_L);
        assert_eq!(parse(&c.to_string()), c);
    }

    #[test]
    fn errors_name_the_offending_part() {
        let err = "ctrl+Retrun".parse::<KeyCombo>().unwrap_err();
        assert!(matches!(&err, KeyComboError::UnknownName { name, .. } if name == "Retrun"));
        assert!(err.to_string().contains("\"Retrun\""), "{err}");
        let err = "a+b".parse::<KeyCombo>().unwrap_err();
        assert!(matches!(&err, KeyComboError::NotAModifier { name, .. } if name == "a"));
        assert!(matches!(
            "".parse::<KeyCombo>(),
            Err(KeyComboError::Empty { .. })
        ));
        assert!(matches!(
            "ctrl++s".parse::<KeyCombo>(),
            Err(KeyComboError::EmptyName { .. })
        ));
        assert!(matches!(
            "ctrl+".parse::<KeyCombo>(),
            Err(KeyComboError::EmptyName { .. })
        ));
    }

    #[test]
    fn printing_then_parsing_gives_the_same_combination() {
        for k in [
            0x20u32,
            0x41,
            0xdf,
            0xff0d,
            0xff56,
            0xffe1,
            0x20ac,
            0x0100_263a,
        ] {
            for mods in [vec![], vec![Modifier::Ctrl], Modifier::ALL.to_vec()] {
                let c = KeyCombo::new(mods, Keysym(k));
                assert_eq!(parse(&c.to_string()), c, "{c}");
            }
        }
    }
}
