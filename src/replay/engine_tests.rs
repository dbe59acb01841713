//! Unit tests of the run's rules, with a fake screen and a fake
//! application: an injector that shows the next screen whenever a button
//! or key comes up, as an application redrawing after input would.

use std::collections::VecDeque;

use super::*;
use crate::input::{Held, Injected, KeyCombo, Keysym, RecordingInjector};
use crate::model::{Action, Button, CheckpointOverride, Rect, ScreenGeometry, Text};
use crate::screen::FakeScreen;

const W: u32 = 16;
const H: u32 = 12;

/// A screen whose pixel (n, 0) is white: screen number `n`.
fn screen_n(n: u32) -> Frame {
    let mut data = Frame::filled(W, H, 0x000000).into_data();
    data[n as usize * 4..][..3].copy_from_slice(&[255; 3]);
    Frame::from_bgrx(W, H, data).unwrap()
}

/// An application: each time input ends (a button or key comes up), it
/// draws the next of its screens.
struct App {
    input: RecordingInjector,
    screen: FakeScreen,
    next: VecDeque<Frame>,
}

impl App {
    fn new(screen: &FakeScreen, draws: impl IntoIterator<Item = u32>) -> App {
        App {
            input: RecordingInjector::new(),
            screen: screen.clone(),
            next: draws.into_iter().map(screen_n).collect(),
        }
    }

    fn draw(&mut self) {
        if let Some(f) = self.next.pop_front() {
            self.screen.show(f);
        }
    }

    fn clicks(&self) -> Vec<(i32, i32)> {
        let mut at = (0, 0);
        let mut out = Vec::new();
        for e in &self.input.events {
            match e {
                Injected::Move { x, y } => at = (*x, *y),
                Injected::ButtonDown(_) => out.push(at),
                _ => {}
            }
        }
        out
    }
}

impl Injector for App {
    fn move_to(&mut self, x: i32, y: i32) -> Result<(), InjectError> {
        self.input.move_to(x, y)
    }
    fn button_down(&mut self, b: Button) -> Result<(), InjectError> {
        self.input.button_down(b)
    }
    fn button_up(&mut self, b: Button) -> Result<(), InjectError> {
        self.input.button_up(b)?;
        self.draw();
        Ok(())
    }
    fn scroll(&mut self, dx: i32, dy: i32) -> Result<(), InjectError> {
        self.input.scroll(dx, dy)
    }
    fn key_down(&mut self, k: Keysym) -> Result<(), InjectError> {
        self.input.key_down(k)
    }
    fn key_up(&mut self, k: Keysym) -> Result<(), InjectError> {
        self.input.key_up(k)
    }
    fn key_combo(&mut self, c: &KeyCombo) -> Result<(), InjectError> {
        self.input.key_combo(c)?;
        self.draw();
        Ok(())
    }
    fn type_text(&mut self, t: &str) -> Result<(), InjectError> {
        self.input.type_text(t)?;
        self.draw();
        Ok(())
    }
    fn release_all(&mut self) -> Result<(), InjectError> {
        self.input.release_all()
    }
}

fn click(x: i32) -> Action {
    Action::Click {
        button: Button::LEFT,
        count: 1,
        x,
        y: 5,
        interval_us: 0,
        modifiers: vec![],
    }
}

fn header() -> Header {
    let mut h = Header::new(ScreenGeometry {
        width: W,
        height: H,
        depth: 24,
    });
    h.checkpoint.timeout_ms = 300;
    h
}

/// Steps `i` expecting screen `i`, one frame per step, 100 ms apart.
fn steps(actions: Vec<Action>) -> (Vec<Step>, Vec<Frame>) {
    let frames = (0..actions.len() as u32).map(screen_n).collect();
    let steps = actions
        .into_iter()
        .enumerate()
        .map(|(i, action)| Step {
            at_us: i as u64 * 100_000,
            action,
            frame: i as FrameId,
            checkpoint: CheckpointOverride::default(),
        })
        .collect();
    (steps, frames)
}

fn plan(steps: &[Step]) -> Plan {
    Plan::new(
        &header(),
        steps,
        &CheckOverrides::default(),
        Vars::default(),
    )
    .unwrap()
}

fn settings(dir: &Path) -> Settings {
    Settings {
        report_dir: dir.to_path_buf(),
        ..Settings::default()
    }
}

#[test]
fn every_action_runs_once_its_screen_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let (steps, mut frames) = steps(vec![click(1), click(2), click(3)]);
    let mut screen = FakeScreen::new(screen_n(0));
    let mut app = App::new(&screen, [1, 2, 3]);
    let ran = run(
        &plan(&steps),
        &mut frames,
        &mut screen,
        &mut app,
        &settings(dir.path()),
        &mut Quiet,
    );
    assert_eq!(ran.status, Status::Passed, "{:?}", ran.error);
    assert_eq!((ran.passed_steps, ran.actions_injected), (3, 3));
    assert_eq!(app.clicks(), [(1, 5), (2, 5), (3, 5)]);
    assert_eq!(ran.checkpoints.len(), 3);
    assert!(ran.failures.is_empty());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_failed_checkpoint_stops_before_its_action_and_leaves_three_images() {
    let dir = tempfile::tempdir().unwrap();
    let (steps, mut frames) = steps(vec![click(1), click(2), click(3)]);
    let mut screen = FakeScreen::new(screen_n(0));
    // The application draws screen 7 where step 1 expects screen 1.
    let mut app = App::new(&screen, [7, 2, 3]);
    let ran = run(
        &plan(&steps),
        &mut frames,
        &mut screen,
        &mut app,
        &settings(dir.path()),
        &mut Quiet,
    );
    assert_eq!(ran.status, Status::Failed);
    assert_eq!((ran.passed_steps, ran.actions_injected), (1, 1));
    assert_eq!(app.clicks(), [(1, 5)], "step 1's action was not injected");

    let [f] = &ran.failures[..] else {
        panic!("{:?}", ran.failures)
    };
    assert_eq!(f.step, 1);
    assert_eq!(f.action, "click left at 2,5");
    assert_eq!(
        (f.differing_pixels, f.compared_pixels),
        (2, u64::from(W * H))
    );
    assert_eq!(f.boxes, [Rect::new(1, 0, 7, 1)]);
    assert!(f.waited_ms >= 300);
    for path in [&f.expected, &f.actual, &f.diff] {
        assert!(path.starts_with(dir.path()), "{}", path.display());
        let image = Frame::load_png(path).unwrap();
        assert_eq!((image.width(), image.height()), (W, H));
    }
    let actual = Frame::load_png(&f.actual).unwrap();
    assert_eq!(
        actual.data()[7 * 4],
        255,
        "the actual image is the live screen"
    );
}

#[test]
fn keep_going_skips_the_failed_steps_action_and_checks_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (steps, mut frames) = steps(vec![click(1), click(2), click(3)]);
    let mut screen = FakeScreen::new(screen_n(0));
    let mut app = App::new(&screen, [7]);
    let painter = screen.clone();
    let mut observer = Painter {
        screen: painter,
        on_fail: Some(screen_n(2)),
        repair: false,
    };
    let ran = run(
        &plan(&steps),
        &mut frames,
        &mut screen,
        &mut app,
        &Settings {
            keep_going: true,
            ..settings(dir.path())
        },
        &mut observer,
    );
    assert_eq!(ran.status, Status::Failed);
    assert_eq!(app.clicks(), [(1, 5), (3, 5)], "step 1's click was skipped");
    assert_eq!(ran.failures.len(), 1);
    assert_eq!(ran.passed_steps, 2);
}

/// An observer that draws a screen when a checkpoint fails, and asks for
/// another try when `repair` is set.
struct Painter {
    screen: FakeScreen,
    on_fail: Option<Frame>,
    repair: bool,
}

impl Observer for Painter {
    fn mismatch(&mut self, _failure: &Failure, _attempt: u32) -> bool {
        if let Some(f) = self.on_fail.take() {
            self.screen.show(f);
        }
        self.repair
    }
}

#[test]
fn a_repaired_mismatch_is_tried_again_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let (steps, mut frames) = steps(vec![click(1), click(2)]);
    let mut screen = FakeScreen::new(screen_n(5));
    let mut app = App::new(&screen, [1]);
    let mut observer = Painter {
        screen: screen.clone(),
        on_fail: Some(screen_n(0)),
        repair: true,
    };
    let ran = run(
        &plan(&steps),
        &mut frames,
        &mut screen,
        &mut app,
        &settings(dir.path()),
        &mut observer,
    );
    assert_eq!(ran.status, Status::Passed);
    assert_eq!(app.clicks(), [(1, 5), (2, 5)]);
    assert_eq!(ran.failures.len(), 1);
    assert!(ran.failures[0].repaired);
    assert!(ran.failures[0].diff.exists());
}

#[test]
fn repairs_are_limited() {
    let dir = tempfile::tempdir().unwrap();
    let (steps, mut frames) = steps(vec![click(1)]);
    let mut screen = FakeScreen::new(screen_n(5));
    let mut app = App::new(&screen, []);
    let mut observer = Painter {
        screen: screen.clone(),
        on_fail: None,
        repair: true,
    };
    let ran = run(
        &plan(&steps),
        &mut frames,
        &mut screen,
        &mut app,
        &Settings {
            max_retries: 2,
            ..settings(dir.path())
        },
        &mut observer,
    );
    assert_eq!(ran.status, Status::Failed);
    assert_eq!(ran.failures.len(), 3);
    assert_eq!(ran.failures.iter().filter(|f| f.repaired).count(), 2);
}

/// Stops the run after being asked `after` times.
struct StopAfter {
    after: usize,
    asked: usize,
    stop: Stop,
}

impl Observer for StopAfter {
    fn stop(&mut self) -> Option<Stop> {
        self.asked += 1;
        (self.asked > self.after).then(|| self.stop.clone())
    }
}

#[test]
fn an_interrupt_releases_what_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let press = Action::Press {
        button: Button::LEFT,
        x: 1,
        y: 1,
        modifiers: vec!["shift".into()],
    };
    // Step 1 waits for a screen that never comes.
    let (steps, mut frames) = steps(vec![press, click(2)]);
    let mut screen = FakeScreen::new(screen_n(0));
    let mut app = App::new(&screen, []);
    let mut observer = StopAfter {
        after: 3,
        asked: 0,
        stop: Stop::Interrupted,
    };
    let mut header = header();
    header.checkpoint.timeout_ms = 60_000;
    let plan = Plan::new(&header, &steps, &CheckOverrides::default(), Vars::default()).unwrap();
    let ran = run(
        &plan,
        &mut frames,
        &mut screen,
        &mut app,
        &settings(dir.path()),
        &mut observer,
    );
    assert_eq!(ran.status, Status::Interrupted);
    assert_eq!(ran.actions_injected, 1);
    assert!(app.input.held().is_empty());
    assert_eq!(
        app.input.events.last(),
        Some(&Injected::ButtonUp(Button::LEFT)),
        "the button held by the press was released"
    );
    assert!(ran.duration < Duration::from_secs(30));
}

#[test]
fn an_application_that_dies_ends_the_run_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (steps, mut frames) = steps(vec![click(1)]);
    let mut screen = FakeScreen::new(screen_n(3));
    let mut app = App::new(&screen, []);
    let mut observer = StopAfter {
        after: 1,
        asked: 0,
        stop: Stop::Broken("xcalc exited with status 1".into()),
    };
    let ran = run(
        &plan(&steps),
        &mut frames,
        &mut screen,
        &mut app,
        &settings(dir.path()),
        &mut observer,
    );
    assert_eq!(ran.status, Status::Error);
    let err = ran.error.unwrap().to_string();
    assert_eq!(err, "step 0: xcalc exited with status 1");
}

#[test]
fn as_recorded_keeps_the_gaps_between_actions() {
    let dir = tempfile::tempdir().unwrap();
    let (mut steps, mut frames) = steps(vec![click(1), click(2)]);
    steps[1].at_us = 250_000;
    let mut screen = FakeScreen::new(screen_n(0));
    let mut app = App::new(&screen, [1, 2]);
    let start = Instant::now();
    let ran = run(
        &plan(&steps),
        &mut frames,
        &mut screen,
        &mut app,
        &Settings {
            pacing: Pacing::AS_RECORDED,
            ..settings(dir.path())
        },
        &mut Quiet,
    );
    assert_eq!(ran.status, Status::Passed);
    assert!(start.elapsed() >= Duration::from_millis(250));
}

#[test]
fn the_first_checkpoint_waits_for_the_application_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let (steps, mut frames) = steps(vec![click(1)]);
    let mut screen = FakeScreen::new(screen_n(9));
    let mut app = App::new(&screen, []);
    let painter = screen.clone();
    // The application shows its window after the step's own timeout.
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        painter.show(screen_n(0));
    });
    let ran = run(
        &plan(&steps),
        &mut frames,
        &mut screen,
        &mut app,
        &Settings {
            first_timeout: Some(Duration::from_secs(30)),
            ..settings(dir.path())
        },
        &mut Quiet,
    );
    thread.join().unwrap();
    assert_eq!(ran.status, Status::Passed, "{:?}", ran.failures);
    assert!(ran.checkpoints[0].waited_ms >= 400);
}

#[test]
fn typed_variables_reach_the_input_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let typing = Action::Type {
        text: Text::Variable("TOKEN".into()),
    };
    let (steps, mut frames) = steps(vec![typing, click(2)]);
    let need = ["TOKEN".to_string()].into_iter().collect();
    let vars = Vars::resolve(&need, &[("TOKEN".into(), "s3cr3t".into())], |_| None).unwrap();
    let plan = Plan::new(&header(), &steps, &CheckOverrides::default(), vars).unwrap();
    let mut screen = FakeScreen::new(screen_n(0));
    // The application draws a wrong screen after the typing: step 1 fails.
    let mut app = App::new(&screen, [4]);
    let ran = run(
        &plan,
        &mut frames,
        &mut screen,
        &mut app,
        &settings(dir.path()),
        &mut Quiet,
    );
    assert_eq!(ran.status, Status::Failed);
    let typed: String = app
        .input
        .events
        .iter()
        .filter_map(|e| match e {
            Injected::KeyDown(k) => k.to_char(),
            _ => None,
        })
        .collect();
    assert_eq!(typed, "s3cr3t");
    assert_eq!(plan.steps[0].description, "type ${TOKEN}");
    assert!(!format!("{plan:?}").contains("s3cr3t"));
    assert!(!format!("{:?}", ran.failures).contains("s3cr3t"));
}

#[test]
fn plans_refuse_bad_actions_before_anything_runs() {
    let (steps, _) = steps(vec![
        click(1),
        Action::Key {
            keys: "ctrl+".into(),
        },
    ]);
    let err = Plan::new(
        &header(),
        &steps,
        &CheckOverrides::default(),
        Vars::default(),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("step 1: "), "{err}");
}

#[test]
fn an_injection_failure_is_an_error_and_still_releases() {
    let dir = tempfile::tempdir().unwrap();
    let drag = Action::Drag {
        button: Button::LEFT,
        path: vec![
            crate::model::PathPoint {
                x: 1,
                y: 1,
                t_us: 0,
            },
            crate::model::PathPoint {
                x: 4,
                y: 4,
                t_us: 1_000,
            },
        ],
        modifiers: vec![],
    };
    let (steps, mut frames) = steps(vec![drag]);
    let mut screen = FakeScreen::new(screen_n(0));
    let mut app = App::new(&screen, []);
    app.input.fail_at = Some(2); // the move after the press
    let ran = run(
        &plan(&steps),
        &mut frames,
        &mut screen,
        &mut app,
        &settings(dir.path()),
        &mut Quiet,
    );
    assert_eq!(ran.status, Status::Error);
    assert!(matches!(ran.error, Some(RunError::Inject { step: 0, .. })));
    assert!(app.input.held().is_empty());
    assert!(!app.input.held().contains(&Held::Button(Button::LEFT)));
}
