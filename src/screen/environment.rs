//! What a trajectory's header records about the display it was made on:
//! geometry and depth, resolution, keyboard layout, window manager.
//!
//! Replay compares these with the live display before the first action:
//! a different geometry stops it, a different DPI or layout is warned about.

#![forbid(unsafe_code)]

use x11rb::connection::Connection;
use x11rb::errors::ReplyError;
use x11rb::protocol::xproto::{self, AtomEnum, ConnectionExt as _, Window};

use super::ScreenError;
use crate::model::{Dpi, Header, KeyboardLayout, ScreenGeometry};

/// What is known about a display.
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    /// Size and depth of the screen.
    pub screen: ScreenGeometry,
    /// Resolution computed from the size in millimetres the server reports,
    /// rounded to whole dots per inch; `None` when it reports no size.
    pub dpi: Option<Dpi>,
    /// The XKB names (`_XKB_RULES_NAMES`); `None` when the server has none.
    pub keyboard: Option<KeyboardLayout>,
    /// The running window manager's name (EWMH `_NET_WM_NAME`), `unknown`
    /// for one that does not say, `None` when none runs or the manager does
    /// not follow EWMH.
    pub window_manager: Option<String>,
}

impl Environment {
    /// Writes what was probed into a trajectory's header.
    pub fn fill_header(&self, header: &mut Header) {
        header.screen = self.screen;
        header.dpi = self.dpi;
        header.keyboard = self.keyboard.clone();
        header.window_manager = self.window_manager.clone();
    }
}

/// Probes `display` (`None`: the `DISPLAY` variable) on a connection of its
/// own.
///
/// # Errors
///
/// When the display cannot be reached or does not answer.
pub fn probe(display: Option<&str>) -> Result<Environment, ScreenError> {
    let display = super::x11::display_name(display)?;
    let (conn, screen_num) =
        x11rb::connect(Some(&display)).map_err(|source| ScreenError::Connect {
            display: display.clone(),
            source,
        })?;
    probe_connection(&conn, screen_num, &display)
}

/// Probes screen `screen_num` over an open connection; `display` names it in
/// errors.
///
/// # Errors
///
/// When the X server does not answer.
pub fn probe_connection<C: Connection>(
    conn: &C,
    screen_num: usize,
    display: &str,
) -> Result<Environment, ScreenError> {
    let fail = |source: ReplyError| ScreenError::X11 {
        display: display.to_string(),
        during: "probing the display",
        source: source.into(),
    };
    let screen = &conn.setup().roots[screen_num];
    let geometry = ScreenGeometry::from(screen);
    let dpi = dpi(
        (screen.width_in_pixels, screen.width_in_millimeters),
        (screen.height_in_pixels, screen.height_in_millimeters),
    );
    let keyboard = keyboard(conn, screen.root).map_err(fail)?;
    let window_manager = window_manager(conn, screen.root).map_err(fail)?;
    Ok(Environment {
        screen: geometry,
        dpi,
        keyboard,
        window_manager,
    })
}

/// Dots per inch from a size in pixels and millimetres. Servers report
/// whole millimetres, so anything finer than a whole DPI is noise: Xvfb's
/// default 100 DPI comes back as 1920 px over 488 mm, 99.93.
fn dpi((px_x, mm_x): (u16, u16), (px_y, mm_y): (u16, u16)) -> Option<Dpi> {
    if mm_x == 0 || mm_y == 0 {
        return None;
    }
    let per_inch = |px: u16, mm: u16| (f32::from(px) * 25.4 / f32::from(mm)).round();
    Some(Dpi {
        x: per_inch(px_x, mm_x),
        y: per_inch(px_y, mm_y),
    })
}

/// The root's `_XKB_RULES_NAMES`: rules, model, layout, variant, options.
fn keyboard<C: Connection>(conn: &C, root: Window) -> Result<Option<KeyboardLayout>, ReplyError> {
    let Some(atom) = existing_atom(conn, b"_XKB_RULES_NAMES")? else {
        return Ok(None);
    };
    let value = property(conn, root, atom, AtomEnum::STRING.into())?;
    Ok(value.map(|bytes| parse_rules_names(&bytes)))
}

/// Splits the NUL-separated names; missing trailing ones are empty.
fn parse_rules_names(bytes: &[u8]) -> KeyboardLayout {
    let mut names = bytes
        .split(|&b| b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned());
    let mut next = || names.next().unwrap_or_default();
    KeyboardLayout {
        rules: next(),
        model: next(),
        layout: next(),
        variant: next(),
        options: next(),
    }
}

/// The window manager's name, following EWMH: the root's
/// `_NET_SUPPORTING_WM_CHECK` names a window whose own property names
/// itself (otherwise it is left over from a manager that exited), and that
/// window carries the name.
fn window_manager<C: Connection>(conn: &C, root: Window) -> Result<Option<String>, ReplyError> {
    let Some(check) = existing_atom(conn, b"_NET_SUPPORTING_WM_CHECK")? else {
        return Ok(None);
    };
    let Some(wm) = window_property(conn, root, check)? else {
        return Ok(None);
    };
    match window_property(conn, wm, check) {
        Ok(Some(own)) if own == wm => {}
        Ok(_) => return Ok(None),
        // The window is gone: a manager that exited without cleaning up.
        Err(ReplyError::X11Error(_)) => return Ok(None),
        Err(err) => return Err(err),
    }

    let utf8 = existing_atom(conn, b"UTF8_STRING")?;
    let net_name = existing_atom(conn, b"_NET_WM_NAME")?;
    if let (Some(utf8), Some(net_name)) = (utf8, net_name)
        && let Some(bytes) = property(conn, wm, net_name, utf8)?
    {
        return Ok(Some(name_or_unknown(
            String::from_utf8_lossy(&bytes).into(),
        )));
    }
    let latin1 = property(conn, wm, AtomEnum::WM_NAME.into(), AtomEnum::STRING.into())?;
    let name = latin1.map(|bytes| bytes.iter().map(|&b| char::from(b)).collect());
    Ok(Some(name_or_unknown(name.unwrap_or_default())))
}

fn name_or_unknown(name: String) -> String {
    let name = name.trim_end_matches('\0').trim();
    if name.is_empty() {
        "unknown".to_string()
    } else {
        name.to_string()
    }
}

/// An atom's number if the server knows it; a property named by an atom
/// that does not exist cannot be set, and probing creates no atoms.
fn existing_atom<C: Connection>(conn: &C, name: &[u8]) -> Result<Option<u32>, ReplyError> {
    let atom = conn.intern_atom(true, name)?.reply()?.atom;
    Ok((atom != x11rb::NONE).then_some(atom))
}

/// The first window id stored in a `WINDOW` property.
fn window_property<C: Connection>(
    conn: &C,
    window: Window,
    property: u32,
) -> Result<Option<Window>, ReplyError> {
    let reply = conn
        .get_property(false, window, property, AtomEnum::WINDOW, 0, 1)?
        .reply()?;
    Ok(reply.value32().and_then(|mut v| v.next()))
}

/// The bytes of a property of the given type, up to 64 KiB; `None` when it
/// is not set or has another type.
fn property<C: Connection>(
    conn: &C,
    window: Window,
    property: u32,
    type_: u32,
) -> Result<Option<Vec<u8>>, ReplyError> {
    let reply = conn
        .get_property(false, window, property, type_, 0, 16 * 1024)?
        .reply()?;
    Ok((reply.type_ == type_ && reply.format == 8).then_some(reply.value))
}

impl From<&xproto::Screen> for ScreenGeometry {
    fn from(screen: &xproto::Screen) -> ScreenGeometry {
        ScreenGeometry {
            width: u32::from(screen.width_in_pixels),
            height: u32::from(screen.height_in_pixels),
            depth: screen.root_depth,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_names_split_at_nul_bytes() {
        let k = parse_rules_names(b"evdev\0pc105\0us,de\0,nodeadkeys\0grp:alt_shift_toggle\0");
        assert_eq!(k.rules, "evdev");
        assert_eq!(k.model, "pc105");
        assert_eq!(k.layout, "us,de");
        assert_eq!(k.variant, ",nodeadkeys");
        assert_eq!(k.options, "grp:alt_shift_toggle");
    }

    #[test]
    fn missing_rules_names_are_empty() {
        let k = parse_rules_names(b"base\0pc104");
        assert_eq!((k.rules.as_str(), k.model.as_str()), ("base", "pc104"));
        assert_eq!(k.layout, "");
        assert_eq!(k.options, "");
    }

    #[test]
    fn dpi_rounds_to_whole_dots_per_inch() {
        let d = dpi((1920, 488), (1080, 274)).unwrap();
        assert_eq!((d.x, d.y), (100.0, 100.0));
        let d = dpi((2560, 597), (1440, 336)).unwrap();
        assert_eq!((d.x, d.y), (109.0, 109.0));
    }

    #[test]
    fn no_millimetres_means_no_dpi() {
        assert_eq!(dpi((1920, 0), (1080, 274)), None);
    }

    #[test]
    fn empty_window_manager_names_read_as_unknown() {
        assert_eq!(name_or_unknown("\0".into()), "unknown");
        assert_eq!(name_or_unknown("Openbox".into()), "Openbox");
    }
}
