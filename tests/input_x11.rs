//! The input layer on a real X server: Xvfb, xdotool as the independent
//! driver, xterm as the application that has to receive the right text.

mod xvfb;

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use trajectory::input::{
    EventKind, Injector, InputEvent, Keysym, Listener, Modifier, XTestInjector,
};
use trajectory::model::Button;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, KeyButMask};
use xvfb::{Xvfb, have_all};

/// How long a test waits for something it expects before it fails.
const PATIENCE: Duration = Duration::from_secs(20);

fn start(tools: &[&str]) -> Option<Xvfb> {
    if !have_all(tools) {
        return None;
    }
    Xvfb::start()
}

/// Receives events until `done` says the expected ones are in, or fails
/// after [`PATIENCE`] with what arrived.
fn collect_until(
    events: &Receiver<InputEvent>,
    mut done: impl FnMut(&[InputEvent]) -> bool,
) -> Vec<InputEvent> {
    let deadline = Instant::now() + PATIENCE;
    let mut got = Vec::new();
    while !done(&got) {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(e) => got.push(e),
            Err(_) => panic!("expected events did not arrive; got {got:#?}"),
        }
    }
    got
}

/// The characters typed: the keysyms of key presses, modifiers left out.
fn typed(events: &[InputEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::KeyPress(k) if !k.keysym.is_modifier() => {
                Some(k.keysym.to_char().unwrap_or('\u{fffd}'))
            }
            _ => None,
        })
        .collect()
}

fn buttons(events: &[InputEvent]) -> Vec<(bool, u8, i32, i32)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::ButtonPress { button } => Some((true, button, e.x, e.y)),
            EventKind::ButtonRelease { button } => Some((false, button, e.x, e.y)),
            _ => None,
        })
        .collect()
}

fn assert_monotonic(events: &[InputEvent]) {
    for w in events.windows(2) {
        assert!(w[0].time_ms <= w[1].time_ms, "time went back: {w:#?}");
    }
}

#[test]
fn xdotool_pointer_motion_clicks_and_wheel_are_seen_in_order() {
    let Some(x) = start(&["xdotool"]) else { return };
    let (listener, events) = Listener::start(Some(&x.display)).unwrap();

    x.run(
        "xdotool",
        &[
            "mousemove",
            "100",
            "200",
            "click",
            "1",
            "mousemove",
            "640",
            "480",
            "click",
            "--repeat",
            "2",
            "5",
            "click",
            "4",
            "mousedown",
            "3",
            "mousemove",
            "700",
            "500",
            "mouseup",
            "3",
            "click",
            "6",
            "click",
            "7",
        ],
    );
    let got = collect_until(&events, |got| buttons(got).len() == 14);
    listener.stop().unwrap();

    assert_eq!(
        buttons(&got),
        [
            (true, 1, 100, 200),
            (false, 1, 100, 200),
            (true, 5, 640, 480),
            (false, 5, 640, 480),
            (true, 5, 640, 480),
            (false, 5, 640, 480),
            (true, 4, 640, 480),
            (false, 4, 640, 480),
            (true, 3, 640, 480),
            (false, 3, 700, 500),
            (true, 6, 700, 500),
            (false, 6, 700, 500),
            (true, 7, 700, 500),
            (false, 7, 700, 500),
        ]
    );
    let moves: Vec<(i32, i32)> = got
        .iter()
        .filter(|e| e.kind == EventKind::Motion)
        .map(|e| (e.x, e.y))
        .collect();
    assert_eq!(moves, [(100, 200), (640, 480), (700, 500)]);
    assert_monotonic(&got);
}

/// Starts an xterm at the top left, where the pointer (and with it the
/// keyboard focus) will be, and waits until it is on screen.
fn start_xterm(x: &Xvfb, args: &[&str]) -> std::process::Child {
    let child = x
        .command("xterm")
        .args(["-geometry", "80x24+0+0"])
        .args(args)
        .spawn()
        .unwrap();
    wait_for_a_viewable_window(&x.display);
    x.run("xdotool", &["mousemove", "100", "100"]);
    child
}

/// xdotool types `text` into an xterm as fast as it can; the listener must
/// see exactly its characters.
fn xdotool_types_into_xterm(layout: &str, text: &str) {
    let Some(x) = start(&["xdotool", "xterm", "setxkbmap"]) else {
        return;
    };
    x.run("setxkbmap", &[layout]);
    let mut xterm = start_xterm(&x, &[]);
    let (listener, events) = Listener::start(Some(&x.display)).unwrap();

    x.run("xdotool", &["type", "--delay", "0", text]);
    let got = collect_until(&events, |got| {
        typed(got).chars().count() == text.chars().count()
    });
    listener.stop().unwrap();
    let _ = xterm.kill();
    let _ = xterm.wait();

    assert_eq!(typed(&got), text);
    assert_monotonic(&got);
}

#[test]
fn xdotool_typing_through_remapped_keycodes_resolves_to_the_typed_symbols() {
    // Capitals and symbols on the shifted level, and ß and € that the US
    // layout lacks: xdotool binds a spare keycode for each of those, presses
    // it and unbinds it again right away.
    xdotool_types_into_xterm("us", "Hello, World! ~{}ß€");
}

#[test]
fn xdotool_typing_on_the_third_level_of_a_german_layout_resolves() {
    // On a German layout ~ { } € sit behind AltGr (ISO_Level3_Shift), which
    // the core mapping lists after a copy of the first group.
    xdotool_types_into_xterm("de", "Hello, World! ~{}ß€ yz");
}

#[test]
fn key_combinations_carry_their_modifiers_and_base_keysym() {
    let Some(x) = start(&["xdotool"]) else { return };
    let (listener, events) = Listener::start(Some(&x.display)).unwrap();

    x.run("xdotool", &["key", "ctrl+shift+t", "alt+F4", "Return"]);
    let got = collect_until(&events, |got| typed(got).contains('\n'));
    listener.stop().unwrap();

    let combos: Vec<String> = got
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::KeyPress(k) if !k.keysym.is_modifier() => Some(k.combo().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(combos, ["ctrl+shift+t", "alt+F4", "Return"]);
    let presses: Vec<(String, String, Vec<Modifier>)> = got
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::KeyPress(k) if !k.keysym.is_modifier() => {
                Some((k.keysym.name(), k.base.name(), k.modifiers.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        presses,
        [
            (
                "T".into(),
                "t".into(),
                vec![Modifier::Ctrl, Modifier::Shift]
            ),
            ("F4".into(), "F4".into(), vec![Modifier::Alt]),
            ("Return".into(), "Return".into(), vec![]),
        ]
    );
}

#[test]
fn input_from_the_injector_is_seen_by_the_listener() {
    let Some(x) = start(&[]) else { return };
    let (listener, events) = Listener::start(Some(&x.display)).unwrap();
    let mut input = XTestInjector::connect(Some(&x.display)).unwrap();

    input.move_to(300, 400).unwrap();
    input.button_down(Button::LEFT).unwrap();
    input.move_to(350, 420).unwrap();
    input.button_up(Button::LEFT).unwrap();
    input.scroll(1, -2).unwrap();
    input
        .key_combo(&"ctrl+alt+Delete".parse().unwrap())
        .unwrap();
    input.type_text("Hi ~ß€!\n").unwrap();
    // Everything injected has been processed once the calls return, so
    // stopping now must not lose any of it.
    listener.stop().unwrap();
    let got: Vec<InputEvent> = events.iter().collect();

    assert_eq!(
        buttons(&got),
        [
            (true, 1, 300, 400),
            (false, 1, 350, 420),
            (true, 4, 350, 420),
            (false, 4, 350, 420),
            (true, 4, 350, 420),
            (false, 4, 350, 420),
            (true, 7, 350, 420),
            (false, 7, 350, 420),
        ]
    );
    assert_eq!(typed(&got), "\u{fffd}Hi ~ß€!\n", "Delete, then the text");
    let delete = got
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::KeyPress(k) if k.keysym == Keysym(0xffff) => Some(k.combo()),
            _ => None,
        })
        .expect("Delete was pressed");
    assert_eq!(
        delete.to_string(),
        "ctrl+alt+Delete",
        "the combination reads back"
    );
    assert_monotonic(&got);
}

/// The pointer's modifier and button mask, read from the server.
fn server_mask(display: &str) -> KeyButMask {
    let (conn, screen) = x11rb::connect(Some(display)).unwrap();
    let root = conn.setup().roots[screen].root;
    conn.query_pointer(root).unwrap().reply().unwrap().mask
}

#[test]
fn release_all_and_drop_let_go_of_held_keys_and_buttons() {
    let Some(x) = start(&[]) else { return };
    let held = KeyButMask::SHIFT | KeyButMask::CONTROL | KeyButMask::BUTTON1;

    let mut input = XTestInjector::connect(Some(&x.display)).unwrap();
    input.key_down(Keysym::SHIFT_L).unwrap();
    input.key_down(Keysym::CONTROL_L).unwrap();
    input.button_down(Button::LEFT).unwrap();
    assert_eq!(server_mask(&x.display) & held, held);
    input.release_all().unwrap();
    assert_eq!(server_mask(&x.display) & held, KeyButMask::from(0u16));
    assert!(input.held().is_empty());

    input.key_down(Keysym::SHIFT_L).unwrap();
    input.button_down(Button::LEFT).unwrap();
    assert_eq!(
        server_mask(&x.display) & held,
        KeyButMask::SHIFT | KeyButMask::BUTTON1
    );
    drop(input);
    assert_eq!(server_mask(&x.display) & held, KeyButMask::from(0u16));
}

#[test]
fn meta_holds_its_modifier_though_xvfb_lists_it_second() {
    let Some(x) = start(&[]) else { return };
    let mut input = XTestInjector::connect(Some(&x.display)).unwrap();
    let mods = KeyButMask::MOD1 | KeyButMask::MOD4;

    input.key_down(Keysym::META_L).unwrap();
    input.key_down(Keysym::SUPER_L).unwrap();
    assert_eq!(server_mask(&x.display) & mods, mods);
    input.release_all().unwrap();
    assert_eq!(server_mask(&x.display) & mods, KeyButMask::from(0u16));
}

#[test]
fn a_listener_stops_from_another_thread_while_its_events_are_read() {
    let Some(x) = start(&[]) else { return };
    let (listener, events) = Listener::start(Some(&x.display)).unwrap();
    let stopper = listener.stopper();
    let mut input = XTestInjector::connect(Some(&x.display)).unwrap();

    let reader = std::thread::spawn(move || events.iter().collect::<Vec<_>>());
    for i in 0..50 {
        input.move_to(10 + i, 20).unwrap();
    }
    stopper.stop().unwrap();
    // The reader's loop ends only when the listener has closed the channel.
    let got = reader.join().unwrap();
    listener.stop().unwrap();

    let xs: Vec<i32> = got.iter().map(|e| e.x).collect();
    assert_eq!(xs, (10..60).collect::<Vec<_>>());
}

#[test]
fn a_listener_on_a_missing_display_says_which() {
    let err = Listener::start(Some(":987654"))
        .err()
        .expect("no such display");
    assert!(err.to_string().contains(":987654"), "{err}");
    let err = XTestInjector::connect(Some(":987654"))
        .err()
        .expect("no such display");
    assert!(err.to_string().contains(":987654"), "{err}");
}

/// Waits until a window is mapped on the root (the xterm the test started).
fn wait_for_a_viewable_window(display: &str) {
    let (conn, screen) = x11rb::connect(Some(display)).unwrap();
    let root = conn.setup().roots[screen].root;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let tree = conn.query_tree(root).unwrap().reply().unwrap();
        let viewable = tree.children.iter().any(|&w| {
            conn.get_window_attributes(w)
                .unwrap()
                .reply()
                .is_ok_and(|a| a.map_state == x11rb::protocol::xproto::MapState::VIEWABLE)
        });
        if viewable {
            return;
        }
        assert!(Instant::now() < deadline, "no window appeared on {display}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What [`inject_into_xterm`] found.
struct Typed {
    /// What reached the file.
    file: String,
    /// What the listener saw typed.
    seen: String,
    /// The keysym of keycode 29 (Y on a US keyboard, Z on a German one),
    /// proof of the layout in effect.
    keycode_29: Keysym,
}

/// Types `text` with the injector into `cat > file` in an xterm, under
/// `layout`.
fn inject_into_xterm(layout: &str, text: &str) -> Option<Typed> {
    let x = start(&["setxkbmap", "xterm", "xdotool"])?;
    x.run("setxkbmap", &[layout]);
    let (conn, _) = x11rb::connect(Some(&x.display)).unwrap();
    let keycode_29 = trajectory::input::Keymap::fetch(&conn).unwrap().base(29);

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("typed.txt");
    let script = format!("cat > '{}'", out.display());
    let mut xterm = start_xterm(&x, &["-e", "sh", "-c", &script]);
    while !out.exists() {
        std::thread::sleep(Duration::from_millis(20));
    }

    let (listener, events) = Listener::start(Some(&x.display)).unwrap();
    // Made after the layout change: the injector reads the mapping once.
    let mut input = XTestInjector::connect(Some(&x.display)).unwrap();
    input.type_text(text).unwrap();
    input.key_combo(&"ctrl+d".parse().unwrap()).unwrap();

    let deadline = Instant::now() + PATIENCE;
    while xterm.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "xterm did not end after ctrl+d");
        std::thread::sleep(Duration::from_millis(20));
    }
    listener.stop().unwrap();
    let seen: Vec<InputEvent> = events.iter().collect();
    Some(Typed {
        file: std::fs::read_to_string(&out).unwrap(),
        seen: typed(&seen),
        keycode_29,
    })
}

#[test]
fn typed_text_arrives_intact_in_xterm_under_a_german_layout() {
    let text = "Hello, World! ~{}yz\n";
    let Some(t) = inject_into_xterm("de", text) else {
        return;
    };
    assert_eq!(
        t.keycode_29,
        Keysym(u32::from(b'z')),
        "the layout is German"
    );
    assert_eq!(t.file, text);
    assert_eq!(t.seen, format!("{text}d"), "the text, then the d of ctrl+d");
}

#[test]
fn long_text_with_capitals_and_shifted_symbols_arrives_intact() {
    // Every character is on the US layout, most behind Shift: typed with
    // the layout's own keys, no keycode is rebound.
    let text = "The QUICK brown FOX: ~!@#$%^&*()_+{}|:\"<>? JUMPS over THE lazy DOG.\n";
    let Some(t) = inject_into_xterm("us", text) else {
        return;
    };
    assert_eq!(t.file, text);
    assert_eq!(t.seen, format!("{text}d"));
}

#[test]
fn text_with_more_missing_symbols_than_spare_keycodes_arrives_intact() {
    // 24 Greek letters, none on a US layout: more than the 19 spare
    // keycodes of Xvfb, so enigo has to recycle its bindings.
    let text = "αβγδεζηθικλμνξοπρστυφχψω ΑΒΓΔ\n";
    let Some(t) = inject_into_xterm("us", text) else {
        return;
    };
    assert_eq!(t.seen, format!("{text}d"));
    assert_eq!(t.file, text);
}

#[test]
fn a_layout_change_while_listening_is_picked_up() {
    let Some(x) = start(&["xdotool", "setxkbmap"]) else {
        return;
    };
    let (listener, events) = Listener::start(Some(&x.display)).unwrap();

    // setxkbmap goes through XKB, not the core requests the listener
    // applies itself: the MappingNotify that follows makes it reload.
    x.run("setxkbmap", &["de"]);
    // Keycode 29 is Y on a US keyboard and Z on a German one.
    x.run("xdotool", &["key", "z", "y"]);
    let got = collect_until(&events, |got| typed(got).len() == 2);
    listener.stop().unwrap();

    let presses: Vec<(u8, char)> = got
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::KeyPress(k) => Some((k.keycode, k.keysym.to_char()?)),
            _ => None,
        })
        .collect();
    assert_eq!(presses, [(29, 'z'), (52, 'y')]);
}
