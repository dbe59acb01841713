//! What replay does at each step, worked out before the first action: the
//! checkpoint settings in force (header defaults, the step's overrides,
//! then the command line's), the area compared, the masks, and how long to
//! wait before acting.

use std::time::Duration;

use crate::model::{Action, Checkpoint, Header, Rect, Region, Step, Tolerance};

/// Checkpoint settings given on the command line; they win over the file's.
#[derive(Debug, Clone, Default)]
pub struct CheckOverrides {
    /// `--check full` or `--check around-action:R`.
    pub region: Option<Region>,
    /// `--mask`, added to the step's masks.
    pub masks: Vec<Rect>,
    /// `--no-proposed-masks`: ignore the masks the recorder proposed.
    pub no_proposed_masks: bool,
    pub threshold: Option<f64>,
    pub tolerance: Option<Tolerance>,
    /// `--timeout`: every checkpoint's timeout.
    pub timeout: Option<Duration>,
    /// `--stable N`.
    pub stable: Option<u32>,
}

/// The settings one checkpoint runs with, fully resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct StepCheck {
    /// The compared area, inside the screen.
    pub area: Rect,
    /// Masks clipped to the screen.
    pub masks: Vec<Rect>,
    pub threshold: f64,
    pub include_aa: bool,
    pub tolerance: Tolerance,
    pub timeout: Duration,
    /// Matching captures in a row needed to pass (at least 1).
    pub stable: u32,
}

impl StepCheck {
    /// Resolves the checkpoint of `step`: the header's defaults, the step's
    /// overrides, then the command line's.
    pub fn resolve(header: &Header, step: &Step, cli: &CheckOverrides) -> StepCheck {
        let Checkpoint {
            region,
            masks,
            threshold,
            include_aa,
            tolerance,
            timeout_ms,
            stable,
        } = header.checkpoint.with(&step.checkpoint);
        let (w, h) = (header.screen.width, header.screen.height);

        let region = cli.region.unwrap_or(region);
        let area = area_of(region, &step.action, w, h);

        let proposed = header
            .proposed_masks
            .iter()
            .filter(|_| !cli.no_proposed_masks)
            .map(|m| m.rect);
        // A rectangle both in the file's masks and proposed (the recorder
        // masks a clock by default and proposes it too) is listed once, so
        // that reports do not repeat it.
        let mut masks_once: Vec<Rect> = Vec::new();
        for m in masks
            .into_iter()
            .chain(proposed)
            .chain(cli.masks.iter().copied())
            .filter_map(|m| m.clip(w, h))
        {
            if !masks_once.contains(&m) {
                masks_once.push(m);
            }
        }

        StepCheck {
            area,
            masks: masks_once,
            threshold: cli.threshold.unwrap_or(threshold),
            include_aa,
            tolerance: cli.tolerance.unwrap_or(tolerance),
            timeout: cli.timeout.unwrap_or(Duration::from_millis(timeout_ms)),
            stable: cli.stable.unwrap_or(stable).max(1),
        }
    }
}

/// The screen area a region covers for an action, clipped to the screen.
/// An `around_action` region of an action without a target point (keys,
/// text, waits) is the whole screen.
pub fn area_of(region: Region, action: &Action, width: u32, height: u32) -> Rect {
    let full = Rect::new(0, 0, width, height);
    let wanted = match region {
        Region::Full => full,
        Region::Rect(r) => r,
        Region::AroundAction { radius } => match action.target() {
            Some((x, y)) => {
                let r = i32::try_from(radius).unwrap_or(i32::MAX / 2);
                let side = radius.saturating_mul(2).saturating_add(1);
                Rect::new(x.saturating_sub(r), y.saturating_sub(r), side, side)
            }
            None => full,
        },
    };
    // A region entirely off screen would compare nothing and pass
    // whatever the screen shows; compare the whole screen instead.
    wanted.clip(width, height).unwrap_or(full)
}

/// How replay spaces its actions in time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    /// Divide recorded gaps by this; `None` acts as soon as a checkpoint
    /// matches.
    pub speed: Option<f64>,
    /// Never wait longer than this between two actions.
    pub max_idle: Option<Duration>,
}

impl Pacing {
    /// Act as soon as each checkpoint matches (the default).
    pub const ASAP: Pacing = Pacing {
        speed: None,
        max_idle: None,
    };

    /// Keep every recorded gap (`--as-recorded`).
    pub const AS_RECORDED: Pacing = Pacing {
        speed: Some(1.0),
        max_idle: None,
    };

    /// The least time between injecting the previous step's action and
    /// this step's, given the recorded times of both. The checkpoint's own
    /// wait counts towards it. `Wait` actions are timed by the engine, not
    /// here.
    pub fn gap(&self, previous_at_us: u64, at_us: u64) -> Duration {
        let Some(speed) = self.speed else {
            return Duration::ZERO;
        };
        let recorded = Duration::from_micros(at_us.saturating_sub(previous_at_us));
        let scaled = recorded.div_f64(speed);
        match self.max_idle {
            Some(cap) => scaled.min(cap),
            None => scaled,
        }
    }

    /// How long a `Wait` action of `duration_us` lasts under this pacing:
    /// scaled by the speed, capped by the maximum idle time.
    pub fn wait(&self, duration_us: u64) -> Duration {
        let d = Duration::from_micros(duration_us).div_f64(self.speed.unwrap_or(1.0));
        match self.max_idle {
            Some(cap) => d.min(cap),
            None => d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Button, CheckpointOverride, ProposedMask, ScreenGeometry, Text};

    fn header() -> Header {
        let mut h = Header::new(ScreenGeometry {
            width: 100,
            height: 80,
            depth: 24,
        });
        h.proposed_masks.push(ProposedMask {
            rect: Rect::new(90, 0, 20, 10),
            changes: 5,
        });
        h
    }

    fn click(x: i32, y: i32) -> Step {
        Step {
            at_us: 0,
            action: Action::Click {
                button: Button::LEFT,
                count: 1,
                x,
                y,
                interval_us: 0,
                modifiers: vec![],
            },
            frame: 0,
            checkpoint: CheckpointOverride::default(),
        }
    }

    #[test]
    fn command_line_settings_win_over_the_step_and_the_header() {
        let mut step = click(5, 5);
        step.checkpoint.timeout_ms = Some(2_000);
        step.checkpoint.threshold = Some(0.3);
        let cli = CheckOverrides {
            timeout: Some(Duration::from_secs(1)),
            ..CheckOverrides::default()
        };
        let c = StepCheck::resolve(&header(), &step, &cli);
        assert_eq!(c.timeout, Duration::from_secs(1));
        assert_eq!(c.threshold, 0.3);
        assert_eq!(c.area, Rect::new(0, 0, 100, 80));
    }

    #[test]
    fn proposed_masks_apply_clipped_unless_refused() {
        let cli = CheckOverrides {
            masks: vec![Rect::new(0, 0, 3, 3)],
            ..CheckOverrides::default()
        };
        let c = StepCheck::resolve(&header(), &click(1, 1), &cli);
        assert_eq!(
            c.masks,
            vec![Rect::new(90, 0, 10, 10), Rect::new(0, 0, 3, 3)]
        );

        let cli = CheckOverrides {
            no_proposed_masks: true,
            ..cli
        };
        let c = StepCheck::resolve(&header(), &click(1, 1), &cli);
        assert_eq!(c.masks, vec![Rect::new(0, 0, 3, 3)]);
    }

    #[test]
    fn a_mask_given_twice_is_listed_once() {
        let cli = CheckOverrides {
            masks: vec![Rect::new(90, 0, 10, 10), Rect::new(90, 0, 10, 10)],
            ..CheckOverrides::default()
        };
        let c = StepCheck::resolve(&header(), &click(1, 1), &cli);
        assert_eq!(c.masks, vec![Rect::new(90, 0, 10, 10)]);
    }

    #[test]
    fn around_action_is_a_square_around_the_target_clipped_to_the_screen() {
        let region = Region::AroundAction { radius: 10 };
        let a = click(50, 40).action;
        assert_eq!(area_of(region, &a, 100, 80), Rect::new(40, 30, 21, 21));
        let corner = click(2, 3).action;
        assert_eq!(area_of(region, &corner, 100, 80), Rect::new(0, 0, 13, 14));
        let typing = Action::Type {
            text: Text::Literal("x".into()),
        };
        assert_eq!(area_of(region, &typing, 100, 80), Rect::new(0, 0, 100, 80));
    }

    #[test]
    fn stable_is_at_least_one_capture() {
        let cli = CheckOverrides {
            stable: Some(0),
            ..CheckOverrides::default()
        };
        assert_eq!(StepCheck::resolve(&header(), &click(1, 1), &cli).stable, 1);
    }

    #[test]
    fn pacing_scales_and_caps_recorded_gaps() {
        assert_eq!(Pacing::ASAP.gap(0, 5_000_000), Duration::ZERO);
        assert_eq!(
            Pacing::AS_RECORDED.gap(1_000_000, 3_000_000),
            Duration::from_secs(2)
        );
        let fast = Pacing {
            speed: Some(4.0),
            max_idle: Some(Duration::from_millis(300)),
        };
        assert_eq!(fast.gap(0, 800_000), Duration::from_millis(200));
        assert_eq!(fast.gap(0, 8_000_000), Duration::from_millis(300));
        assert_eq!(fast.wait(400_000), Duration::from_millis(100));
        assert_eq!(Pacing::ASAP.wait(400_000), Duration::from_millis(400));
    }
}
