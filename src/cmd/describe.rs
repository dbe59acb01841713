//! Short human descriptions of model values, for the text output of the
//! commands: sizes, times, screens and checkpoint settings.

use std::time::{Duration, UNIX_EPOCH};

use trajectory::model::{Checkpoint, CheckpointOverride, Header, KeyboardLayout, Region};

/// `1.5 KiB`, `12.3 MiB`: binary units, one decimal.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Microseconds as seconds with millisecond precision: `12.345 s`.
/// `1 keyframe`, `3 keyframes`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

pub fn seconds(us: u64) -> String {
    format!("{}.{:03} s", us / 1_000_000, us % 1_000_000 / 1000)
}

/// A creation time as UTC, to the second.
pub fn created(unix_us: i64) -> String {
    match u64::try_from(unix_us) {
        Ok(us) => {
            humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_micros(us)).to_string()
        }
        Err(_) => format!("{unix_us} µs before 1970"),
    }
}

/// `1920x1080x24, 96x96 dpi`.
pub fn screen(h: &Header) -> String {
    match h.dpi {
        Some(d) => format!("{}, {}x{} dpi", h.screen, d.x, d.y),
        None => h.screen.to_string(),
    }
}

/// `evdev pc105 us (variant intl, options ctrl:nocaps)`.
pub fn keyboard(k: &KeyboardLayout) -> String {
    let mut s = format!("{} {} {}", k.rules, k.model, k.layout);
    let extra: Vec<String> = [("variant", &k.variant), ("options", &k.options)]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(name, v)| format!("{name} {v}"))
        .collect();
    if !extra.is_empty() {
        s.push_str(&format!(" ({})", extra.join(", ")));
    }
    s
}

/// `500 ms`, or `10 s` for whole seconds.
fn millis(ms: u64) -> String {
    if ms >= 1000 && ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

fn region(r: &Region) -> String {
    match r {
        Region::Full => "full screen".into(),
        Region::Rect(rect) => format!("region {rect}"),
        Region::AroundAction { radius } => format!("around the action, radius {radius} px"),
    }
}

fn masks(m: &[trajectory::model::Rect]) -> String {
    let list: Vec<String> = m.iter().map(ToString::to_string).collect();
    format!("masks {}", list.join(" "))
}

/// The full default checkpoint settings of a header.
pub fn checkpoint(c: &Checkpoint) -> String {
    let mut parts = vec![
        region(&c.region),
        format!("threshold {}", c.threshold),
        format!("tolerance {}", tolerance(&c.tolerance)),
        format!("timeout {}", millis(c.timeout_ms)),
        format!("stable {}", c.stable),
    ];
    if !c.masks.is_empty() {
        parts.push(masks(&c.masks));
    }
    if c.include_aa {
        parts.push("anti-aliased pixels count".into());
    }
    parts.join(", ")
}

fn tolerance(t: &trajectory::model::Tolerance) -> String {
    match t {
        trajectory::model::Tolerance::Pixels(n) => format!("{n} px"),
        ratio => ratio.to_string(),
    }
}

/// What a step changes of the header's checkpoint settings; empty when
/// nothing.
pub fn overrides(o: &CheckpointOverride) -> String {
    let mut parts = Vec::new();
    if let Some(r) = &o.region {
        parts.push(region(r));
    }
    if let Some(m) = &o.masks {
        parts.push(if m.is_empty() {
            "no masks".into()
        } else {
            masks(m)
        });
    }
    if let Some(t) = o.threshold {
        parts.push(format!("threshold {t}"));
    }
    if let Some(aa) = o.include_aa {
        parts.push(format!("include_aa {aa}"));
    }
    if let Some(t) = &o.tolerance {
        parts.push(format!("tolerance {}", tolerance(t)));
    }
    if let Some(t) = o.timeout_ms {
        parts.push(format!("timeout {}", millis(t)));
    }
    if let Some(s) = o.stable {
        parts.push(format!("stable {s}"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_times_read_naturally() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(seconds(12_345_678), "12.345 s");
        assert_eq!(created(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn overrides_name_only_what_they_change() {
        let o = CheckpointOverride {
            timeout_ms: Some(500),
            tolerance: Some(trajectory::model::Tolerance::Ratio(0.005)),
            ..Default::default()
        };
        assert_eq!(overrides(&o), "tolerance 0.5%, timeout 500 ms");
        assert_eq!(overrides(&CheckpointOverride::default()), "");
    }
}
