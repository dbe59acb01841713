//! The in-memory trajectory: a header plus steps, each step one action with
//! the frame it expects on screen before it runs.
//!
//! These types are what the recorder produces, the file format stores (as
//! MessagePack, field names as written here) and `show --json` prints, so
//! their serialized names are part of the file format and of the JSON
//! output: renaming a field is a format change (see `formats/trajectory-v1.md`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Index of a frame in a trajectory file. Frames are numbered from 0 in the
/// order they were written; identical screens share one frame.
pub type FrameId = u32;

/// A whole trajectory held in memory (frames excluded: they stay in the file
/// and are decoded on demand).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trajectory {
    pub header: Header,
    pub steps: Vec<Step>,
}

/// What is known about the session as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Version of the `trajectory` tool that wrote the file.
    pub tool_version: String,
    /// When the recording started, in microseconds since the Unix epoch (UTC).
    pub created_unix_us: i64,
    /// Geometry of the recorded screen; every frame has this size.
    pub screen: ScreenGeometry,
    /// Resolution of the recorded screen, when the X server reported one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpi: Option<Dpi>,
    /// Keyboard layout in effect while recording (XKB names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyboard: Option<KeyboardLayout>,
    /// Name of the window manager, if one was running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_manager: Option<String>,
    /// Free-form title given by the person who recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Areas that changed while no input happened (a clock, a caret), which
    /// replay masks unless told otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proposed_masks: Vec<ProposedMask>,
    /// Names of the `${NAME}` variables that typed text refers to. Values are
    /// never stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<String>,
    /// Checkpoint settings of every step that does not override them.
    #[serde(default)]
    pub checkpoint: Checkpoint,
}

impl Header {
    /// A header for a screen of the given geometry, stamped with this tool's
    /// version and the current time, with default checkpoint settings.
    pub fn new(screen: ScreenGeometry) -> Header {
        let created_unix_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        Header {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            created_unix_us,
            screen,
            dpi: None,
            keyboard: None,
            window_manager: None,
            title: None,
            proposed_masks: Vec::new(),
            variables: Vec::new(),
            checkpoint: Checkpoint::default(),
        }
    }
}

/// Size and colour depth of a screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScreenGeometry {
    pub width: u32,
    pub height: u32,
    /// Colour depth in bits (24 on a usual X server).
    pub depth: u8,
}

impl fmt::Display for ScreenGeometry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}x{}", self.width, self.height, self.depth)
    }
}

/// Dots per inch, horizontally and vertically.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Dpi {
    pub x: f32,
    pub y: f32,
}

/// XKB keyboard description (the `_XKB_RULES_NAMES` of the X server).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyboardLayout {
    pub rules: String,
    pub model: String,
    pub layout: String,
    pub variant: String,
    pub options: String,
}

/// An axis-aligned rectangle in screen pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub fn new(x: i32, y: i32, width: u32, height: u32) -> Rect {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    /// The part of this rectangle inside a `width` x `height` screen, or
    /// `None` when nothing of it is on screen.
    pub fn clip(&self, width: u32, height: u32) -> Option<Rect> {
        let x0 = i64::from(self.x).max(0);
        let y0 = i64::from(self.y).max(0);
        let x1 = (i64::from(self.x) + i64::from(self.width)).min(i64::from(width));
        let y1 = (i64::from(self.y) + i64::from(self.height)).min(i64::from(height));
        (x0 < x1 && y0 < y1)
            .then(|| Rect::new(x0 as i32, y0 as i32, (x1 - x0) as u32, (y1 - y0) as u32))
    }
}

impl fmt::Display for Rect {
    /// `x,y,w,h`, the form the command line takes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{},{},{}", self.x, self.y, self.width, self.height)
    }
}

/// A value given on the command line or in a file that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {input:?} is not valid: {why}")]
pub struct ParseError {
    pub what: &'static str,
    pub input: String,
    pub why: &'static str,
}

impl std::str::FromStr for Rect {
    type Err = ParseError;

    /// `x,y,w,h` (also `x,y,wxh`): left, top, width and height in pixels.
    fn from_str(s: &str) -> Result<Rect, ParseError> {
        let err = |why| ParseError {
            what: "rectangle",
            input: s.to_string(),
            why,
        };
        let parts: Vec<&str> = s.split([',', 'x']).map(str::trim).collect();
        let [x, y, w, h] = parts[..] else {
            return Err(err("expected x,y,w,h, for example 10,20,300,200"));
        };
        let x = x.parse().map_err(|_| err("x is not an integer"))?;
        let y = y.parse().map_err(|_| err("y is not an integer"))?;
        let width = w
            .parse()
            .map_err(|_| err("width is not a positive integer"))?;
        let height = h
            .parse()
            .map_err(|_| err("height is not a positive integer"))?;
        if width == 0 || height == 0 {
            return Err(err("width and height must be at least 1"));
        }
        Ok(Rect::new(x, y, width, height))
    }
}

/// A mask the recorder proposes: an area that changed on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedMask {
    pub rect: Rect,
    /// How many times the area was seen changing while no input happened.
    pub changes: u32,
}

/// One entry of a trajectory: an action, when it happened, and the screen it
/// expects before it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Time since the start of the recording, in microseconds.
    pub at_us: u64,
    pub action: Action,
    /// The frame showing the screen right before the action.
    pub frame: FrameId,
    /// Checkpoint settings that differ from the header's.
    #[serde(default, skip_serializing_if = "CheckpointOverride::is_empty")]
    pub checkpoint: CheckpointOverride,
}

/// A pointer button, numbered as X numbers them (1 left, 2 middle, 3 right,
/// 8 back, 9 forward). Wheel buttons 4 to 7 are scroll actions, not buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Button(pub u8);

impl Button {
    pub const LEFT: Button = Button(1);
    pub const MIDDLE: Button = Button(2);
    pub const RIGHT: Button = Button(3);
}

impl fmt::Display for Button {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("left"),
            2 => f.write_str("middle"),
            3 => f.write_str("right"),
            8 => f.write_str("back"),
            9 => f.write_str("forward"),
            n => write!(f, "button{n}"),
        }
    }
}

/// A point of a drag path, `t_us` microseconds after the drag's step began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathPoint {
    pub x: i32,
    pub y: i32,
    pub t_us: u64,
}

/// Text to type: literal characters, or a variable whose value is supplied
/// at replay time and never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Text {
    Literal(String),
    /// The name of a `${NAME}` placeholder.
    Variable(String),
}

/// What is done to the machine.
///
/// Pointer actions carry the modifiers held while they happen
/// (`modifiers`, aliases such as `ctrl`, `shift`, `alt`, `super`; empty and
/// left out of the file when none), so that a ctrl+click or a shift+drag
/// replays as one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Move the pointer to (x, y).
    Move { x: i32, y: i32 },
    /// Press a button at (x, y) and keep it down.
    Press {
        button: Button,
        x: i32,
        y: i32,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        modifiers: Vec<String>,
    },
    /// Release a button at (x, y).
    Release { button: Button, x: i32, y: i32 },
    /// Move to (x, y) and press and release a button there `count` times
    /// (2 is a double click), `interval_us` apart (press to press; 0 for a
    /// single click). Replay keeps the interval, so that the application
    /// sees a double click exactly when it saw one while recording.
    Click {
        button: Button,
        count: u8,
        x: i32,
        y: i32,
        #[serde(default, skip_serializing_if = "is_zero")]
        interval_us: u64,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        modifiers: Vec<String>,
    },
    /// Press a button at the first point, move along the path, release at
    /// the last one.
    Drag {
        button: Button,
        path: Vec<PathPoint>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        modifiers: Vec<String>,
    },
    /// Turn the wheel at (x, y): `dy` notches down (negative: up), `dx`
    /// notches right (negative: left).
    Scroll {
        dx: i32,
        dy: i32,
        x: i32,
        y: i32,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        modifiers: Vec<String>,
    },
    /// Press a key combination given by keysym names joined with `+`,
    /// modifiers first: `ctrl+shift+t`, `Return`, `alt+F4`.
    Key { keys: String },
    /// Type text.
    Type { text: Text },
    /// Do nothing for a while.
    Wait { duration_us: u64 },
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Action {
    /// The screen point the action acts on, if it has one. Keys and typed
    /// text go to the focused window and have none.
    pub fn target(&self) -> Option<(i32, i32)> {
        match *self {
            Action::Move { x, y }
            | Action::Press { x, y, .. }
            | Action::Release { x, y, .. }
            | Action::Click { x, y, .. }
            | Action::Scroll { x, y, .. } => Some((x, y)),
            Action::Drag { ref path, .. } => path.first().map(|p| (p.x, p.y)),
            Action::Key { .. } | Action::Type { .. } | Action::Wait { .. } => None,
        }
    }

    /// The action's name as it appears in the file and in JSON (`click`).
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Move { .. } => "move",
            Action::Press { .. } => "press",
            Action::Release { .. } => "release",
            Action::Click { .. } => "click",
            Action::Drag { .. } => "drag",
            Action::Scroll { .. } => "scroll",
            Action::Key { .. } => "key",
            Action::Type { .. } => "type",
            Action::Wait { .. } => "wait",
        }
    }
}

impl Action {
    /// The modifiers held during a pointer action (empty for the others).
    pub fn modifiers(&self) -> &[String] {
        match self {
            Action::Press { modifiers, .. }
            | Action::Click { modifiers, .. }
            | Action::Drag { modifiers, .. }
            | Action::Scroll { modifiers, .. } => modifiers,
            _ => &[],
        }
    }
}

impl fmt::Display for Action {
    /// A one-line human description: `click left at 120,340`,
    /// `ctrl+click left at 5,5`, `type "hello"`, `type ${PASSWORD}`,
    /// `key ctrl+s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in self.modifiers() {
            write!(f, "{m}+")?;
        }
        match self {
            Action::Move { x, y } => write!(f, "move to {x},{y}"),
            Action::Press { button, x, y, .. } => write!(f, "press {button} at {x},{y}"),
            Action::Release { button, x, y } => write!(f, "release {button} at {x},{y}"),
            Action::Click {
                button,
                count,
                x,
                y,
                ..
            } => match count {
                1 => write!(f, "click {button} at {x},{y}"),
                2 => write!(f, "double-click {button} at {x},{y}"),
                3 => write!(f, "triple-click {button} at {x},{y}"),
                n => write!(f, "click {button} x{n} at {x},{y}"),
            },
            Action::Drag { button, path, .. } => match (path.first(), path.last()) {
                (Some(a), Some(b)) => write!(
                    f,
                    "drag {button} {},{} -> {},{} ({} points, {:.2} s)",
                    a.x,
                    a.y,
                    b.x,
                    b.y,
                    path.len(),
                    b.t_us as f64 / 1e6
                ),
                _ => write!(f, "drag {button} (empty path)"),
            },
            Action::Scroll { dx, dy, x, y, .. } => {
                f.write_str("scroll")?;
                if *dy != 0 {
                    let dir = if *dy > 0 { "down" } else { "up" };
                    write!(f, " {dir} {}", dy.unsigned_abs())?;
                }
                if *dx != 0 {
                    let dir = if *dx > 0 { "right" } else { "left" };
                    write!(f, " {dir} {}", dx.unsigned_abs())?;
                }
                write!(f, " at {x},{y}")
            }
            Action::Key { keys } => write!(f, "key {keys}"),
            Action::Type {
                text: Text::Literal(s),
            } => write!(f, "type {s:?}"),
            Action::Type {
                text: Text::Variable(name),
            } => write!(f, "type ${{{name}}}"),
            Action::Wait { duration_us } => write!(f, "wait {:.3} s", *duration_us as f64 / 1e6),
        }
    }
}

/// Which part of the screen a checkpoint compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Region {
    /// The whole screen.
    #[default]
    Full,
    /// One rectangle.
    Rect(Rect),
    /// A square of `radius` pixels around the point the action targets; the
    /// whole screen for actions without a target.
    AroundAction { radius: u32 },
}

/// How many differing pixels a checkpoint tolerates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tolerance {
    /// At most this many pixels may differ.
    Pixels(u64),
    /// At most this fraction (0 to 1) of the compared pixels may differ.
    Ratio(f64),
}

impl Tolerance {
    /// The largest number of differing pixels allowed among `compared`.
    pub fn max_pixels(&self, compared: u64) -> u64 {
        match *self {
            Tolerance::Pixels(n) => n,
            Tolerance::Ratio(r) => (r.clamp(0.0, 1.0) * compared as f64).floor() as u64,
        }
    }
}

impl std::str::FromStr for Tolerance {
    type Err = ParseError;

    /// `12` (at most 12 pixels) or `0.5%` (at most half a percent).
    fn from_str(s: &str) -> Result<Tolerance, ParseError> {
        let err = |why| ParseError {
            what: "tolerance",
            input: s.to_string(),
            why,
        };
        match s.trim().strip_suffix('%') {
            Some(pct) => {
                let pct: f64 = pct
                    .trim()
                    .parse()
                    .map_err(|_| err("expected a percentage such as 0.5%"))?;
                if !(0.0..=100.0).contains(&pct) {
                    return Err(err("a percentage must be between 0% and 100%"));
                }
                Ok(Tolerance::Ratio(pct / 100.0))
            }
            None => s.trim().parse().map(Tolerance::Pixels).map_err(|_| {
                err("expected a pixel count such as 12, or a percentage such as 0.5%")
            }),
        }
    }
}

impl Default for Tolerance {
    fn default() -> Tolerance {
        Tolerance::Pixels(0)
    }
}

impl fmt::Display for Tolerance {
    /// `12` for a count, `0.5%` for a ratio: the forms the command line takes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tolerance::Pixels(n) => write!(f, "{n}"),
            Tolerance::Ratio(r) => write!(f, "{}%", r * 100.0),
        }
    }
}

/// How a step's expected frame is compared with the live screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Checkpoint {
    pub region: Region,
    /// Rectangles the comparison ignores.
    pub masks: Vec<Rect>,
    /// Per-pixel colour threshold of the pixelmatch metric, 0 to 1.
    pub threshold: f64,
    /// Count anti-aliased pixels as differences instead of ignoring them.
    pub include_aa: bool,
    /// How many differing pixels still count as a match.
    pub tolerance: Tolerance,
    /// How long to wait for the screen to match, in milliseconds.
    pub timeout_ms: u64,
    /// How many matching captures in a row make the checkpoint pass.
    pub stable: u32,
}

impl Default for Checkpoint {
    fn default() -> Checkpoint {
        Checkpoint {
            region: Region::Full,
            masks: Vec::new(),
            threshold: 0.1,
            include_aa: false,
            tolerance: Tolerance::default(),
            timeout_ms: 10_000,
            stable: 1,
        }
    }
}

impl Checkpoint {
    /// These settings with a step's overrides applied. Overridden masks
    /// replace the defaults' masks.
    pub fn with(&self, o: &CheckpointOverride) -> Checkpoint {
        Checkpoint {
            region: o.region.unwrap_or(self.region),
            masks: o.masks.clone().unwrap_or_else(|| self.masks.clone()),
            threshold: o.threshold.unwrap_or(self.threshold),
            include_aa: o.include_aa.unwrap_or(self.include_aa),
            tolerance: o.tolerance.unwrap_or(self.tolerance),
            timeout_ms: o.timeout_ms.unwrap_or(self.timeout_ms),
            stable: o.stable.unwrap_or(self.stable),
        }
    }
}

/// A step's checkpoint settings where they differ from the header's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckpointOverride {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masks: Option<Vec<Rect>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_aa: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<Tolerance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stable: Option<u32>,
}

impl CheckpointOverride {
    pub fn is_empty(&self) -> bool {
        *self == CheckpointOverride::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_as_a_person_would_say_them() {
        let click = Action::Click {
            button: Button::LEFT,
            count: 2,
            x: 10,
            y: 20,
            interval_us: 120_000,
            modifiers: vec![],
        };
        assert_eq!(click.to_string(), "double-click left at 10,20");
        let ctrl_click = Action::Click {
            button: Button::LEFT,
            count: 1,
            x: 1,
            y: 2,
            interval_us: 0,
            modifiers: vec!["ctrl".into(), "shift".into()],
        };
        assert_eq!(ctrl_click.to_string(), "ctrl+shift+click left at 1,2");
        let secret = Action::Type {
            text: Text::Variable("PASSWORD".into()),
        };
        assert_eq!(secret.to_string(), "type ${PASSWORD}");
        let scroll = Action::Scroll {
            dx: 0,
            dy: -3,
            x: 5,
            y: 6,
            modifiers: vec![],
        };
        assert_eq!(scroll.to_string(), "scroll up 3 at 5,6");
    }

    #[test]
    fn actions_serialize_with_a_kind_tag() {
        let key = Action::Key {
            keys: "ctrl+s".into(),
        };
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, r#"{"kind":"key","keys":"ctrl+s"}"#);
        let back: Action = serde_json::from_str(&json).unwrap();
        assert_eq!(back, key);
        let click: Action =
            serde_json::from_str(r#"{"kind":"click","button":1,"count":1,"x":3,"y":4}"#).unwrap();
        assert!(click.modifiers().is_empty());
    }

    #[test]
    fn step_overrides_replace_only_what_they_name() {
        let defaults = Checkpoint::default();
        let o = CheckpointOverride {
            timeout_ms: Some(500),
            ..CheckpointOverride::default()
        };
        let c = defaults.with(&o);
        assert_eq!(c.timeout_ms, 500);
        assert_eq!(c.threshold, defaults.threshold);
    }

    #[test]
    fn rect_clips_to_the_screen() {
        assert_eq!(
            Rect::new(-5, 10, 20, 20).clip(100, 25),
            Some(Rect::new(0, 10, 15, 15))
        );
        assert_eq!(Rect::new(200, 0, 5, 5).clip(100, 100), None);
    }

    #[test]
    fn rects_and_tolerances_parse_as_the_command_line_writes_them() {
        assert_eq!("10,20,300,200".parse(), Ok(Rect::new(10, 20, 300, 200)));
        assert_eq!("-4,5,6x7".parse(), Ok(Rect::new(-4, 5, 6, 7)));
        assert!("10,20,0,5".parse::<Rect>().is_err());
        assert!("10,20,30".parse::<Rect>().is_err());
        assert_eq!("12".parse(), Ok(Tolerance::Pixels(12)));
        assert_eq!("0.5%".parse(), Ok(Tolerance::Ratio(0.005)));
        assert!("150%".parse::<Tolerance>().is_err());
        let r = Rect::new(1, 2, 3, 4);
        assert_eq!(r.to_string().parse(), Ok(r));
    }

    #[test]
    fn ratio_tolerance_rounds_down() {
        assert_eq!(Tolerance::Ratio(0.001).max_pixels(1999), 1);
        assert_eq!(Tolerance::Pixels(7).max_pixels(10), 7);
    }
}
