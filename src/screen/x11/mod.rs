//! The screen of an X server: captures of the root window through MIT-SHM
//! (core `GetImage` where shared memory is not possible), and the DAMAGE
//! extension to learn when and where the screen changed.
//!
//! One connection carries everything, so the server handles our requests in
//! the order we send them. A capture sends, in one batch:
//!
//! 1. `DamageSubtract` into a scratch region, `XFixesUnionRegion` into the
//!    region of changes pending since the last capture, `XFixesFetchRegion`
//!    of it, and `XFixesSetRegion` to empty it: the changes are taken and
//!    cleared before the pixels are read;
//! 2. `ShmGetImage` (or `GetImage`) of the root window;
//! 3. a zero-length `ChangeProperty` on a private window, whose
//!    `PropertyNotify` carries the server time right after the pixels were
//!    read (the usual way to learn the server's time).
//!
//! Damage done after step 1 makes the damage object non-empty again, which
//! the next wait and the next capture report: nothing is lost between a wait
//! and a capture, and nothing before a capture is reported after it (see
//! the [module documentation](super) for the guarantee). The batch costs one
//! round trip.

#![forbid(unsafe_code)]

use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::errors::{ReplyError, ReplyOrIdError};
use x11rb::protocol::xproto::{self, AtomEnum, ConnectionExt as _, ImageFormat, PropMode, Window};
use x11rb::protocol::{ErrorKind, Event, damage, shm, xfixes};
use x11rb::rust_connection::RustConnection;

use super::format::PixelFormat;
use super::poll::wait_readable;
use super::shm::ShmBuffer;
use super::{Capture, Environment, Screen, ScreenError};
use crate::frame::{FrameRef, PixelLayout};
use crate::model::{Rect, ScreenGeometry};
use setup::{During, choose_pixels, create_resources};

mod setup;

pub(super) use setup::display_name;

/// How an [`X11Screen`] reads the pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaptureMethod {
    /// MIT-SHM where possible, `GetImage` otherwise.
    #[default]
    Auto,
    /// MIT-SHM only: the server writes into memory shared with us, no copy
    /// through the socket. Needs a local connection and MIT-SHM 1.2.
    Shm,
    /// Core `GetImage`: the pixels come through the socket. Works with any
    /// server, remote ones included, an order of magnitude slower (11 to
    /// 14 ms against 0.5 to 1 ms for a 1080p capture, see the capture
    /// bench).
    GetImage,
}

/// The screen of an X server, captured through MIT-SHM (or `GetImage`) and
/// watched through DAMAGE. See the [module documentation](super) for the
/// guarantees on changes.
pub struct X11Screen {
    conn: RustConnection,
    display: String,
    screen_num: usize,
    geometry: ScreenGeometry,
    ids: Ids,
    state: State,
    pixels: Pixels,
}

/// X resources created at open.
struct Ids {
    root: Window,
    /// The root window's size at open.
    size: (u32, u32),
    /// Damage object on the root window, reporting when it becomes non-empty.
    damage: damage::Damage,
    /// Scratch region each `DamageSubtract` writes into.
    incoming: xfixes::Region,
    /// Changes since the last capture (the whole screen before the first).
    pending: xfixes::Region,
    /// An unmapped input-only window whose property changes tell the time.
    clock: Window,
    clock_atom: xproto::Atom,
}

/// What the events told us so far.
#[derive(Default)]
struct State {
    /// A `DamageNotify` arrived since the last subtract.
    damaged: bool,
    /// The contents of `Ids::pending` as last fetched.
    pending: Vec<Rect>,
    /// The root window's new size, once it was seen to change.
    resized: Option<(u32, u32)>,
    /// Clock property changes sent whose `PropertyNotify` has not arrived.
    clock_outstanding: u32,
    clock_time: u32,
}

enum Pixels {
    Shm { seg: shm::Seg, buffer: ShmBuffer },
    GetImage { data: Vec<u8> },
}

impl X11Screen {
    /// Opens the screen of `display` (`None`: the `DISPLAY` variable),
    /// capturing through MIT-SHM where possible.
    ///
    /// # Errors
    ///
    /// No display given or reachable, a pixel format other than 24-bit
    /// BGRX, or a server without the DAMAGE and XFIXES extensions.
    pub fn open(display: Option<&str>) -> Result<X11Screen, ScreenError> {
        X11Screen::open_with(display, CaptureMethod::Auto)
    }

    /// Opens the screen of `display` (`None`: the `DISPLAY` variable) with
    /// the given capture method.
    ///
    /// # Errors
    ///
    /// As [`open`](X11Screen::open), and [`ScreenError::ShmUnavailable`]
    /// when [`CaptureMethod::Shm`] is asked for and not possible.
    pub fn open_with(
        display: Option<&str>,
        method: CaptureMethod,
    ) -> Result<X11Screen, ScreenError> {
        let display = display_name(display)?;
        let (conn, screen_num) =
            x11rb::connect(Some(&display)).map_err(|source| ScreenError::Connect {
                display: display.clone(),
                source,
            })?;
        let setup = conn.setup();
        let screen = &setup.roots[screen_num];
        let format = PixelFormat::of_root(setup, screen);
        if !format.is_bgrx() {
            return Err(ScreenError::UnsupportedFormat {
                display,
                found: format.to_string(),
            });
        }
        let geometry = ScreenGeometry::from(screen);
        let root = screen.root;

        let ids = create_resources(&conn, &display, root, geometry)?;
        let pixels = choose_pixels(&conn, &display, geometry, method)?;
        conn.flush().during(&display, "setting up")?;
        log::debug!(
            "display {display}: {geometry} screen, capturing through {}",
            match pixels {
                Pixels::Shm { .. } => "MIT-SHM",
                Pixels::GetImage { .. } => "GetImage",
            }
        );

        Ok(X11Screen {
            conn,
            display,
            screen_num,
            geometry,
            ids,
            state: State {
                pending: vec![full_screen(geometry)],
                ..State::default()
            },
            pixels,
        })
    }

    /// The display's name, as given or read from `DISPLAY` (`:7`).
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The method the pixels are read with ([`CaptureMethod::Shm`] or
    /// [`CaptureMethod::GetImage`], never `Auto`).
    pub fn capture_method(&self) -> CaptureMethod {
        match self.pixels {
            Pixels::Shm { .. } => CaptureMethod::Shm,
            Pixels::GetImage { .. } => CaptureMethod::GetImage,
        }
    }

    /// What a trajectory's header records about this display: geometry,
    /// DPI, keyboard layout, window manager.
    ///
    /// # Errors
    ///
    /// When the X server does not answer.
    pub fn environment(&self) -> Result<Environment, ScreenError> {
        super::probe_connection(&self.conn, self.screen_num, &self.display)
    }

    /// Waits until nothing changed on the screen for `quiet`, for at most
    /// `timeout`; returns whether the screen became still. Changes seen
    /// meanwhile stay pending for the next capture.
    ///
    /// Meant for tests and set-up (wait for an application to finish
    /// drawing), not for checkpoints: a checkpoint waits for a match.
    ///
    /// # Errors
    ///
    /// As [`Screen::wait_for_change`].
    pub fn wait_until_still(
        &mut self,
        quiet: Duration,
        timeout: Duration,
    ) -> Result<bool, ScreenError> {
        let start = Instant::now();
        let deadline = start.checked_add(timeout);
        loop {
            let now = Instant::now();
            let quiet_until = now.checked_add(quiet);
            let cut_short = match (quiet_until, deadline) {
                (Some(q), Some(d)) => d < q,
                (None, Some(_)) => true,
                (_, None) => false,
            };
            let until = if cut_short { deadline } else { quiet_until };
            if !self.wait_for_damage(until)? {
                return Ok(!cut_short);
            }
        }
    }

    /// Handles every event already received, without blocking.
    fn drain_events(&mut self) -> Result<(), ScreenError> {
        while let Some(event) = self
            .conn
            .poll_for_event()
            .during(&self.display, "reading events")?
        {
            self.state.handle(&self.ids, event);
        }
        self.check_size()
    }

    /// Fails once the root window was seen to change size.
    fn check_size(&self) -> Result<(), ScreenError> {
        match self.state.resized {
            Some((width, height)) => Err(geometry_changed(
                &self.display,
                self.geometry,
                width,
                height,
            )),
            None => Ok(()),
        }
    }

    /// Moves the damage reported so far into the pending changes. Returns
    /// whether there was any (a `DamageNotify` can be stale: its damage
    /// was already taken by a capture).
    fn fold_damage(&mut self) -> Result<bool, ScreenError> {
        self.state.damaged = false;
        let conn = &self.conn;
        let ids = &self.ids;
        let batch = || -> Result<_, ReplyOrIdError> {
            damage::subtract(conn, ids.damage, x11rb::NONE, ids.incoming)?;
            xfixes::union_region(conn, ids.pending, ids.incoming, ids.pending)?;
            let incoming = xfixes::fetch_region(conn, ids.incoming)?;
            let pending = xfixes::fetch_region(conn, ids.pending)?;
            Ok((incoming.reply()?, pending.reply()?))
        };
        let (incoming, pending) = batch().during(&self.display, "reading screen damage")?;
        self.state.pending = pending.rectangles.iter().map(to_rect).collect();
        Ok(!incoming.rectangles.is_empty())
    }

    /// Waits until new damage arrives (returns true) or `deadline` passes
    /// (false; `None` waits for ever).
    fn wait_for_damage(&mut self, deadline: Option<Instant>) -> Result<bool, ScreenError> {
        loop {
            self.drain_events()?;
            if self.state.damaged {
                if self.fold_damage()? {
                    return Ok(true);
                }
                // A stale notification. Reading the fold's replies may have
                // queued new events: look at them before sleeping on the
                // socket, which would not wake for them.
                continue;
            }
            let timeout = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Ok(false),
                },
                None => None,
            };
            self.conn
                .flush()
                .during(&self.display, "waiting for damage")?;
            self.poll_connection(timeout)?;
        }
    }

    /// Blocks until the connection is readable or `timeout` passes.
    fn poll_connection(&self, timeout: Option<Duration>) -> Result<(), ScreenError> {
        let readable = wait_readable(self.conn.stream().as_fd(), timeout);
        readable.map(drop).map_err(|source| ScreenError::Io {
            display: self.display.clone(),
            during: "waiting for damage",
            source,
        })
    }
}

impl Screen for X11Screen {
    fn geometry(&self) -> ScreenGeometry {
        self.geometry
    }

    fn capture(&mut self) -> Result<Capture<'_>, ScreenError> {
        self.drain_events()?;
        let X11Screen {
            conn,
            display,
            geometry,
            ids,
            state,
            pixels,
            ..
        } = self;
        let conn: &RustConnection = conn;
        let (w, h) = (geometry.width as u16, geometry.height as u16);
        let len = geometry.width as usize * geometry.height as usize * 4;

        // Step 1: take and clear the changes, before the pixels are read.
        let changes = (|| -> Result<_, ReplyOrIdError> {
            damage::subtract(conn, ids.damage, x11rb::NONE, ids.incoming)?;
            xfixes::union_region(conn, ids.pending, ids.incoming, ids.pending)?;
            let cookie = xfixes::fetch_region(conn, ids.pending)?;
            xfixes::set_region(conn, ids.pending, &[])?;
            Ok(cookie)
        })()
        .during(display, "taking the screen's damage")?;

        // Step 2: the pixels.
        let image = match pixels {
            Pixels::Shm { seg, .. } => {
                let format = ImageFormat::Z_PIXMAP.into();
                shm::get_image(conn, ids.root, 0, 0, w, h, !0, format, *seg, 0)
                    .map(ImageCookie::Shm)
            }
            Pixels::GetImage { .. } => conn
                .get_image(ImageFormat::Z_PIXMAP, ids.root, 0, 0, w, h, !0)
                .map(ImageCookie::Core),
        }
        .during(display, "requesting the screen's pixels")?;

        // Step 3: the server time right after the pixels were read.
        conn.change_property(
            PropMode::APPEND,
            ids.clock,
            ids.clock_atom,
            AtomEnum::STRING,
            8,
            0,
            &[],
        )
        .during(display, "asking for the server time")?;
        state.clock_outstanding += 1;

        let changed: Vec<Rect> = changes
            .reply()
            .during(display, "taking the screen's damage")?
            .rectangles
            .iter()
            .map(to_rect)
            .collect();
        state.damaged = false;
        state.pending.clear();

        let image_error =
            |err: ReplyError| -> ScreenError { resize_or(conn, display, *geometry, ids.root, err) };
        match image {
            ImageCookie::Shm(cookie) => {
                let reply = cookie.reply().map_err(image_error)?;
                if reply.size as usize != len {
                    return Err(wrong_size(display, len, reply.size as usize));
                }
            }
            ImageCookie::Core(cookie) => {
                let reply = cookie.reply().map_err(image_error)?;
                if reply.data.len() != len {
                    return Err(wrong_size(display, len, reply.data.len()));
                }
                if let Pixels::GetImage { data } = pixels {
                    *data = reply.data;
                }
            }
        }

        while state.clock_outstanding > 0 {
            let event = conn
                .wait_for_event()
                .during(display, "waiting for the server time")?;
            state.handle(ids, event);
        }
        if let Some((width, height)) = state.resized {
            return Err(geometry_changed(display, *geometry, width, height));
        }

        let data = match pixels {
            Pixels::Shm { buffer, .. } => &buffer.bytes()[..len],
            Pixels::GetImage { data } => &data[..],
        };
        let frame = FrameRef::new(geometry.width, geometry.height, PixelLayout::Bgrx, data)
            .map_err(|e| wrong_size(display, e.expected, e.found))?;
        Ok(Capture {
            frame,
            changed,
            server_time: Some(state.clock_time),
        })
    }

    fn wait_for_change(&mut self, timeout: Duration) -> Result<Option<Vec<Rect>>, ScreenError> {
        let deadline = Instant::now().checked_add(timeout);
        self.drain_events()?;
        if self.state.damaged {
            self.fold_damage()?;
        }
        while self.state.pending.is_empty() {
            if !self.wait_for_damage(deadline)? {
                return Ok(None);
            }
        }
        Ok(Some(self.state.pending.clone()))
    }
}

impl std::fmt::Debug for X11Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X11Screen")
            .field("display", &self.display)
            .field("geometry", &self.geometry)
            .field("method", &self.capture_method())
            .finish_non_exhaustive()
    }
}

enum ImageCookie<'c> {
    Shm(x11rb::cookie::Cookie<'c, RustConnection, shm::GetImageReply>),
    Core(x11rb::cookie::Cookie<'c, RustConnection, xproto::GetImageReply>),
}

impl State {
    fn handle(&mut self, ids: &Ids, event: Event) {
        match event {
            Event::DamageNotify(_) => self.damaged = true,
            Event::ConfigureNotify(e) if e.window == ids.root => {
                let size = (u32::from(e.width), u32::from(e.height));
                if size != ids.size {
                    log::debug!("root window is now {}x{}", size.0, size.1);
                    self.resized = Some(size);
                }
            }
            Event::PropertyNotify(e) if e.window == ids.clock => {
                self.clock_outstanding = self.clock_outstanding.saturating_sub(1);
                self.clock_time = e.time;
            }
            Event::Error(e) => log::warn!("X error on the capture connection: {e:?}"),
            _ => {}
        }
    }
}

/// The error for a failed image request: a size change when the root
/// window no longer has the size we ask for (X answers `BadMatch`).
fn resize_or(
    conn: &RustConnection,
    display: &str,
    geometry: ScreenGeometry,
    root: Window,
    err: ReplyError,
) -> ScreenError {
    if let ReplyError::X11Error(x) = &err
        && x.error_kind == ErrorKind::Match
        && let Ok(Ok(now)) = conn.get_geometry(root).map(|c| c.reply())
    {
        let (width, height) = (u32::from(now.width), u32::from(now.height));
        if (width, height) != (geometry.width, geometry.height) {
            return geometry_changed(display, geometry, width, height);
        }
    }
    ScreenError::X11 {
        display: display.to_string(),
        during: "reading the screen's pixels",
        source: err.into(),
    }
}

fn geometry_changed(
    display: &str,
    geometry: ScreenGeometry,
    width: u32,
    height: u32,
) -> ScreenError {
    ScreenError::GeometryChanged {
        display: display.to_string(),
        expected_width: geometry.width,
        expected_height: geometry.height,
        found_width: width,
        found_height: height,
    }
}

fn wrong_size(display: &str, expected: usize, found: usize) -> ScreenError {
    ScreenError::UnsupportedFormat {
        display: display.to_string(),
        found: format!("an image of {found} bytes where {expected} were expected"),
    }
}

fn full_screen(geometry: ScreenGeometry) -> Rect {
    Rect::new(0, 0, geometry.width, geometry.height)
}

fn to_rect(r: &xproto::Rectangle) -> Rect {
    Rect::new(
        i32::from(r.x),
        i32::from(r.y),
        u32::from(r.width),
        u32::from(r.height),
    )
}
