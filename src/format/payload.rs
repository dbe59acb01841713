//! The payloads of the record types (§4): MessagePack for the header and
//! the steps (§5), a small fixed prefix before a frame's coded pixels.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Error;
use super::record::{MAX_PIXELS, MAX_SIDE, Tag};
use crate::model::{FrameId, Header, ScreenGeometry, Step};

/// Bytes before the coded pixels in a frame record (§4.2): the frame
/// number (u32) and the flags (u8).
pub const FRAME_PREFIX_LEN: usize = 5;

/// Flag bit of a frame record (§4.2): the frame decodes on its own.
pub const FRAME_FLAG_KEY: u8 = 0x01;

/// How deep MessagePack may nest in a record: far more than any v1 record
/// needs (a drag point sits at depth 6), far less than would exhaust a
/// stack.
const MAX_DEPTH: usize = 32;

/// MessagePack with field names (§5), as every structured record is coded.
pub fn to_msgpack<T: Serialize>(value: &T) -> Vec<u8> {
    rmp_serde::to_vec_named(value).expect("model types serialize to MessagePack")
}

/// Decodes the MessagePack payload of the record at `offset`.
pub fn from_msgpack<T: DeserializeOwned>(
    payload: &[u8],
    offset: u64,
    tag: Tag,
    what: &'static str,
) -> Result<T, Error> {
    let mut de = rmp_serde::Deserializer::from_read_ref(payload);
    de.set_max_depth(MAX_DEPTH);
    T::deserialize(&mut de).map_err(|source| Error::Decode {
        offset,
        tag,
        what,
        source,
    })
}

/// Decodes and checks a header record's payload.
pub fn decode_header(payload: &[u8], offset: u64) -> Result<Header, Error> {
    let header: Header = from_msgpack(payload, offset, Tag::HEAD, "header")?;
    check_screen(&header.screen)?;
    Ok(header)
}

/// Decodes a step record's payload.
pub fn decode_step(payload: &[u8], offset: u64) -> Result<Step, Error> {
    from_msgpack(payload, offset, Tag::STEP, "step")
}

/// Checks a screen against the limits of §9, so that no frame buffer is
/// sized by an unchecked number.
pub fn check_screen(screen: &ScreenGeometry) -> Result<(), Error> {
    let (w, h) = (screen.width, screen.height);
    let side_ok = (1..=MAX_SIDE).contains(&w) && (1..=MAX_SIDE).contains(&h);
    if side_ok && u64::from(w) * u64::from(h) <= MAX_PIXELS {
        Ok(())
    } else {
        Err(Error::Geometry {
            width: w,
            height: h,
        })
    }
}

/// The prefix of a frame record's payload.
pub fn frame_prefix(id: FrameId, key: bool) -> [u8; FRAME_PREFIX_LEN] {
    let [a, b, c, d] = id.to_le_bytes();
    [a, b, c, d, if key { FRAME_FLAG_KEY } else { 0 }]
}

/// The frame number and key flag of a frame record's payload, checked
/// (§4.2): the payload holds the prefix, and no flag but the key flag is
/// set.
pub fn parse_frame_prefix(payload: &[u8], offset: u64) -> Result<(FrameId, bool), Error> {
    let malformed = |problem: String| Error::Malformed {
        offset,
        tag: Tag::FRAME,
        problem,
    };
    let Some(&[a, b, c, d, flags]) = payload.get(..FRAME_PREFIX_LEN) else {
        return Err(malformed(format!(
            "its payload has {} bytes, a frame record has at least {FRAME_PREFIX_LEN} (§4.2)",
            payload.len()
        )));
    };
    if flags & !FRAME_FLAG_KEY != 0 {
        return Err(malformed(format!(
            "its flags are {flags:#04x}, v1 defines only the key flag {FRAME_FLAG_KEY:#04x} (§4.2)"
        )));
    }
    Ok((
        u32::from_le_bytes([a, b, c, d]),
        flags & FRAME_FLAG_KEY != 0,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ScreenGeometry;

    #[test]
    fn screens_beyond_the_limits_are_refused() {
        let ok = ScreenGeometry {
            width: 1920,
            height: 1080,
            depth: 24,
        };
        assert!(check_screen(&ok).is_ok());
        for (width, height) in [(0, 10), (10, 0), (40000, 10), (20000, 20000)] {
            let screen = ScreenGeometry {
                width,
                height,
                ..ok
            };
            assert!(check_screen(&screen).is_err(), "{width}x{height}");
        }
    }

    #[test]
    fn frame_prefixes_round_trip_and_unknown_flags_are_refused() {
        let p = frame_prefix(7, true);
        assert_eq!(parse_frame_prefix(&p, 0).unwrap(), (7, true));
        let err = parse_frame_prefix(&[0, 0, 0, 0, 0x82], 40).unwrap_err();
        assert!(err.to_string().contains("0x82"), "{err}");
        assert!(parse_frame_prefix(&[0, 0], 40).is_err());
    }

    #[test]
    fn deeply_nested_messagepack_is_refused_without_recursing_far() {
        // 10,000 nested one-element arrays (0x91).
        let payload = vec![0x91; 10_000];
        assert!(decode_step(&payload, 12).is_err());
    }
}
