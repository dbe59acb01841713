//! Injection latency on a real Xvfb: how long an [`XTestInjector`] call
//! takes to return (it waits for the server), and how long until the
//! [`Listener`] hands the event over through RECORD.
//!
//! `cargo bench --bench input_latency` (needs Xvfb). Prints the median,
//! 90th and 99th percentile and maximum of each, for pointer moves, button
//! clicks, single keys and a short sentence. A plain `main`, not criterion: the time measured
//! spans two threads and an X server.

#[path = "../tests/xvfb/mod.rs"]
mod xvfb;

use std::time::{Duration, Instant};

use trajectory::input::{EventKind, Injector, Listener, XTestInjector};
use trajectory::model::Button;

const ROUNDS: usize = 300;

fn main() {
    // `cargo bench` passes --bench; nothing to filter here.
    let Some(x) = xvfb::Xvfb::start() else { return };
    let (listener, events) = Listener::start(Some(&x.display)).expect("listening");
    let mut input = XTestInjector::connect(Some(&x.display)).expect("injecting");
    let wait = |want: &dyn Fn(&EventKind, i32) -> bool| loop {
        let e = events
            .recv_timeout(Duration::from_secs(10))
            .expect("the injected event was not seen within 10 s");
        if want(&e.kind, e.x) {
            return;
        }
    };

    let mut call = Vec::new();
    let mut seen = Vec::new();
    for i in 0..ROUNDS {
        let x = 100 + (i % 1000) as i32;
        let t = Instant::now();
        input.move_to(x, 300).unwrap();
        call.push(t.elapsed());
        wait(&|k, ex| *k == EventKind::Motion && ex == x);
        seen.push(t.elapsed());
    }
    report("move", &mut call, &mut seen);

    let (mut call, mut seen) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let t = Instant::now();
        input.button_down(Button::LEFT).unwrap();
        input.button_up(Button::LEFT).unwrap();
        call.push(t.elapsed());
        wait(&|k, _| matches!(k, EventKind::ButtonRelease { button: 1 }));
        seen.push(t.elapsed());
    }
    report("click (press + release)", &mut call, &mut seen);

    // Keys: one on the layout; a sentence with capitals and symbols behind
    // Shift; and a symbol the US layout lacks, bound to a spare keycode
    // once and then reused.
    let cases: [(&str, &str); 3] = [
        ("key a", "a"),
        ("text Hello, World!", "Hello, World!"),
        ("key € (spare keycode)", "€"),
    ];
    for (label, text) in cases {
        let (mut call, mut seen) = (Vec::new(), Vec::new());
        let presses = text.chars().count();
        for _ in 0..ROUNDS / 3 {
            let t = Instant::now();
            input.type_text(text).unwrap();
            call.push(t.elapsed());
            // Every press and release, the modifiers' included.
            let mut key_events = 0;
            while key_events < presses * 2 {
                let e = events
                    .recv_timeout(Duration::from_secs(10))
                    .expect("the typed keys were not seen within 10 s");
                if matches!(e.kind, EventKind::KeyPress(_) | EventKind::KeyRelease(_)) {
                    key_events += 1;
                }
            }
            seen.push(t.elapsed());
        }
        report(label, &mut call, &mut seen);
    }

    println!("listener lag at the end: {:?}", listener.lag());
    let t = Instant::now();
    listener.stop().unwrap();
    println!("listener stop: {:?}", t.elapsed());
}

fn report(what: &str, call: &mut [Duration], seen: &mut [Duration]) {
    for (label, v) in [("call returns", call), ("listener sees it", seen)] {
        v.sort_unstable();
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        println!(
            "{what:<24} {label:<17} median {:>8.3} ms  p90 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms  (n={})",
            ms(at(0.5)),
            ms(at(0.9)),
            ms(at(0.99)),
            ms(at(1.0)),
            v.len()
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
