//! Sleeping until a descriptor is readable, with a timeout.

#![forbid(unsafe_code)]

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec, poll};

/// Longest single sleep; a longer timeout just loops. Keeps the conversion
/// to `timespec` far from any overflow.
const LONGEST: Duration = Duration::from_secs(24 * 3600);

/// Blocks until `fd` is readable (returns true) or `timeout` passes
/// (`None`: no limit). Returns false early, without error, when a signal
/// interrupts the wait; callers loop on their own deadline anyway.
pub(crate) fn wait_readable(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<bool> {
    let timeout = timeout.map(|t| {
        let t = t.min(LONGEST);
        Timespec {
            tv_sec: t.as_secs() as _,
            tv_nsec: t.subsec_nanos() as _,
        }
    });
    let mut fds = [PollFd::from_borrowed_fd(fd, PollFlags::IN)];
    match poll(&mut fds, timeout.as_ref()) {
        Ok(ready) => Ok(ready > 0),
        Err(rustix::io::Errno::INTR) => Ok(false),
        Err(err) => Err(err.into()),
    }
}
