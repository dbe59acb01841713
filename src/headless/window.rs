//! Waiting until an application's window is on screen.
//!
//! The waiter listens for windows being mapped on the root window and looks
//! for a viewable window whose `WM_CLASS` matches, among the root's
//! children and (under a window manager, which puts each window in a frame)
//! their children. It selects the events before it first looks, so a window
//! mapped in between is not missed.

#![forbid(unsafe_code)]

use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::errors::ReplyOrIdError;
use x11rb::protocol::xproto::{
    AtomEnum, ChangeWindowAttributesAux, ConnectionExt as _, EventMask, MapState, Window,
    WindowClass,
};
use x11rb::rust_connection::RustConnection;

use super::HeadlessError;
use crate::model::Rect;
use crate::screen::poll::wait_readable;

/// How often the waiter also checks that the application still runs.
const RECHECK: Duration = Duration::from_millis(100);

/// How deep below the root a client window may be (root, frame, client).
const MAX_DEPTH: u32 = 2;

/// A window found on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedWindow {
    /// The X window id.
    pub id: u32,
    /// Where it is, in screen coordinates (border excluded).
    pub rect: Rect,
    /// Its `WM_CLASS` instance name (`xcalc`).
    pub instance: String,
    /// Its `WM_CLASS` class name (`XCalc`).
    pub class: String,
}

/// Waits for a viewable window of `class` on `display`; `alive` is asked
/// now and then and ends the wait with its error.
pub(super) fn wait_for_window(
    display: &str,
    class: &str,
    timeout: Duration,
    mut alive: impl FnMut() -> Result<(), HeadlessError>,
) -> Result<MappedWindow, HeadlessError> {
    let started = Instant::now();
    let (conn, screen_num) =
        x11rb::connect(Some(display)).map_err(|source| HeadlessError::Connect {
            display: display.to_string(),
            source,
        })?;
    let root = conn.setup().roots[screen_num].root;
    let x11 = |source: ReplyOrIdError| HeadlessError::X11 {
        display: display.to_string(),
        source,
    };

    conn.change_window_attributes(
        root,
        &ChangeWindowAttributesAux::new().event_mask(EventMask::SUBSTRUCTURE_NOTIFY),
    )
    .map_err(|e| x11(e.into()))?;
    conn.flush().map_err(|e| x11(e.into()))?;

    loop {
        if let Some(found) = find(&conn, root, root, class, 0).map_err(x11)? {
            return Ok(found);
        }
        alive()?;
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(HeadlessError::WindowTimeout {
                class: class.to_string(),
                display: display.to_string(),
                waited: started.elapsed(),
            });
        }
        // Sleep until something is mapped (or reconfigured), but wake
        // now and then to notice an application that died.
        let _ = wait_readable(conn.stream().as_fd(), Some(left.min(RECHECK)));
        while conn.poll_for_event().map_err(|e| x11(e.into()))?.is_some() {}
    }
}

/// Searches `parent`'s children, `depth` levels below the root.
fn find(
    conn: &RustConnection,
    root: Window,
    parent: Window,
    class: &str,
    depth: u32,
) -> Result<Option<MappedWindow>, ReplyOrIdError> {
    let children = match conn.query_tree(parent)?.reply() {
        Ok(tree) => tree.children,
        // The window went away while we looked.
        Err(x11rb::errors::ReplyError::X11Error(_)) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    // Topmost first: a newer window of the same class is found first.
    for &window in children.iter().rev() {
        let Ok(attributes) = conn.get_window_attributes(window)?.reply() else {
            continue;
        };
        if attributes.map_state != MapState::VIEWABLE
            || attributes.class != WindowClass::INPUT_OUTPUT
        {
            continue;
        }
        if let Some((instance, class_name)) = wm_class(conn, window)?
            && (instance.eq_ignore_ascii_case(class) || class_name.eq_ignore_ascii_case(class))
        {
            let Some(rect) = root_rect(conn, root, window)? else {
                continue;
            };
            return Ok(Some(MappedWindow {
                id: window,
                rect,
                instance,
                class: class_name,
            }));
        }
        if depth < MAX_DEPTH
            && let Some(found) = find(conn, root, window, class, depth + 1)?
        {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The window's `WM_CLASS`: instance and class name.
fn wm_class(
    conn: &RustConnection,
    window: Window,
) -> Result<Option<(String, String)>, ReplyOrIdError> {
    let Ok(reply) = conn
        .get_property(false, window, AtomEnum::WM_CLASS, AtomEnum::STRING, 0, 256)?
        .reply()
    else {
        return Ok(None);
    };
    if reply.value.is_empty() {
        return Ok(None);
    }
    let mut parts = reply
        .value
        .split(|&b| b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned());
    let instance = parts.next().unwrap_or_default();
    let class = parts.next().unwrap_or_default();
    Ok(Some((instance, class)))
}

/// The window's area in root coordinates, `None` if it vanished.
fn root_rect(
    conn: &RustConnection,
    root: Window,
    window: Window,
) -> Result<Option<Rect>, ReplyOrIdError> {
    let Ok(geometry) = conn.get_geometry(window)?.reply() else {
        return Ok(None);
    };
    let Ok(origin) = conn.translate_coordinates(window, root, 0, 0)?.reply() else {
        return Ok(None);
    };
    Ok(Some(Rect::new(
        i32::from(origin.dst_x),
        i32::from(origin.dst_y),
        u32::from(geometry.width),
        u32::from(geometry.height),
    )))
}
