//! Parsing the data a RECORD context intercepts.
//!
//! Each EnableContext reply carries one category (from the server, from a
//! client, ...) and a run of protocol elements of that category, several at
//! once when the server buffered them. This module splits a reply's data
//! into elements and decodes the ones the listener asks for: the device
//! events, MappingNotify, and the requests that change the keyboard or
//! modifier mapping. The context is created without element headers
//! (`ElementHeader` 0), so elements follow each other directly (RECORD
//! 1.13, "Protocol elements").

#![forbid(unsafe_code)]

/// Reply categories of EnableContext (RECORD 1.13, "EnableContext").
pub mod category {
    pub const FROM_SERVER: u8 = 0;
    pub const FROM_CLIENT: u8 = 1;
    pub const START_OF_DATA: u8 = 4;
}

/// Core event codes.
pub mod code {
    pub const KEY_PRESS: u8 = 2;
    pub const KEY_RELEASE: u8 = 3;
    pub const BUTTON_PRESS: u8 = 4;
    pub const BUTTON_RELEASE: u8 = 5;
    pub const MOTION_NOTIFY: u8 = 6;
    pub const MAPPING_NOTIFY: u8 = 34;
    pub const GENERIC_EVENT: u8 = 35;
    /// Request opcodes.
    pub const CHANGE_KEYBOARD_MAPPING: u8 = 100;
    pub const SET_MODIFIER_MAPPING: u8 = 118;
}

/// A device event as the server generated it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceEvent {
    /// KeyPress, KeyRelease, ButtonPress, ButtonRelease or MotionNotify.
    pub code: u8,
    /// The keycode or button; for motion, whether it was a hint.
    pub detail: u8,
    /// Server time in milliseconds (wraps after 49.7 days).
    pub time: u32,
    pub root_x: i16,
    pub root_y: i16,
    /// Modifier and button state before the event.
    pub state: u16,
}

/// One element of intercepted data that the listener cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    Device(DeviceEvent),
    /// A MappingNotify delivered to some client: `request` 0 modifiers,
    /// 1 keyboard, 2 pointer.
    MappingNotify {
        request: u8,
        first_keycode: u8,
        count: u8,
    },
    /// A ChangeKeyboardMapping request.
    ChangeKeyboardMapping {
        first_keycode: u8,
        keysyms_per_keycode: u8,
        keysyms: Vec<u32>,
    },
    /// A SetModifierMapping request.
    SetModifierMapping {
        keycodes_per_modifier: u8,
        keycodes: Vec<u8>,
    },
}

/// Intercepted data that does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordDataError {
    #[error(
        "RECORD reply data of category {category} is cut short at byte {offset}: an element \
         needs {needed} bytes, {left} are left"
    )]
    Truncated {
        category: u8,
        offset: usize,
        needed: usize,
        left: usize,
    },
    #[error("RECORD request element at byte {offset} has length 0 and no big-request length")]
    ZeroLength { offset: usize },
}

/// Reads integers in the recorded client's byte order: the reply says
/// whether it differs from ours, and ours is the machine's.
#[derive(Debug, Clone, Copy)]
struct Order {
    swapped: bool,
}

impl Order {
    fn u16(self, b: &[u8], at: usize) -> u16 {
        let v = u16::from_ne_bytes([b[at], b[at + 1]]);
        if self.swapped { v.swap_bytes() } else { v }
    }

    fn u32(self, b: &[u8], at: usize) -> u32 {
        let v = u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        if self.swapped { v.swap_bytes() } else { v }
    }
}

/// Splits the data of one EnableContext reply into elements and decodes
/// those of interest (others are skipped). `swapped` is the reply's
/// client-swapped flag.
pub fn parse(category: u8, swapped: bool, data: &[u8]) -> Result<Vec<Element>, RecordDataError> {
    let order = Order { swapped };
    match category {
        category::FROM_SERVER => parse_from_server(order, data),
        category::FROM_CLIENT => parse_from_client(order, data),
        _ => Ok(Vec::new()),
    }
}

fn parse_from_server(order: Order, data: &[u8]) -> Result<Vec<Element>, RecordDataError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let need = |n: usize| {
            if data.len() - at < n {
                Err(RecordDataError::Truncated {
                    category: category::FROM_SERVER,
                    offset: at,
                    needed: n,
                    left: data.len() - at,
                })
            } else {
                Ok(())
            }
        };
        need(32)?;
        let e = &data[at..at + 32];
        // The top bit marks an event sent with SendEvent; the code is the
        // rest.
        let code = e[0] & 0x7f;
        // Events are 32 bytes, except GenericEvent, which says how many
        // 4-byte units follow; errors (0) and replies (1) are never asked
        // for, but a reply's length field is in the same place.
        let len = match code {
            code::GENERIC_EVENT | 1 => {
                32usize.saturating_add(4usize.saturating_mul(order.u32(e, 4) as usize))
            }
            _ => 32,
        };
        need(len)?;
        match code {
            code::KEY_PRESS..=code::MOTION_NOTIFY => out.push(Element::Device(DeviceEvent {
                code,
                detail: e[1],
                time: order.u32(e, 4),
                root_x: order.u16(e, 20) as i16,
                root_y: order.u16(e, 22) as i16,
                state: order.u16(e, 28),
            })),
            code::MAPPING_NOTIFY => out.push(Element::MappingNotify {
                request: e[4],
                first_keycode: e[5],
                count: e[6],
            }),
            _ => {}
        }
        at += len;
    }
    Ok(out)
}

fn parse_from_client(order: Order, data: &[u8]) -> Result<Vec<Element>, RecordDataError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let truncated = |needed: usize| RecordDataError::Truncated {
            category: category::FROM_CLIENT,
            offset: at,
            needed,
            left: data.len() - at,
        };
        if data.len() - at < 4 {
            return Err(truncated(4));
        }
        // A request's length is in 4-byte units, header included; 0 means a
        // BIG-REQUESTS length follows in the next 4 bytes.
        let (len, body) = match order.u16(data, at + 2) {
            0 => {
                if data.len() - at < 8 {
                    return Err(truncated(8));
                }
                let len = order.u32(data, at + 4) as usize;
                if len < 2 {
                    return Err(RecordDataError::ZeroLength { offset: at });
                }
                (len.saturating_mul(4), 8)
            }
            n => (usize::from(n) * 4, 4),
        };
        if data.len() - at < len {
            return Err(truncated(len));
        }
        let req = &data[at..at + len];
        let params = &req[body..];
        match req[0] {
            code::CHANGE_KEYBOARD_MAPPING if params.len() >= 4 => {
                let count = usize::from(req[1]);
                let per = params[1];
                let n = count * usize::from(per);
                let bytes = &params[4..];
                if bytes.len() >= n * 4 {
                    out.push(Element::ChangeKeyboardMapping {
                        first_keycode: params[0],
                        keysyms_per_keycode: per,
                        keysyms: (0..n).map(|i| order.u32(bytes, i * 4)).collect(),
                    });
                }
            }
            code::SET_MODIFIER_MAPPING => {
                let per = req[1];
                let n = usize::from(per) * 8;
                if params.len() >= n {
                    out.push(Element::SetModifierMapping {
                        keycodes_per_modifier: per,
                        keycodes: params[..n].to_vec(),
                    });
                }
            }
            _ => {}
        }
        at += len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(code: u8, detail: u8, time: u32, x: i16, y: i16, state: u16) -> [u8; 32] {
        let mut e = [0u8; 32];
        e[0] = code;
        e[1] = detail;
        e[4..8].copy_from_slice(&time.to_ne_bytes());
        e[20..22].copy_from_slice(&x.to_ne_bytes());
        e[22..24].copy_from_slice(&y.to_ne_bytes());
        e[28..30].copy_from_slice(&state.to_ne_bytes());
        e
    }

    #[test]
    fn a_reply_may_hold_several_events() {
        let mut data = Vec::new();
        data.extend(event(code::MOTION_NOTIFY, 0, 10, 100, 200, 0));
        data.extend(event(code::BUTTON_PRESS, 1, 11, 100, 200, 0));
        data.extend(event(code::KEY_PRESS, 38, 12, -5, 7, 1));
        let got = parse(category::FROM_SERVER, false, &data).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[2],
            Element::Device(DeviceEvent {
                code: code::KEY_PRESS,
                detail: 38,
                time: 12,
                root_x: -5,
                root_y: 7,
                state: 1,
            })
        );
    }

    #[test]
    fn generic_events_are_skipped_by_their_length() {
        let mut data = Vec::new();
        let mut generic = [0u8; 32];
        generic[0] = code::GENERIC_EVENT;
        generic[4..8].copy_from_slice(&2u32.to_ne_bytes());
        data.extend(generic);
        data.extend([0xAAu8; 8]);
        data.extend(event(code::KEY_RELEASE | 0x80, 9, 5, 0, 0, 0));
        let got = parse(category::FROM_SERVER, false, &data).unwrap();
        assert!(matches!(
            got[..],
            [Element::Device(DeviceEvent {
                code: 3,
                detail: 9,
                ..
            })]
        ));
    }

    #[test]
    fn swapped_clients_are_read_in_their_byte_order() {
        let mut e = event(code::BUTTON_PRESS, 3, 0, 0, 0, 0);
        e[4..8].copy_from_slice(&0x0102_0304u32.swap_bytes().to_ne_bytes());
        let got = parse(category::FROM_SERVER, true, &e).unwrap();
        assert!(matches!(
            got[..],
            [Element::Device(DeviceEvent {
                time: 0x0102_0304,
                ..
            })]
        ));
    }

    fn change_keyboard_mapping(first: u8, per: u8, syms: &[u32]) -> Vec<u8> {
        let count = syms.len() / usize::from(per);
        let len = 2 + syms.len();
        let mut r = vec![code::CHANGE_KEYBOARD_MAPPING, count as u8];
        r.extend((len as u16).to_ne_bytes());
        r.extend([first, per, 0, 0]);
        for s in syms {
            r.extend(s.to_ne_bytes());
        }
        r
    }

    #[test]
    fn keyboard_and_modifier_mapping_requests_are_decoded() {
        let mut data = change_keyboard_mapping(200, 2, &[0x20ac, 0x20ac]);
        // An unrelated request (NoOperation, 1 unit) between them.
        data.extend([127, 0, 1, 0]);
        let mut smm = vec![code::SET_MODIFIER_MAPPING, 1];
        smm.extend(3u16.to_ne_bytes());
        smm.extend([50, 66, 37, 64, 0, 0, 133, 92]);
        data.extend(smm);
        let got = parse(category::FROM_CLIENT, false, &data).unwrap();
        assert_eq!(
            got,
            [
                Element::ChangeKeyboardMapping {
                    first_keycode: 200,
                    keysyms_per_keycode: 2,
                    keysyms: vec![0x20ac, 0x20ac],
                },
                Element::SetModifierMapping {
                    keycodes_per_modifier: 1,
                    keycodes: vec![50, 66, 37, 64, 0, 0, 133, 92],
                },
            ]
        );
    }

    #[test]
    fn big_requests_use_the_extended_length() {
        let mut r = vec![code::CHANGE_KEYBOARD_MAPPING, 1, 0, 0];
        r.extend(4u32.to_ne_bytes());
        r.extend([9, 1, 0, 0]);
        r.extend(0xdfu32.to_ne_bytes());
        let got = parse(category::FROM_CLIENT, false, &r).unwrap();
        assert!(
            matches!(&got[..], [Element::ChangeKeyboardMapping { keysyms, .. }] if keysyms == &[0xdf])
        );
    }

    #[test]
    fn cut_data_is_an_error_not_a_panic() {
        let e = event(code::KEY_PRESS, 1, 1, 1, 1, 1);
        assert!(parse(category::FROM_SERVER, false, &e[..20]).is_err());
        let r = change_keyboard_mapping(9, 1, &[1, 2, 3]);
        assert!(parse(category::FROM_CLIENT, false, &r[..r.len() - 1]).is_err());
        assert!(parse(category::FROM_CLIENT, false, &[100, 0, 0, 0, 1, 0, 0, 0]).is_err());
        assert!(parse(category::FROM_CLIENT, false, &[100, 0]).is_err());
        // A claimed keysym count larger than the request is ignored.
        let mut r = change_keyboard_mapping(9, 1, &[1]);
        r[1] = 200;
        assert_eq!(parse(category::FROM_CLIENT, false, &r).unwrap(), []);
    }

    #[test]
    fn other_categories_carry_nothing_of_interest() {
        for c in [2, category::START_OF_DATA, 5] {
            assert_eq!(parse(c, false, &[1, 2, 3]).unwrap(), []);
        }
    }
}
