//! Server time as the recorder keeps it: one 64-bit millisecond count for
//! input events and captures alike, and an estimate of the server's time
//! now.
//!
//! The X server stamps events and property changes with a 32-bit
//! millisecond clock that wraps every 49.7 days. Events reach the recorder
//! through the listener and capture times through the capture thread; both
//! are unwrapped here, by one counter, so that they compare in one domain
//! whatever the clock read when the recording started.

#![forbid(unsafe_code)]

use std::time::Instant;

/// Unwraps 32-bit server times into one increasing 64-bit count.
///
/// Each time is placed at the 32-bit distance of the newest time seen, so
/// times may arrive slightly out of order (an event and a capture from two
/// threads) as long as they are within 24 days of each other.
#[derive(Debug, Clone)]
pub(crate) struct Unwrapper {
    newest: u64,
}

impl Unwrapper {
    /// Starts the count at `first`. The count begins at 2^32 rather than 0,
    /// so that a time a little before the first still unwraps to a
    /// positive number.
    pub(crate) fn new(first: u32) -> Unwrapper {
        Unwrapper {
            newest: (1 << 32) | u64::from(first),
        }
    }

    /// The 64-bit count of server time `t`.
    pub(crate) fn unwrap(&mut self, t: u32) -> u64 {
        let delta = i64::from(t.wrapping_sub(self.newest as u32) as i32);
        let unwrapped = self.newest.saturating_add_signed(delta);
        self.newest = self.newest.max(unwrapped);
        unwrapped
    }
}

/// The server's time now, estimated from the newest server time seen and
/// how long ago it was seen. It runs a little behind the server (by the
/// delay with which times reach the recorder), which only makes the
/// recognizer end a pending gesture a little later.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerNow {
    server_ms: u64,
    seen: Instant,
}

impl ServerNow {
    pub(crate) fn new(server_ms: u64, seen: Instant) -> ServerNow {
        ServerNow { server_ms, seen }
    }

    /// Takes note that the server's time was `server_ms` at `seen`, unless
    /// an earlier note already puts the server further ahead.
    pub(crate) fn observe(&mut self, server_ms: u64, seen: Instant) {
        if server_ms > self.at(seen) {
            *self = ServerNow { server_ms, seen };
        }
    }

    /// The server's estimated time at `now`.
    pub(crate) fn at(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.seen).as_millis();
        self.server_ms
            .saturating_add(u64::try_from(elapsed).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_unwrap_across_the_32_bit_wrap_in_one_domain() {
        let mut u = Unwrapper::new(u32::MAX - 10);
        let start = u.unwrap(u32::MAX - 10);
        assert_eq!(u.unwrap(u32::MAX), start + 10);
        assert_eq!(u.unwrap(5), start + 16, "past the wrap");
        assert_eq!(
            u.unwrap(u32::MAX - 2),
            start + 8,
            "a late time from before it"
        );
        assert_eq!(u.unwrap(7), start + 18);
    }

    #[test]
    fn a_time_before_the_first_stays_positive() {
        let mut u = Unwrapper::new(3);
        let first = u.unwrap(3);
        assert_eq!(u.unwrap(u32::MAX), first - 4);
    }

    #[test]
    fn the_estimate_runs_on_from_the_newest_observation() {
        let t0 = Instant::now();
        let mut now = ServerNow::new(1000, t0);
        assert_eq!(now.at(t0 + Duration::from_millis(250)), 1250);
        // An older observation, seen late, does not pull the estimate back.
        now.observe(1100, t0 + Duration::from_millis(200));
        assert_eq!(now.at(t0 + Duration::from_millis(250)), 1250);
        now.observe(1300, t0 + Duration::from_millis(250));
        assert_eq!(now.at(t0 + Duration::from_millis(260)), 1310);
    }
}
