//! Opening the X11 screen: the display's name, the damage subscription and
//! the clock window, and the choice between MIT-SHM and `GetImage`.

#![forbid(unsafe_code)]

use std::os::fd::AsFd;

use rustix::net::AddressFamily;
use x11rb::connection::{Connection, RequestConnection};
use x11rb::errors::{ReplyError, ReplyOrIdError};
use x11rb::protocol::xproto::{
    self, ChangeWindowAttributesAux, ConnectionExt as _, CreateWindowAux, EventMask, Window,
    WindowClass,
};
use x11rb::protocol::{damage, shm, xfixes};
use x11rb::rust_connection::RustConnection;

use super::{CaptureMethod, Ids, Pixels, full_screen};
use crate::model::{Rect, ScreenGeometry};
use crate::screen::ScreenError;
use crate::screen::shm::ShmBuffer;

/// The display to connect to: the one given, or `DISPLAY`.
pub(in crate::screen) fn display_name(display: Option<&str>) -> Result<String, ScreenError> {
    let name = match display {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => match std::env::var("DISPLAY") {
            Ok(name) if !name.is_empty() => name,
            _ => return Err(ScreenError::NoDisplay),
        },
    };
    // x11rb 0.13 computes the TCP port 6000 + N in 16 bits, and overflows
    // (a panic in debug builds) for display numbers above 59535.
    let number = name
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split('.').next())
        .and_then(|n| n.parse::<u32>().ok());
    if number.is_some_and(|n| n > 59535) {
        return Err(ScreenError::BadDisplayName {
            display: name,
            why: "display numbers above 59535 are not supported",
        });
    }
    Ok(name)
}

/// Subscribes to the damage of the root window and to its size changes,
/// and creates the clock window.
pub(super) fn create_resources(
    conn: &RustConnection,
    display: &str,
    root: Window,
    geometry: ScreenGeometry,
) -> Result<Ids, ScreenError> {
    let missing = |extension, needed_for| ScreenError::MissingExtension {
        display: display.to_string(),
        extension,
        needed_for,
    };
    let has = |name| {
        conn.extension_information(name)
            .map(|info| info.is_some())
            .during(display, "listing extensions")
    };
    if !has(damage::X11_EXTENSION_NAME)? {
        return Err(missing("DAMAGE", "learn when and where the screen changes"));
    }
    if !has(xfixes::X11_EXTENSION_NAME)? {
        return Err(missing("XFIXES", "read the areas that changed"));
    }

    let setup = || -> Result<Ids, ReplyOrIdError> {
        // Both extensions refuse requests until the version is agreed.
        damage::query_version(conn, 1, 1)?.reply()?;
        xfixes::query_version(conn, 2, 0)?.reply()?;

        conn.change_window_attributes(
            root,
            &ChangeWindowAttributesAux::new().event_mask(EventMask::STRUCTURE_NOTIFY),
        )?;

        let incoming = conn.generate_id()?;
        xfixes::create_region(conn, incoming, &[])?;
        let pending = conn.generate_id()?;
        xfixes::create_region(conn, pending, &[to_rectangle(full_screen(geometry))])?;
        let damage = conn.generate_id()?;
        damage::create(conn, damage, root, damage::ReportLevel::NON_EMPTY)?.check()?;

        let clock = conn.generate_id()?;
        conn.create_window(
            0,
            clock,
            root,
            -1,
            -1,
            1,
            1,
            0,
            WindowClass::INPUT_ONLY,
            x11rb::COPY_FROM_PARENT,
            &CreateWindowAux::new().event_mask(EventMask::PROPERTY_CHANGE),
        )?;
        let clock_atom = conn
            .intern_atom(false, b"_TRAJECTORY_CAPTURE_CLOCK")?
            .reply()?
            .atom;
        Ok(Ids {
            root,
            size: (geometry.width, geometry.height),
            damage,
            incoming,
            pending,
            clock,
            clock_atom,
        })
    };
    setup().during(display, "subscribing to screen damage")
}

/// Sets up the capture method: shared memory where asked for and possible.
pub(super) fn choose_pixels(
    conn: &RustConnection,
    display: &str,
    geometry: ScreenGeometry,
    method: CaptureMethod,
) -> Result<Pixels, ScreenError> {
    let get_image = Pixels::GetImage { data: Vec::new() };
    if method == CaptureMethod::GetImage {
        return Ok(get_image);
    }
    let len = geometry.width as usize * geometry.height as usize * 4;
    match attach_shm(conn, len) {
        Ok(pixels) => Ok(pixels),
        Err(reason) if method == CaptureMethod::Auto => {
            log::debug!("display {display}: not using MIT-SHM: {reason}; using GetImage");
            Ok(get_image)
        }
        Err(reason) => Err(ScreenError::ShmUnavailable {
            display: display.to_string(),
            reason,
        }),
    }
}

/// Creates a segment of `len` bytes and attaches it to the server, or says
/// why not.
fn attach_shm(conn: &RustConnection, len: usize) -> Result<Pixels, String> {
    match conn.extension_information(shm::X11_EXTENSION_NAME) {
        Ok(Some(_)) => {}
        Ok(None) => return Err("the server has no MIT-SHM extension".into()),
        Err(err) => return Err(format!("listing extensions failed: {err}")),
    }
    let version = shm::query_version(conn)
        .map_err(ReplyError::from)
        .and_then(|c| c.reply())
        .map_err(|err| format!("querying its version failed: {err}"))?;
    if (version.major_version, version.minor_version) < (1, 2) {
        return Err(format!(
            "the server has MIT-SHM {}.{}, and passing the segment as a file needs 1.2",
            version.major_version, version.minor_version
        ));
    }
    // Descriptors travel only over local sockets; a remote display (TCP)
    // could not map our memory anyway.
    let local = rustix::net::getsockname(conn.stream().as_fd())
        .is_ok_and(|addr| addr.address_family() == AddressFamily::UNIX);
    if !local {
        return Err("the connection is not a local socket (a remote display?)".into());
    }
    let (buffer, fd) =
        ShmBuffer::create(len).map_err(|err| format!("no shared memory of {len} bytes: {err}"))?;
    let seg = conn
        .generate_id()
        .map_err(|err| format!("no X resource id: {err}"))?;
    shm::attach_fd(conn, seg, fd, false)
        .map_err(ReplyError::from)
        .and_then(|cookie| cookie.check())
        .map_err(|err| format!("the server refused the segment: {err}"))?;
    Ok(Pixels::Shm { seg, buffer })
}

fn to_rectangle(r: Rect) -> xproto::Rectangle {
    xproto::Rectangle {
        x: r.x as i16,
        y: r.y as i16,
        width: r.width as u16,
        height: r.height as u16,
    }
}

/// Attaches the display and what was being done to an X error.
pub(super) trait During<T> {
    fn during(self, display: &str, during: &'static str) -> Result<T, ScreenError>;
}

impl<T, E: Into<ReplyOrIdError>> During<T> for Result<T, E> {
    fn during(self, display: &str, during: &'static str) -> Result<T, ScreenError> {
        self.map_err(|source| ScreenError::X11 {
            display: display.to_string(),
            during,
            source: source.into(),
        })
    }
}
