//! What a recording measured about itself: capture latency, how far the
//! listener ran behind, the encoder's queue, memory held, CPU time. `-v`
//! logs it at the end and `--json` prints it.

#![forbid(unsafe_code)]

use std::time::Duration;

use serde::Serialize;

/// Durations seen, kept up to [`Samples::LIMIT`] of them (a day of
/// captures at the capture rate's upper bound fits), for percentiles.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    micros: Vec<u32>,
    count: u64,
    max: Duration,
}

impl Samples {
    /// How many samples are kept; beyond it only the count and maximum
    /// grow.
    pub const LIMIT: usize = 1 << 20;

    /// Adds one duration.
    pub fn push(&mut self, d: Duration) {
        self.count += 1;
        self.max = self.max.max(d);
        if self.micros.len() < Samples::LIMIT {
            self.micros
                .push(u32::try_from(d.as_micros()).unwrap_or(u32::MAX));
        }
    }

    /// How many durations were added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// A summary in milliseconds: median, 95th percentile, maximum.
    pub fn summary(&self) -> Summary {
        let mut sorted = self.micros.clone();
        sorted.sort_unstable();
        let at = |q: f64| {
            if sorted.is_empty() {
                0.0
            } else {
                let i = ((sorted.len() - 1) as f64 * q).round() as usize;
                f64::from(sorted[i]) / 1000.0
            }
        };
        Summary {
            count: self.count,
            median_ms: at(0.5),
            p95_ms: at(0.95),
            max_ms: self.max.as_secs_f64() * 1000.0,
        }
    }
}

/// Median, 95th percentile and maximum of some durations, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub count: u64,
    pub median_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
}

/// What a recording measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// Captures that changed the screen, the first included.
    pub captures: u64,
    /// Captures whose damage changed no pixel (and were dropped).
    pub unchanged_captures: u64,
    /// From learning of a change (DAMAGE) to having its pixels in memory,
    /// including the wait that keeps captures 10 ms apart.
    pub capture_latency: Summary,
    /// The capture alone: requests, pixels, server time.
    pub capture_time: Summary,
    /// How far the input listener ran behind the server, sampled.
    pub listener_lag: Summary,
    /// The most steps waiting for the encoder at once.
    pub encoder_queue_peak: usize,
    /// Encoding and writing one step (its frame when new).
    pub encode_time: Summary,
    /// The most bytes of captured pixels held at once.
    pub held_bytes_peak: usize,
    /// User plus system CPU time of the whole process, in seconds.
    pub cpu_seconds: f64,
}

/// The CPU time (user plus system, all threads) this process used so far.
pub fn process_cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(
        t.tv_sec.max(0) as u64,
        t.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_samples_and_the_maximum_from_all() {
        let mut s = Samples::default();
        for ms in 1..=100 {
            s.push(Duration::from_millis(ms));
        }
        let sum = s.summary();
        assert_eq!(sum.count, 100);
        assert!((sum.median_ms - 50.0).abs() <= 1.0, "{sum:?}");
        assert!((sum.p95_ms - 95.0).abs() <= 1.0, "{sum:?}");
        assert_eq!(sum.max_ms, 100.0);
        assert_eq!(Samples::default().summary().median_ms, 0.0);
    }

    #[test]
    fn cpu_time_grows_with_work() {
        let before = process_cpu_time();
        let mut x = 0u64;
        for i in 0..50_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(process_cpu_time() > before);
    }
}
