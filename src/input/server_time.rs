//! The X server's millisecond clock, seen from the listener: read once at
//! start and carried on locally (to tell how far behind the listener is),
//! and counted on past its 32-bit wrap.

#![forbid(unsafe_code)]

use std::time::Instant;

use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{self, ConnectionExt as _};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

/// The server's millisecond clock, read once at start (a property change
/// on a window of our own reports it) and carried on with the local
/// monotonic clock.
pub(super) struct ServerClock {
    server_ms: u32,
    at: Instant,
}

impl ServerClock {
    pub(super) fn calibrate(
        conn: &RustConnection,
        root: xproto::Window,
    ) -> Result<ServerClock, String> {
        let e = |e: &dyn std::fmt::Display| e.to_string();
        let window = conn.generate_id().map_err(|x| e(&x))?;
        let aux = xproto::CreateWindowAux::new().event_mask(xproto::EventMask::PROPERTY_CHANGE);
        conn.create_window(
            0,
            window,
            root,
            0,
            0,
            1,
            1,
            0,
            xproto::WindowClass::INPUT_ONLY,
            0,
            &aux,
        )
        .map_err(|x| e(&x))?;
        conn.change_property8(
            xproto::PropMode::APPEND,
            window,
            xproto::AtomEnum::WM_NAME,
            xproto::AtomEnum::STRING,
            &[],
        )
        .map_err(|x| e(&x))?;
        conn.flush().map_err(|x| e(&x))?;
        let server_ms = loop {
            match conn.wait_for_event().map_err(|x| e(&x))? {
                Event::PropertyNotify(p) if p.window == window => break p.time,
                _ => continue,
            }
        };
        let at = Instant::now();
        conn.destroy_window(window).map_err(|x| e(&x))?;
        conn.flush().map_err(|x| e(&x))?;
        Ok(ServerClock { server_ms, at })
    }

    /// The server's time now, as a 32-bit millisecond count.
    pub(super) fn now(&self) -> u32 {
        let elapsed = u32::try_from(self.at.elapsed().as_millis()).unwrap_or(u32::MAX);
        self.server_ms.wrapping_add(elapsed)
    }
}

/// Counts server time on past the 32-bit wrap.
#[derive(Default)]
pub(super) struct WrappingTime {
    last: Option<u32>,
    wraps: u64,
}

impl WrappingTime {
    pub(super) fn unwrap(&mut self, t: u32) -> u64 {
        if let Some(last) = self.last
            && t < last
            && last - t > u32::MAX / 2
        {
            self.wraps += 1;
        }
        self.last = Some(t);
        (self.wraps << 32) | u64::from(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_time_counts_on_past_the_wrap() {
        let mut t = WrappingTime::default();
        assert_eq!(t.unwrap(u32::MAX - 1), u64::from(u32::MAX - 1));
        assert_eq!(t.unwrap(3), (1 << 32) + 3);
        assert_eq!(
            t.unwrap(2),
            (1 << 32) + 2,
            "a small step back is not a wrap"
        );
    }
}
