//! Probing a real Xvfb for what a trajectory's header records.

mod screen_support;

use screen_support::xvfb;
use trajectory::headless::{Xvfb, XvfbOptions};
use trajectory::model::{Dpi, Header, KeyboardLayout, ScreenGeometry};
use trajectory::screen::{X11Screen, probe};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ConnectionExt as _, CreateWindowAux, PropMode, WindowClass,
};
use x11rb::wrapper::ConnectionExt as _;

#[test]
fn probing_xvfb_reads_geometry_dpi_and_keyboard_and_no_window_manager() {
    let geometry = ScreenGeometry {
        width: 1024,
        height: 768,
        depth: 24,
    };
    let x = Xvfb::start_with(&XvfbOptions {
        geometry,
        dpi: Some(96),
        ..XvfbOptions::default()
    })
    .unwrap();
    let env = probe(Some(x.display())).unwrap();
    assert_eq!(env.screen, geometry);
    assert_eq!(env.dpi, Some(Dpi { x: 96.0, y: 96.0 }));
    // Xvfb's built-in keyboard.
    let keyboard = env.keyboard.clone().expect("Xvfb sets _XKB_RULES_NAMES");
    assert_eq!(
        keyboard,
        KeyboardLayout {
            rules: "evdev".into(),
            model: "pc105".into(),
            layout: "us".into(),
            variant: String::new(),
            options: String::new(),
        }
    );
    assert_eq!(env.window_manager, None);

    // The screen's own connection says the same.
    let screen = X11Screen::open(Some(x.display())).unwrap();
    assert_eq!(screen.environment().unwrap(), env);

    let mut header = Header::new(ScreenGeometry {
        width: 1,
        height: 1,
        depth: 1,
    });
    env.fill_header(&mut header);
    assert_eq!(header.screen, geometry);
    assert_eq!(header.keyboard, Some(keyboard));
}

#[test]
fn a_window_manager_is_named_by_its_ewmh_check_window_until_it_is_gone() {
    let x = xvfb(320, 240);
    let (conn, screen) = x11rb::connect(Some(x.display())).unwrap();
    let root = conn.setup().roots[screen].root;
    let atom = |name: &str| {
        conn.intern_atom(false, name.as_bytes())
            .unwrap()
            .reply()
            .unwrap()
            .atom
    };
    let (check, net_name, utf8) = (
        atom("_NET_SUPPORTING_WM_CHECK"),
        atom("_NET_WM_NAME"),
        atom("UTF8_STRING"),
    );

    // What an EWMH window manager does: a child window that names itself
    // and the manager, referred to from the root.
    let wm = conn.generate_id().unwrap();
    conn.create_window(
        0,
        wm,
        root,
        -1,
        -1,
        1,
        1,
        0,
        WindowClass::INPUT_ONLY,
        x11rb::COPY_FROM_PARENT,
        &CreateWindowAux::new(),
    )
    .unwrap();
    for window in [root, wm] {
        conn.change_property32(PropMode::REPLACE, window, check, AtomEnum::WINDOW, &[wm])
            .unwrap();
    }
    conn.change_property8(
        PropMode::REPLACE,
        wm,
        net_name,
        utf8,
        "Fenêtre WM".as_bytes(),
    )
    .unwrap();
    conn.sync().unwrap();
    let env = probe(Some(x.display())).unwrap();
    assert_eq!(env.window_manager.as_deref(), Some("Fenêtre WM"));

    // A manager that exited and left the root's property behind.
    conn.destroy_window(wm).unwrap();
    conn.sync().unwrap();
    assert_eq!(probe(Some(x.display())).unwrap().window_manager, None);
}
