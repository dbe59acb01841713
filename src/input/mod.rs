//! Input: injecting it into an X display (XTest, for replay), listening to
//! it (RECORD, for recording), and naming keys.
//!
//! - [`Injector`] is what replay drives: [`XTestInjector`] sends real input
//!   through enigo, [`RecordingInjector`] writes it down for unit tests.
//! - [`Listener`] streams every device event of a display, injected ones
//!   included, with keysyms resolved by the [`Keymap`] of their moment.
//! - [`KeyCombo`] reads and prints key actions (`ctrl+shift+t`), built on
//!   [`Keysym`] names as X spells them.

mod combo;
mod inject;
mod keymap;
mod keysym;
mod keysym_table;
mod listen;
mod record_data;
mod server_time;
mod spare_keys;
mod xtest;

pub use combo::{KeyCombo, KeyComboError, Modifier};
pub use inject::{
    Held, HeldInputs, InjectError, Injected, Injector, RecordingInjector, wheel_clicks,
};
pub use keymap::{Keymap, KeymapError};
pub use keysym::Keysym;
pub use listen::{
    EventKind, InputEvent, KeyInfo, ListenError, Listener, START_TIMEOUT, STOP_TIMEOUT, Stopper,
};
pub use xtest::XTestInjector;
