//! Before the first action: is the live display the kind the trajectory
//! was recorded on?
//!
//! A different geometry or depth stops the run: every frame would differ
//! and every point would land elsewhere. A different resolution or keyboard
//! layout is only warned about: text may be laid out differently, and key
//! combinations name keys by keysym, which another layout may lack.

#![forbid(unsafe_code)]

use crate::model::{Dpi, Header, KeyboardLayout, ScreenGeometry};
use crate::screen::Environment;

/// The live screen is not the size or depth the trajectory was recorded at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the trajectory was recorded on a {recorded} screen, display {display} is {live}: replay \
     needs the same size and depth (start the display as -screen 0 {recorded}, or use \
     --headless, which does)"
)]
pub struct ScreenMismatch {
    /// The header's geometry.
    pub recorded: ScreenGeometry,
    /// The live display's geometry.
    pub live: ScreenGeometry,
    /// The live display's name.
    pub display: String,
}

/// Checks that the live screen has the recorded geometry and depth.
///
/// # Errors
///
/// [`ScreenMismatch`] naming both when they differ.
pub fn check_geometry(
    recorded: ScreenGeometry,
    live: ScreenGeometry,
    display: &str,
) -> Result<(), ScreenMismatch> {
    if recorded == live {
        Ok(())
    } else {
        Err(ScreenMismatch {
            recorded,
            live,
            display: display.to_string(),
        })
    }
}

/// What differs between the recording's environment and the live one and
/// may change the outcome without stopping it: the resolution and the
/// keyboard layout. Only what both sides know is compared.
pub fn warnings(header: &Header, live: &Environment, display: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(recorded), Some(now)) = (header.dpi, live.dpi)
        && !same_dpi(recorded, now)
    {
        out.push(format!(
            "the trajectory was recorded at {} dpi, display {display} has {} dpi: \
             applications may lay text out differently and checkpoints may fail",
            show_dpi(recorded),
            show_dpi(now)
        ));
    }
    if let (Some(recorded), Some(now)) = (&header.keyboard, &live.keyboard)
        && !same_layout(recorded, now)
    {
        out.push(format!(
            "the trajectory was recorded with keyboard layout {}, display {display} has {}: \
             typed text still comes out as recorded, but key combinations name keys the \
             layout may place elsewhere",
            show_layout(recorded),
            show_layout(now)
        ));
    }
    out
}

/// Servers report whole millimetres, so a DPI is only known to about one
/// dot per inch.
fn same_dpi(a: Dpi, b: Dpi) -> bool {
    (a.x - b.x).abs() < 1.0 && (a.y - b.y).abs() < 1.0
}

fn show_dpi(d: Dpi) -> String {
    if d.x == d.y {
        format!("{}", d.x)
    } else {
        format!("{}x{}", d.x, d.y)
    }
}

/// The layout and its variant decide what each key types; rules, model and
/// options rarely matter to an application.
fn same_layout(a: &KeyboardLayout, b: &KeyboardLayout) -> bool {
    (a.layout.as_str(), a.variant.as_str()) == (b.layout.as_str(), b.variant.as_str())
}

fn show_layout(k: &KeyboardLayout) -> String {
    if k.variant.is_empty() {
        format!("{:?}", k.layout)
    } else {
        format!("{:?} ({})", k.layout, k.variant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(width: u32, depth: u8) -> ScreenGeometry {
        ScreenGeometry {
            width,
            height: 1080,
            depth,
        }
    }

    fn layout(layout: &str) -> KeyboardLayout {
        KeyboardLayout {
            rules: "evdev".into(),
            model: "pc105".into(),
            layout: layout.into(),
            variant: String::new(),
            options: String::new(),
        }
    }

    fn environment(dpi: f32, keyboard: &str) -> Environment {
        Environment {
            screen: geometry(1920, 24),
            dpi: Some(Dpi { x: dpi, y: dpi }),
            keyboard: Some(layout(keyboard)),
            window_manager: None,
        }
    }

    #[test]
    fn a_different_geometry_or_depth_names_both() {
        assert!(check_geometry(geometry(1920, 24), geometry(1920, 24), ":3").is_ok());
        let err = check_geometry(geometry(1920, 24), geometry(1280, 24), ":3").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("1920x1080x24"), "{text}");
        assert!(text.contains("display :3 is 1280x1080x24"), "{text}");
        assert!(check_geometry(geometry(1920, 24), geometry(1920, 16), ":3").is_err());
    }

    #[test]
    fn dpi_and_layout_differences_are_warnings() {
        let mut header = Header::new(geometry(1920, 24));
        header.dpi = Some(Dpi { x: 96.0, y: 96.0 });
        header.keyboard = Some(layout("de"));
        let w = warnings(&header, &environment(100.0, "us"), ":3");
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("recorded at 96 dpi, display :3 has 100 dpi"));
        assert!(w[1].contains("\"de\"") && w[1].contains("\"us\""));

        assert!(warnings(&header, &environment(96.4, "de"), ":3").is_empty());
    }

    #[test]
    fn what_one_side_does_not_know_is_not_compared() {
        let header = Header::new(geometry(1920, 24));
        assert!(warnings(&header, &environment(100.0, "us"), ":3").is_empty());
    }
}
