//! The bundled trajectories hold what `fixtures/README.md` says.

mod common;

use std::collections::BTreeSet;

use trajectory::format::{Opened, Reader};
use trajectory::model::{Action, Text};

#[test]
fn the_minimal_fixture_is_xcalc_adding_two_numbers() {
    let mut r = Reader::open(&common::fixtures().join("minimal.traj")).unwrap();
    assert!(matches!(r.opened(), Opened::Trailer));
    let s = r.header().screen;
    assert_eq!((s.width, s.height, s.depth), (1920, 1080, 24));
    let kinds: Vec<&str> = r.steps().iter().map(|s| s.action.kind()).collect();
    assert_eq!(kinds, ["click", "click", "click", "click", "wait"]);
    assert!(r.steps().windows(2).all(|w| w[0].at_us <= w[1].at_us));
    for i in 0..r.steps().len() {
        let id = r.steps()[i].frame;
        assert_eq!(r.frame(id).unwrap().width(), 1920);
    }
}

#[test]
fn the_full_fixture_has_every_action_kind_variables_overrides_and_masks() {
    let r = Reader::open(&common::fixtures().join("full.traj")).unwrap();
    let kinds: BTreeSet<&str> = r.steps().iter().map(|s| s.action.kind()).collect();
    let all = [
        "click", "drag", "key", "move", "press", "release", "scroll", "type", "wait",
    ];
    assert_eq!(kinds, all.into_iter().collect());
    assert_eq!(r.header().variables, ["COMMAND"]);
    assert!(r.steps().iter().any(|s| s.action
        == Action::Type {
            text: Text::Variable("COMMAND".into())
        }));
    assert_eq!(r.header().proposed_masks.len(), 1);
    let overridden = r
        .steps()
        .iter()
        .filter(|s| !s.checkpoint.is_empty())
        .count();
    assert!(
        overridden >= 5,
        "{overridden} steps override checkpoint settings"
    );
}
