//! Children in process groups of their own, stopped for sure.
//!
//! Xvfb and the application under test each lead a new process group, so
//! that a Ctrl-C at the terminal reaches only `trajectory` (which then stops
//! them in order) and so that stopping an application also stops what it
//! started (a launcher script and the program it runs). Every live group is
//! listed in a fixed table of atomics, which [`terminate_all`] and
//! [`kill_all`] walk: both only load atomics and call `kill(2)`, so they may
//! be called from a signal handler.

#![forbid(unsafe_code)]

use std::io;
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::process::{
    Pid, Signal, WaitId, WaitIdOptions, kill_process_group, test_kill_process_group, waitid,
};

/// How often a stop checks whether the group is gone. Stopping is not on
/// any measured path; this only bounds how long a stop overshoots.
const STOP_POLL: Duration = Duration::from_millis(5);

/// How long to wait for a killed group to be gone.
const KILL_WAIT: Duration = Duration::from_secs(1);

/// Room for this many live groups (two per headless replay).
const SLOTS: usize = 1024;

/// Process group ids of live children; 0 marks a free slot.
static GROUPS: [AtomicI32; SLOTS] = [const { AtomicI32::new(0) }; SLOTS];

/// Sends SIGTERM to every process group started by this module that has not
/// been stopped yet: each Xvfb and each application under test, with what
/// they started.
///
/// Safe to call from a signal handler (it only reads atomics and calls
/// `kill`). The handles still own the processes: dropping them afterwards
/// waits for the processes to exit, reaps them, and kills what is left
/// after their grace period.
pub fn terminate_all() {
    signal_all(Signal::TERM);
}

/// Sends SIGKILL to every process group started by this module that has not
/// been stopped yet. Safe to call from a signal handler, as
/// [`terminate_all`].
pub fn kill_all() {
    signal_all(Signal::KILL);
}

fn signal_all(signal: Signal) {
    for slot in &GROUPS {
        if let Some(pgid) = Pid::from_raw(slot.load(Ordering::Acquire)) {
            // ESRCH: the group ended on its own and its handle has not
            // been dropped yet; nothing to do.
            let _ = kill_process_group(pgid, signal);
        }
    }
}

/// A child process leading its own process group, listed for
/// [`terminate_all`] while it lives.
#[derive(Debug)]
pub(crate) struct GroupChild {
    child: Child,
    pgid: Pid,
    slot: Option<usize>,
    /// Set once the group was stopped and the leader reaped.
    status: Option<ExitStatus>,
}

impl GroupChild {
    /// Spawns `command` as the leader of a new process group.
    pub(crate) fn spawn(command: &mut Command) -> io::Result<GroupChild> {
        use std::os::unix::process::CommandExt;

        let child = command.process_group(0).spawn()?;
        let pgid = Pid::from_child(&child);
        let slot = register(pgid);
        if slot.is_none() {
            log::warn!(
                "more than {SLOTS} process groups at once: process {} will not be stopped \
                 by terminate_all",
                child.id()
            );
        }
        Ok(GroupChild {
            child,
            pgid,
            slot,
            status: None,
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Whether the leader has exited. The leader is not reaped, so its id
    /// cannot be reused for another group before the group is stopped.
    pub(crate) fn has_exited(&self) -> bool {
        self.exit_description().is_some()
    }

    /// How the leader ended (`exit status: 3`, `signal: 9`), or `None`
    /// while it runs. Does not reap it, as [`has_exited`](Self::has_exited).
    pub(crate) fn exit_description(&self) -> Option<String> {
        if let Some(status) = self.status {
            return Some(status.to_string());
        }
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
        match waitid(WaitId::Pid(self.pgid), options) {
            Ok(None) => None,
            Ok(Some(s)) => Some(match (s.exit_status(), s.terminating_signal()) {
                (Some(code), _) if s.exited() => format!("exit status: {code}"),
                (_, Some(signal)) => format!("signal: {signal}"),
                _ => "an unknown status".to_string(),
            }),
            // ECHILD: reaped already, which only `stop` and `wait` do.
            Err(err) => Some(format!("an unknown status ({err})")),
        }
    }

    /// The leader's exit status, once it exited; reaps it. Only for a
    /// group that is being stopped or that failed to start.
    pub(crate) fn wait(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        let status = self.child.wait()?;
        self.status = Some(status);
        Ok(status)
    }

    /// Stops the whole group: SIGTERM, then SIGKILL for whatever is left
    /// after `grace`. Reaps the leader and returns its exit status (the
    /// status it had if it exited before). Calling it again returns the
    /// same status.
    pub(crate) fn stop(&mut self, grace: Duration) -> io::Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        if let Some(slot) = self.slot.take() {
            GROUPS[slot].store(0, Ordering::Release);
        }
        let deadline = Instant::now() + grace;
        signal_group(self.pgid, Signal::TERM)?;

        // The leader first: until it is reaped its id stays reserved, and
        // the group exists (as a zombie) whatever its members do.
        while !self.has_exited() && Instant::now() < deadline {
            std::thread::sleep(STOP_POLL);
        }
        if self.has_exited() {
            self.wait()?;
            // Then the rest of the group, which got the same SIGTERM.
            while group_alive(self.pgid) && Instant::now() < deadline {
                std::thread::sleep(STOP_POLL);
            }
        }
        if group_alive(self.pgid) {
            log::debug!(
                "process group {} outlived its grace period; killing it",
                self.pgid
            );
            signal_group(self.pgid, Signal::KILL)?;
            let status = self.wait()?;
            // SIGKILL cannot be refused, but dying takes a moment.
            let deadline = Instant::now() + KILL_WAIT;
            while group_alive(self.pgid) && Instant::now() < deadline {
                std::thread::sleep(STOP_POLL);
            }
            return Ok(status);
        }
        self.wait()
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        if let Err(err) = self.stop(Duration::from_secs(5)) {
            log::warn!("could not stop process group {}: {err}", self.pgid);
        }
    }
}

fn register(pgid: Pid) -> Option<usize> {
    let raw = pgid.as_raw_nonzero().get();
    GROUPS.iter().position(|slot| {
        slot.compare_exchange(0, raw, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    })
}

/// Sends `signal` to a process group; a group that is gone already is fine.
fn signal_group(pgid: Pid, signal: Signal) -> io::Result<()> {
    match kill_process_group(pgid, signal) {
        Ok(()) | Err(Errno::SRCH) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// Whether a live process is still in the group. Zombies do not count:
/// orphans go to init to be reaped, and an init that never reaps (a bare
/// container) must not make every stop wait out its grace period.
fn group_alive(pgid: Pid) -> bool {
    if test_kill_process_group(pgid) == Err(Errno::SRCH) {
        return false;
    }
    live_members(pgid).is_none_or(|n| n > 0)
}

/// How many processes of the group are alive, from `/proc`; `None` when it
/// cannot be read.
fn live_members(pgid: Pid) -> Option<usize> {
    let pgid = pgid.as_raw_nonzero().get();
    let entries = std::fs::read_dir("/proc").ok()?;
    let live = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        // A process that ended since the listing has no stat to read.
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|stat| parse_stat(&stat))
        .filter(|&(state, group)| group == pgid && state != 'Z' && state != 'X')
        .count();
    Some(live)
}

/// State and process group from `/proc/PID/stat`: `PID (COMM) STATE PPID
/// PGRP ...`, where COMM may hold spaces and parentheses.
fn parse_stat(stat: &str) -> Option<(char, i32)> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let group = fields.next()?.parse().ok()?;
    Some((state, group))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    /// Starts `script`, which prints a line once it is set up, and waits
    /// for that line: a signal sent earlier would race the script's set-up.
    fn started(script: &str) -> GroupChild {
        use std::io::BufRead;

        let mut command = sh(script);
        command.stdout(std::process::Stdio::piped());
        let mut group = GroupChild::spawn(&mut command).unwrap();
        let stdout = group.child_mut().stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "ready\n");
        group
    }

    #[test]
    fn stopping_a_group_ends_the_leader_and_what_it_started() {
        let mut group = started("sleep 1000 & echo ready; wait");
        let pgid = group.pgid;
        let status = group.stop(Duration::from_secs(10)).unwrap();
        assert!(!status.success());
        assert!(!group_alive(pgid), "a process of group {pgid:?} survived");
    }

    #[test]
    fn a_group_that_ignores_sigterm_is_killed_after_the_grace_period() {
        // Ignored signals stay ignored in the background sleep too.
        let mut group = started("trap '' TERM; sleep 1000 & echo ready; wait");
        let pgid = group.pgid;
        let grace = Duration::from_millis(200);
        let started = Instant::now();
        let status = group.stop(grace).unwrap();
        assert!(
            started.elapsed() >= grace,
            "stopped before the grace period"
        );
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "{status}");
        assert!(!group_alive(pgid));
    }

    #[test]
    fn a_leader_that_exited_is_still_reported_and_its_group_stopped() {
        let mut group = GroupChild::spawn(&mut sh("exit 3")).unwrap();
        while !group.has_exited() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let status = group.stop(Duration::from_secs(10)).unwrap();
        assert_eq!(status.code(), Some(3));
        assert_eq!(group.stop(Duration::ZERO).unwrap().code(), Some(3));
    }

    #[test]
    fn stat_lines_give_state_and_group_whatever_the_command_name() {
        let stat = "4242 (a (weird) name) S 1 4240 4240 0 -1 4194560 83 0 0 0";
        assert_eq!(parse_stat(stat), Some(('S', 4240)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn live_groups_are_listed_until_stopped() {
        let mut group = GroupChild::spawn(&mut sh("sleep 1000")).unwrap();
        let raw = group.pgid.as_raw_nonzero().get();
        let listed = || GROUPS.iter().any(|s| s.load(Ordering::Acquire) == raw);
        assert!(listed());
        group.stop(Duration::from_secs(10)).unwrap();
        assert!(!listed());
    }
}
