//! Actions as replay injects them: checked once before the first action,
//! then performed through an [`Injector`] with the recorded timing inside
//! each gesture.
//!
//! What each action does follows the recorder's recognizer, so that the
//! application sees what it saw while recording:
//!
//! - `move`: the pointer moves there (a settled move is a step of its own,
//!   so a hover highlight is in the next step's frame).
//! - `click`: the pointer moves to the point, then presses and releases
//!   there `count` times, each press `interval_us` after the one before
//!   (double clicks stay double clicks).
//! - `drag`: presses at the first point of the path, moves through the
//!   others at their recorded times after the press, releases at the last.
//! - `scroll`: the pointer moves to the point, then the wheel turns.
//! - `press`, `release`: the raw button events, at their points.
//! - `key`: the combination's modifiers go down, the key is pressed and
//!   released, the modifiers come up.
//! - `type`: the text, literal or a `${NAME}` variable's value.
//! - `wait`: nothing is done for the (paced) duration.
//!
//! Pointer actions hold their `modifiers` while they happen.

#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use crate::input::{InjectError, Injector, KeyCombo, KeyComboError, Modifier};
use crate::model::{Action, Button, ScreenGeometry, Text};

use super::plan::Pacing;
use super::vars::Vars;

/// An action checked and ready to inject.
#[derive(Debug, Clone, PartialEq)]
pub enum Prepared {
    /// Move the pointer.
    Move { x: i32, y: i32 },
    /// Press a button at a point, with modifiers held for the press.
    Press {
        button: Button,
        x: i32,
        y: i32,
        modifiers: Vec<Modifier>,
    },
    /// Release a button at a point.
    Release { button: Button, x: i32, y: i32 },
    /// Click `count` times at a point, presses `interval` apart.
    Click {
        button: Button,
        count: u8,
        x: i32,
        y: i32,
        interval: Duration,
        modifiers: Vec<Modifier>,
    },
    /// Press at the first point, move through the rest at their times after
    /// the press, release at the last.
    Drag {
        button: Button,
        path: Vec<(i32, i32, Duration)>,
        modifiers: Vec<Modifier>,
    },
    /// Turn the wheel at a point.
    Scroll {
        dx: i32,
        dy: i32,
        x: i32,
        y: i32,
        modifiers: Vec<Modifier>,
    },
    /// Press a key combination.
    Key(KeyCombo),
    /// Type text; a variable is looked up when it is typed.
    Type(Text),
    /// Do nothing for this long, before pacing.
    Wait { duration_us: u64 },
}

/// An action replay cannot perform, found before the first action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// A key action whose combination does not parse.
    #[error("step {step}: {source}")]
    KeyCombo {
        step: usize,
        #[source]
        source: KeyComboError,
    },
    /// A pointer action with a modifier name that is not one.
    #[error(
        "step {step}: {name:?} is not a modifier; pointer actions take ctrl, alt, shift, \
         super, meta, hyper or altgr"
    )]
    Modifier { step: usize, name: String },
    /// A button XTEST cannot press.
    #[error(
        "step {step}: pointer button {button} cannot be replayed; buttons 1 to 9 can (a wheel \
         turn is a scroll action)"
    )]
    Button { step: usize, button: u8 },
    /// A point outside the recorded screen.
    #[error("step {step}: the point {x},{y} is outside the {screen} screen the file records")]
    OffScreen {
        step: usize,
        x: i32,
        y: i32,
        screen: ScreenGeometry,
    },
    /// A drag without points.
    #[error("step {step}: the drag has an empty path")]
    EmptyDrag { step: usize },
    /// A click of no clicks.
    #[error("step {step}: the click has a count of 0")]
    NoClicks { step: usize },
    /// A drag whose points go back in time.
    #[error("step {step}: the drag's path goes back in time at point {point}")]
    DragTime { step: usize, point: usize },
}

/// Why performing an action stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum PerformError {
    /// The X server refused or lost an event.
    #[error(transparent)]
    Inject(#[from] InjectError),
    /// The run was told to stop while the action waited between events.
    #[error("stopped while the action was under way")]
    Stopped,
}

/// Checks step `step`'s action against the recorded screen and parses its
/// key names.
///
/// # Errors
///
/// An [`ActionError`] naming the step and what is wrong.
pub fn prepare(
    step: usize,
    action: &Action,
    screen: ScreenGeometry,
) -> Result<Prepared, ActionError> {
    let point = |x: i32, y: i32| -> Result<(i32, i32), ActionError> {
        let inside = u32::try_from(x).is_ok_and(|x| x < screen.width)
            && u32::try_from(y).is_ok_and(|y| y < screen.height);
        if inside {
            Ok((x, y))
        } else {
            Err(ActionError::OffScreen { step, x, y, screen })
        }
    };
    let button = |b: Button| -> Result<Button, ActionError> {
        if (1..=9).contains(&b.0) {
            Ok(b)
        } else {
            Err(ActionError::Button { step, button: b.0 })
        }
    };
    let modifiers = |names: &[String]| -> Result<Vec<Modifier>, ActionError> {
        names
            .iter()
            .map(|n| {
                Modifier::from_alias(n).ok_or_else(|| ActionError::Modifier {
                    step,
                    name: n.clone(),
                })
            })
            .collect()
    };

    Ok(match action {
        Action::Move { x, y } => {
            let (x, y) = point(*x, *y)?;
            Prepared::Move { x, y }
        }
        Action::Press {
            button: b,
            x,
            y,
            modifiers: m,
        } => {
            let (x, y) = point(*x, *y)?;
            Prepared::Press {
                button: button(*b)?,
                x,
                y,
                modifiers: modifiers(m)?,
            }
        }
        Action::Release { button: b, x, y } => {
            let (x, y) = point(*x, *y)?;
            Prepared::Release {
                button: button(*b)?,
                x,
                y,
            }
        }
        Action::Click {
            button: b,
            count,
            x,
            y,
            interval_us,
            modifiers: m,
        } => {
            if *count == 0 {
                return Err(ActionError::NoClicks { step });
            }
            let (x, y) = point(*x, *y)?;
            Prepared::Click {
                button: button(*b)?,
                count: *count,
                x,
                y,
                interval: Duration::from_micros(*interval_us),
                modifiers: modifiers(m)?,
            }
        }
        Action::Drag {
            button: b,
            path,
            modifiers: m,
        } => {
            let first = path.first().ok_or(ActionError::EmptyDrag { step })?;
            let mut points = Vec::with_capacity(path.len());
            let mut last_t = first.t_us;
            for (i, p) in path.iter().enumerate() {
                if p.t_us < last_t {
                    return Err(ActionError::DragTime { step, point: i });
                }
                last_t = p.t_us;
                let (x, y) = point(p.x, p.y)?;
                // Times count from the press, which happens at the first
                // point; the step may have started earlier.
                points.push((x, y, Duration::from_micros(p.t_us - first.t_us)));
            }
            Prepared::Drag {
                button: button(*b)?,
                path: points,
                modifiers: modifiers(m)?,
            }
        }
        Action::Scroll {
            dx,
            dy,
            x,
            y,
            modifiers: m,
        } => {
            let (x, y) = point(*x, *y)?;
            Prepared::Scroll {
                dx: *dx,
                dy: *dy,
                x,
                y,
                modifiers: modifiers(m)?,
            }
        }
        Action::Key { keys } => Prepared::Key(
            keys.parse()
                .map_err(|source| ActionError::KeyCombo { step, source })?,
        ),
        Action::Type { text } => Prepared::Type(text.clone()),
        Action::Wait { duration_us } => Prepared::Wait {
            duration_us: *duration_us,
        },
    })
}

/// Performs a prepared action.
///
/// `sleep_until` is called whenever the action must wait (between the
/// clicks of a double click, along a drag's path, for a `wait`); it returns
/// `false` when the run is told to stop, and the action ends there. Keys
/// and buttons it leaves held are the caller's to release
/// ([`Injector::release_all`]).
///
/// # Errors
///
/// When the injector fails, or [`PerformError::Stopped`].
pub fn perform<I: Injector + ?Sized>(
    action: &Prepared,
    injector: &mut I,
    vars: &Vars,
    pacing: Pacing,
    sleep_until: &mut dyn FnMut(Instant) -> bool,
) -> Result<(), PerformError> {
    let mut sleep = |until: Instant| {
        if sleep_until(until) {
            Ok(())
        } else {
            Err(PerformError::Stopped)
        }
    };
    match action {
        Prepared::Move { x, y } => injector.move_to(*x, *y)?,
        Prepared::Press {
            button,
            x,
            y,
            modifiers,
        } => with_modifiers(injector, modifiers, |inj| {
            inj.move_to(*x, *y)?;
            inj.button_down(*button)?;
            Ok(())
        })?,
        Prepared::Release { button, x, y } => {
            injector.move_to(*x, *y)?;
            injector.button_up(*button)?;
        }
        Prepared::Click {
            button,
            count,
            x,
            y,
            interval,
            modifiers,
        } => with_modifiers(injector, modifiers, |inj| {
            inj.move_to(*x, *y)?;
            let first = Instant::now();
            for i in 0..u32::from(*count) {
                if i > 0 {
                    sleep(first + *interval * i)?;
                }
                inj.button_down(*button)?;
                inj.button_up(*button)?;
            }
            Ok(())
        })?,
        Prepared::Drag {
            button,
            path,
            modifiers,
        } => with_modifiers(injector, modifiers, |inj| {
            let &(x0, y0, _) = path.first().expect("prepare refuses empty paths");
            inj.move_to(x0, y0)?;
            inj.button_down(*button)?;
            let pressed = Instant::now();
            for &(x, y, t) in &path[1..] {
                sleep(pressed + t)?;
                inj.move_to(x, y)?;
            }
            inj.button_up(*button)?;
            Ok(())
        })?,
        Prepared::Scroll {
            dx,
            dy,
            x,
            y,
            modifiers,
        } => with_modifiers(injector, modifiers, |inj| {
            inj.move_to(*x, *y)?;
            inj.scroll(*dx, *dy)?;
            Ok(())
        })?,
        Prepared::Key(combo) => injector.key_combo(combo)?,
        Prepared::Type(Text::Literal(text)) => injector.type_text(text)?,
        Prepared::Type(Text::Variable(name)) => {
            // Values are resolved before the first action; a name without
            // one cannot get here.
            let value = vars.get(name).unwrap_or_default();
            injector.type_text(value)?;
        }
        Prepared::Wait { duration_us } => sleep(Instant::now() + pacing.wait(*duration_us))?,
    }
    Ok(())
}

/// Holds `modifiers` down around `body`. On failure they stay held for
/// the caller's [`Injector::release_all`].
fn with_modifiers<I: Injector + ?Sized>(
    injector: &mut I,
    modifiers: &[Modifier],
    body: impl FnOnce(&mut I) -> Result<(), PerformError>,
) -> Result<(), PerformError> {
    for m in modifiers {
        injector.key_down(m.keysym())?;
    }
    body(injector)?;
    for m in modifiers.iter().rev() {
        injector.key_up(m.keysym())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Injected, Keysym, RecordingInjector};
    use crate::model::PathPoint;

    const SCREEN: ScreenGeometry = ScreenGeometry {
        width: 100,
        height: 80,
        depth: 24,
    };

    fn run(action: &Action) -> Vec<Injected> {
        run_timed(action).0
    }

    /// The events, and every wait the action asked for, from its start.
    fn run_timed(action: &Action) -> (Vec<Injected>, Vec<Duration>) {
        let prepared = prepare(0, action, SCREEN).unwrap();
        let mut inj = RecordingInjector::new();
        let vars = Vars::default();
        let start = Instant::now();
        let mut waits = Vec::new();
        let mut sleep = |until: Instant| {
            waits.push(until.saturating_duration_since(start));
            true
        };
        perform(&prepared, &mut inj, &vars, Pacing::ASAP, &mut sleep).unwrap();
        assert!(inj.held().is_empty(), "left held: {:?}", inj.held());
        (inj.events, waits)
    }

    #[test]
    fn a_double_click_moves_once_and_keeps_its_interval() {
        let click = Action::Click {
            button: Button::LEFT,
            count: 2,
            x: 10,
            y: 20,
            interval_us: 30_000,
            modifiers: vec!["ctrl".into()],
        };
        let (events, waits) = run_timed(&click);
        let [second] = waits[..] else {
            panic!("{waits:?}")
        };
        assert!(second >= Duration::from_millis(30), "{second:?}");
        use Injected::*;
        assert_eq!(
            events,
            [
                KeyDown(Keysym::CONTROL_L),
                Move { x: 10, y: 20 },
                ButtonDown(Button::LEFT),
                ButtonUp(Button::LEFT),
                ButtonDown(Button::LEFT),
                ButtonUp(Button::LEFT),
                KeyUp(Keysym::CONTROL_L),
            ]
        );
    }

    #[test]
    fn a_drag_presses_at_its_first_point_and_releases_at_its_last() {
        let drag = Action::Drag {
            button: Button::LEFT,
            path: vec![
                PathPoint {
                    x: 1,
                    y: 1,
                    t_us: 50_000,
                },
                PathPoint {
                    x: 5,
                    y: 6,
                    t_us: 60_000,
                },
                PathPoint {
                    x: 9,
                    y: 9,
                    t_us: 70_000,
                },
            ],
            modifiers: vec![],
        };
        let prepared = prepare(3, &drag, SCREEN).unwrap();
        let Prepared::Drag { path, .. } = &prepared else {
            panic!("{prepared:?}")
        };
        assert_eq!(path[0].2, Duration::ZERO, "times count from the press");
        assert_eq!(path[2].2, Duration::from_millis(20));
        use Injected::*;
        assert_eq!(
            run(&drag),
            [
                Move { x: 1, y: 1 },
                ButtonDown(Button::LEFT),
                Move { x: 5, y: 6 },
                Move { x: 9, y: 9 },
                ButtonUp(Button::LEFT),
            ]
        );
    }

    #[test]
    fn scrolls_move_first_and_types_resolve_variables() {
        let scroll = Action::Scroll {
            dx: 0,
            dy: -2,
            x: 7,
            y: 8,
            modifiers: vec![],
        };
        use Injected::*;
        assert_eq!(
            run(&scroll),
            [
                Move { x: 7, y: 8 },
                ButtonDown(Button(4)),
                ButtonUp(Button(4)),
                ButtonDown(Button(4)),
                ButtonUp(Button(4)),
            ]
        );

        let need = ["NAME".to_string()].into_iter().collect();
        let vars = Vars::resolve(&need, &[("NAME".into(), "ab".into())], |_| None).unwrap();
        let typed = prepare(
            0,
            &Action::Type {
                text: Text::Variable("NAME".into()),
            },
            SCREEN,
        )
        .unwrap();
        let mut inj = RecordingInjector::new();
        perform(&typed, &mut inj, &vars, Pacing::ASAP, &mut |_| true).unwrap();
        let a = Keysym::from_char('a');
        let b = Keysym::from_char('b');
        assert_eq!(inj.events, [KeyDown(a), KeyUp(a), KeyDown(b), KeyUp(b)]);
    }

    #[test]
    fn bad_actions_are_refused_with_their_step() {
        let off = Action::Move { x: 100, y: 5 };
        let err = prepare(4, &off, SCREEN).unwrap_err();
        assert!(
            err.to_string().starts_with("step 4: the point 100,5"),
            "{err}"
        );
        let key = Action::Key {
            keys: "ctrl+nosuchkey".into(),
        };
        assert!(matches!(
            prepare(2, &key, SCREEN),
            Err(ActionError::KeyCombo { step: 2, .. })
        ));
        let modifier = Action::Click {
            button: Button::LEFT,
            count: 1,
            x: 1,
            y: 1,
            interval_us: 0,
            modifiers: vec!["hold".into()],
        };
        assert!(matches!(
            prepare(1, &modifier, SCREEN),
            Err(ActionError::Modifier { step: 1, .. })
        ));
        let wheel_press = Action::Press {
            button: Button(4),
            x: 1,
            y: 1,
            modifiers: vec![],
        };
        assert!(prepare(0, &wheel_press, SCREEN).is_ok());
        let empty = Action::Drag {
            button: Button::LEFT,
            path: vec![],
            modifiers: vec![],
        };
        assert_eq!(
            prepare(0, &empty, SCREEN),
            Err(ActionError::EmptyDrag { step: 0 })
        );
    }

    #[test]
    fn a_stop_during_a_gesture_ends_it_with_the_button_still_held() {
        let drag = Action::Drag {
            button: Button::LEFT,
            path: vec![
                PathPoint {
                    x: 1,
                    y: 1,
                    t_us: 0,
                },
                PathPoint {
                    x: 5,
                    y: 5,
                    t_us: 10_000,
                },
            ],
            modifiers: vec!["shift".into()],
        };
        let prepared = prepare(0, &drag, SCREEN).unwrap();
        let mut inj = RecordingInjector::new();
        let result = perform(
            &prepared,
            &mut inj,
            &Vars::default(),
            Pacing::ASAP,
            &mut |_| false,
        );
        assert!(matches!(result, Err(PerformError::Stopped)));
        assert_eq!(
            inj.held().len(),
            2,
            "shift and the button wait for release_all"
        );
    }
}
