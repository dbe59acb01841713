//! `terminate_all` stops every server and application still running. It
//! signals every group this process started, so it has a test binary of
//! its own: in another it would stop the other tests' servers.

mod screen_support;

use std::time::{Duration, Instant};

use screen_support::{PATIENCE, xvfb};
use trajectory::headless;

#[test]
fn terminate_all_stops_every_server_and_application() {
    let servers = [xvfb(64, 64), xvfb(64, 64)];
    let apps: Vec<_> = servers
        .iter()
        .map(|x| x.spawn_app(["sleep", "1000"]).unwrap())
        .collect();

    headless::terminate_all();

    let deadline = Instant::now() + PATIENCE;
    let running = || servers.iter().any(|x| x.is_running()) || apps.iter().any(|a| a.is_running());
    while running() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!running(), "something survived SIGTERM");
    // The handles still reap what they own.
    drop(apps);
    drop(servers);
}
