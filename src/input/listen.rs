//! Listening to every device event of a display through the RECORD
//! extension, with keysyms resolved by the mapping in effect when each key
//! event happened.
//!
//! Two connections: the control connection creates the RECORD context,
//! answers keymap look-ups and stops the context; the data connection sits
//! in EnableContext, whose replies stream the intercepted protocol, on the
//! listener's own thread. The context intercepts, in one ordered stream:
//! the device events (keys, buttons, motion), the core requests that change
//! the keyboard and modifier mappings (ChangeKeyboardMapping, which
//! xdotool and enigo use to bind spare keycodes, and SetModifierMapping),
//! and delivered MappingNotify events. Requests are applied to the local
//! keymap where they appear in the stream, so a keycode bound for a moment
//! resolves with that binding and not the one before or after it. A
//! MappingNotify without such a request (an XKB change such as `setxkbmap`)
//! refetches the mapping from the server, as a backstop.

#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::record::{self, ConnectionExt as _};
use x11rb::rust_connection::RustConnection;

use super::combo::{KeyCombo, Modifier};
use super::keymap::Keymap;
use super::keysym::Keysym;
use super::record_data::{self, DeviceEvent, Element, category, code};
use super::server_time::{ServerClock, WrappingTime};

/// How long [`Listener::stop`] waits for the listening thread to deliver
/// the last events and end.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long [`Listener::start`] waits for the server to start the stream.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

/// One device event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputEvent {
    /// Server time in milliseconds. The server's 32-bit clock wraps every
    /// 49.7 days; this one counts on past the wrap.
    pub time_ms: u64,
    /// Pointer column on the root window when the event happened.
    pub x: i32,
    /// Pointer row on the root window when the event happened.
    pub y: i32,
    /// Core modifier and button state just before the event.
    pub state: u16,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// The pointer moved to (x, y).
    Motion,
    /// A button went down; 4 to 7 are wheel notches (up, down, left, right).
    ButtonPress {
        /// The X button number.
        button: u8,
    },
    /// A button came up.
    ButtonRelease {
        /// The X button number.
        button: u8,
    },
    /// A key went down.
    KeyPress(KeyInfo),
    /// A key came up.
    KeyRelease(KeyInfo),
}

/// A key event's key, resolved with the keymap of its moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The physical key.
    pub keycode: u8,
    /// The keysym the key produced with the event's state (`T` with Shift).
    pub keysym: Keysym,
    /// The key's keysym without modifiers (`t`), the one a key combination
    /// names.
    pub base: Keysym,
    /// The combination modifiers the state held (`ctrl`, `shift`, ...).
    /// Shift and AltGr also choose the level of a typed character: a key
    /// with only those held types `keysym` rather than making a
    /// combination.
    pub modifiers: Vec<Modifier>,
}

impl KeyInfo {
    /// The key combination this key event is part of: the modifiers held
    /// and the key's unmodified keysym (`ctrl+shift+t`, not `ctrl+T`).
    pub fn combo(&self) -> KeyCombo {
        KeyCombo::new(self.modifiers.iter().copied(), self.base)
    }
}

/// Listening could not start, or failed.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// No connection to the display.
    #[error("cannot listen to display {display}: {reason} (is an X server running there?)")]
    Connect {
        /// The display name.
        display: String,
        /// What the connection attempt reported.
        reason: String,
    },
    /// The server lacks the RECORD extension.
    #[error(
        "the X server on {display} has no RECORD extension, which recording needs \
         (Xvfb and Xorg have it unless started with -extension RECORD)"
    )]
    NoRecord {
        /// The display name.
        display: String,
    },
    /// A request failed or the connection broke.
    #[error("RECORD on display {display}: {what} failed: {reason}")]
    Protocol {
        /// The display name.
        display: String,
        /// The step that failed, for example `CreateContext`.
        what: &'static str,
        /// What the X server or the connection reported.
        reason: String,
    },
    /// The listener did not end after it was told to.
    #[error(
        "the listener on display {display} did not stop within {waited:?} after it was told \
         to; the X server may be hung"
    )]
    StopTimeout {
        /// The display name.
        display: String,
        /// How long [`Listener::stop`] waited.
        waited: Duration,
    },
}

/// Listens to a display's device events on a thread of its own.
///
/// ```no_run
/// use trajectory::input::Listener;
///
/// let (listener, events) = Listener::start(Some(":1"))?;
/// // ... input happens ...
/// listener.stop()?;
/// for event in events.iter() {
///     println!("{event:?}");
/// }
/// # Ok::<(), trajectory::input::ListenError>(())
/// ```
pub struct Listener {
    stopper: Stopper,
    thread: Option<JoinHandle<Result<(), ListenError>>>,
    /// Disconnected when the thread has ended.
    finished: mpsc::Receiver<()>,
    lag_ms: Arc<AtomicU64>,
}

/// Stops a [`Listener`] from any thread.
#[derive(Clone)]
pub struct Stopper {
    control: Arc<RustConnection>,
    context: record::Context,
    display: Arc<str>,
    stopped: Arc<AtomicBool>,
}

impl Stopper {
    /// Tells the server to end the listener's RECORD context. Events that
    /// happened before are still delivered; the event channel closes after
    /// the last one. Stopping twice does nothing.
    pub fn stop(&self) -> Result<(), ListenError> {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        self.control
            .record_disable_context(self.context)
            .map_err(|e| protocol(&self.display, "DisableContext", e))?
            .check()
            .map_err(|e| protocol(&self.display, "DisableContext", e))
    }
}

impl Listener {
    /// Connects twice to the display called `display` (or the one `DISPLAY`
    /// names, when `None`) and starts listening. Returns the listener and
    /// the channel its events arrive on, in the order they happened; the
    /// channel closes once the listener has stopped and handed over every
    /// event.
    pub fn start(
        display: Option<&str>,
    ) -> Result<(Listener, mpsc::Receiver<InputEvent>), ListenError> {
        let name: Arc<str> = display
            .map(str::to_string)
            .or_else(|| std::env::var("DISPLAY").ok())
            .unwrap_or_else(|| "(DISPLAY is not set)".into())
            .into();
        let connect = || {
            x11rb::connect(display).map_err(|e| ListenError::Connect {
                display: name.to_string(),
                reason: e.to_string(),
            })
        };
        let (control, screen) = connect()?;
        let (data, _) = connect()?;

        if control
            .extension_information(record::X11_EXTENSION_NAME)
            .map_err(|e| protocol(&name, "QueryExtension", e))?
            .is_none()
        {
            return Err(ListenError::NoRecord {
                display: name.to_string(),
            });
        }
        control
            .record_query_version(1, 13)
            .map_err(|e| protocol(&name, "QueryVersion", e))?
            .reply()
            .map_err(|e| protocol(&name, "QueryVersion", e))?;

        let root = control.setup().roots[screen].root;
        let clock = ServerClock::calibrate(&control, root)
            .map_err(|e| protocol(&name, "reading the server time", e))?;

        let context = control
            .generate_id()
            .map_err(|e| protocol(&name, "allocating a context id", e))?;
        control
            .record_create_context(context, 0, &[record::CS::ALL_CLIENTS.into()], &ranges())
            .map_err(|e| protocol(&name, "CreateContext", e))?
            .check()
            .map_err(|e| protocol(&name, "CreateContext", e))?;

        let control = Arc::new(control);
        let (tx, rx) = mpsc::channel();
        let (finished_tx, finished) = mpsc::channel::<()>();
        let (ready_tx, ready) = mpsc::channel::<()>();
        let lag_ms = Arc::new(AtomicU64::new(0));
        let mut stream = Stream {
            control: Arc::clone(&control),
            display: Arc::clone(&name),
            keymap: None,
            last_change: None,
            clock,
            time: WrappingTime::default(),
            lag_ms: Arc::clone(&lag_ms),
            tx,
            ready: Some(ready_tx),
        };
        let thread = std::thread::Builder::new()
            .name("input-listener".into())
            .spawn(move || {
                let _finished = finished_tx;
                stream.run(&data, context)
            })
            .map_err(|e| ListenError::Protocol {
                display: name.to_string(),
                what: "starting the listener thread",
                reason: e.to_string(),
            })?;

        let mut listener = Listener {
            stopper: Stopper {
                control,
                context,
                display: name,
                stopped: Arc::new(AtomicBool::new(false)),
            },
            thread: Some(thread),
            finished,
            lag_ms,
        };

        // Events before the server has enabled the context are not
        // recorded, so return only once it has: a caller may inject input
        // right away and expect to see it.
        match ready.recv_timeout(START_TIMEOUT) {
            Ok(()) => Ok((listener, rx)),
            // The thread ended before the stream started; its error says why.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                listener.finish()?;
                Err(ListenError::Protocol {
                    display: listener.stopper.display.to_string(),
                    what: "EnableContext",
                    reason: "the data stream ended before it started".into(),
                })
            }
            Err(mpsc::RecvTimeoutError::Timeout) => Err(ListenError::Protocol {
                display: listener.stopper.display.to_string(),
                what: "EnableContext",
                reason: format!("no data within {START_TIMEOUT:?}"),
            }),
        }
    }

    /// A handle that stops this listener from another thread.
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// How far behind the server the listener was when it handed over its
    /// latest event: the server's time then, estimated from a clock read at
    /// start, minus the event's time.
    pub fn lag(&self) -> Duration {
        Duration::from_millis(self.lag_ms.load(Ordering::Relaxed))
    }

    /// Stops listening and waits (at most [`STOP_TIMEOUT`]) until every
    /// event that happened before has been handed over. Returns the error
    /// that ended the listener early, if one did.
    pub fn stop(mut self) -> Result<(), ListenError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<(), ListenError> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        let stopped = self.stopper.stop();
        let display = self.stopper.display.to_string();
        match self.finished.recv_timeout(STOP_TIMEOUT) {
            Err(mpsc::RecvTimeoutError::Disconnected) => {}
            Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(ListenError::StopTimeout {
                    display,
                    waited: STOP_TIMEOUT,
                });
            }
        }
        let ran = thread.join().unwrap_or_else(|_| {
            Err(ListenError::Protocol {
                display: display.clone(),
                what: "listening",
                reason: "the listener thread panicked".into(),
            })
        });
        // Freeing matters only to a server that outlives us; ignore errors.
        if let Ok(cookie) = self
            .stopper
            .control
            .record_free_context(self.stopper.context)
        {
            cookie.ignore_error();
        }
        ran.and(stopped)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Err(e) = self.finish() {
            log::warn!("stopping the input listener: {e}");
        }
    }
}

/// What the context intercepts; see the module documentation.
fn ranges() -> [record::Range; 2] {
    let none8 = record::Range8 { first: 0, last: 0 };
    let none_ext = record::ExtRange {
        major: none8,
        minor: record::Range16 { first: 0, last: 0 },
    };
    let base = record::Range {
        core_requests: none8,
        core_replies: none8,
        ext_requests: none_ext,
        ext_replies: none_ext,
        delivered_events: none8,
        device_events: none8,
        errors: none8,
        client_started: false,
        client_died: false,
    };
    let one = |c: u8| record::Range8 { first: c, last: c };
    [
        record::Range {
            device_events: record::Range8 {
                first: code::KEY_PRESS,
                last: code::MOTION_NOTIFY,
            },
            delivered_events: one(code::MAPPING_NOTIFY),
            core_requests: one(code::CHANGE_KEYBOARD_MAPPING),
            ..base
        },
        record::Range {
            core_requests: one(code::SET_MODIFIER_MAPPING),
            ..base
        },
    ]
}

fn protocol(display: &str, what: &'static str, e: impl std::fmt::Display) -> ListenError {
    ListenError::Protocol {
        display: display.to_string(),
        what,
        reason: e.to_string(),
    }
}

/// A change of the mappings, as MappingNotify reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Modifiers,
    Keyboard { first: u8, count: u8 },
}

/// The listener thread's state.
struct Stream {
    control: Arc<RustConnection>,
    display: Arc<str>,
    keymap: Option<Keymap>,
    /// The mapping change just applied, while the MappingNotify events it
    /// causes (one copy per client) may still follow.
    last_change: Option<Change>,
    clock: ServerClock,
    time: WrappingTime,
    lag_ms: Arc<AtomicU64>,
    tx: mpsc::Sender<InputEvent>,
    /// Told once the stream has started and the keymap is read.
    ready: Option<mpsc::Sender<()>>,
}

impl Stream {
    fn run(&mut self, data: &RustConnection, context: record::Context) -> Result<(), ListenError> {
        let replies = data
            .record_enable_context(context)
            .map_err(|e| protocol(&self.display, "EnableContext", e))?;
        for reply in replies {
            let reply = reply.map_err(|e| protocol(&self.display, "EnableContext", e))?;
            if reply.category == category::START_OF_DATA {
                // Read the mapping once the stream runs, so no change falls
                // between the two.
                self.keymap = Some(self.fetch_keymap()?);
                if let Some(ready) = self.ready.take() {
                    let _ = ready.send(());
                }
                continue;
            }
            match record_data::parse(reply.category, reply.client_swapped, &reply.data) {
                Ok(elements) => {
                    for element in elements {
                        self.handle(element)?;
                    }
                }
                // One bad reply should not end a recording.
                Err(e) => log::warn!("skipping intercepted data: {e}"),
            }
            // The control connection receives MappingNotify like every
            // client; nothing reads them, so drop them here.
            while let Ok(Some(_)) = self.control.poll_for_event() {}
        }
        Ok(())
    }

    fn fetch_keymap(&self) -> Result<Keymap, ListenError> {
        Keymap::fetch(&*self.control)
            .map_err(|e| protocol(&self.display, "reading the keyboard mapping", e))
    }

    fn keymap(&mut self) -> Result<&mut Keymap, ListenError> {
        let keymap = match self.keymap.take() {
            Some(keymap) => keymap,
            None => self.fetch_keymap()?,
        };
        Ok(self.keymap.insert(keymap))
    }

    fn handle(&mut self, element: Element) -> Result<(), ListenError> {
        let last_change = self.last_change.take();
        match element {
            Element::ChangeKeyboardMapping {
                first_keycode,
                keysyms_per_keycode,
                keysyms,
            } => {
                let per = usize::from(keysyms_per_keycode).max(1);
                let count = u8::try_from(keysyms.len() / per).unwrap_or(u8::MAX);
                if let Err(e) =
                    self.keymap()?
                        .apply_change(first_keycode, keysyms_per_keycode, &keysyms)
                {
                    log::warn!("ignoring a keyboard mapping change: {e}");
                }
                self.last_change = Some(Change::Keyboard {
                    first: first_keycode,
                    count,
                });
            }
            Element::SetModifierMapping {
                keycodes_per_modifier,
                keycodes,
            } => {
                self.keymap()?
                    .apply_modifier_mapping(keycodes_per_modifier, &keycodes);
                self.last_change = Some(Change::Modifiers);
            }
            Element::MappingNotify {
                request,
                first_keycode,
                count,
            } => {
                let change = match request {
                    0 => Change::Modifiers,
                    1 => Change::Keyboard {
                        first: first_keycode,
                        count,
                    },
                    // The pointer's button mapping does not touch keys.
                    _ => return Ok(()),
                };
                if last_change != Some(change) {
                    log::debug!("mapping changed outside the core requests; reloading it");
                    self.keymap = Some(self.fetch_keymap()?);
                }
                // Later copies of this notification need nothing more.
                self.last_change = Some(change);
            }
            Element::Device(e) => self.deliver(e)?,
        }
        Ok(())
    }

    fn deliver(&mut self, e: DeviceEvent) -> Result<(), ListenError> {
        let time_ms = self.time.unwrap(e.time);
        let lag = self.clock.now().wrapping_sub(e.time);
        // A lag "below zero" is the calibration's rounding; a huge one is
        // the same seen through the wrap.
        let lag = if lag > u32::MAX / 2 { 0 } else { lag };
        self.lag_ms.store(u64::from(lag), Ordering::Relaxed);

        let key = |km: &Keymap| KeyInfo {
            keycode: e.detail,
            keysym: km.lookup(e.detail, e.state),
            base: km.base(e.detail),
            modifiers: km.modifiers(e.state),
        };
        let kind = match e.code {
            code::KEY_PRESS => EventKind::KeyPress(key(self.keymap()?)),
            code::KEY_RELEASE => EventKind::KeyRelease(key(self.keymap()?)),
            code::BUTTON_PRESS => EventKind::ButtonPress { button: e.detail },
            code::BUTTON_RELEASE => EventKind::ButtonRelease { button: e.detail },
            _ => EventKind::Motion,
        };
        // The receiver may be gone (a recorder that ended); keep draining
        // until the context stops.
        let _ = self.tx.send(InputEvent {
            time_ms,
            x: i32::from(e.root_x),
            y: i32::from(e.root_y),
            state: e.state,
            kind,
        });
        Ok(())
    }
}
