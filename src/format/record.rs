//! The file head (§2) and the record framing every later byte of a file
//! follows (§3): a four-byte type, a length, a checksum, then the payload.

use std::fmt;
use std::io::{Read, Seek, SeekFrom};

use super::Error;

/// The first eight bytes of every trajectory file (§2): a byte with the
/// high bit set, `TRAJ`, CR LF, LF. Transfers that strip the high bit or
/// convert line endings change them, so such damage shows at once.
pub const MAGIC: [u8; 8] = *b"\x89TRAJ\r\n\n";

/// The major version this code reads and writes (§8). A file of another
/// major version is refused.
pub const VERSION_MAJOR: u16 = 1;

/// The minor version this code writes (§8). Readers accept any minor
/// version of their major version.
pub const VERSION_MINOR: u16 = 0;

/// Length of the file head: magic, major and minor version (§2).
pub const FILE_HEAD_LEN: u64 = 12;

/// Length of a record's head: type, payload length, checksum (§3.1).
pub const RECORD_HEAD_LEN: u64 = 12;

/// The largest payload a record may declare (§3.3), checked before any
/// allocation: 256 MiB, ten times a raw 8K screen's 24-bit pixels.
pub const MAX_RECORD_LEN: u32 = 1 << 28;

/// The largest width or height of a screen (§9), the X protocol's limit.
pub const MAX_SIDE: u32 = 32767;

/// The largest number of pixels of a screen (§9): 2^27, room for 16384 x
/// 8192. A frame then needs at most 512 MiB of memory.
pub const MAX_PIXELS: u64 = 1 << 27;

/// A record type: four ASCII bytes (§4).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag(pub [u8; 4]);

impl Tag {
    /// The header record (§4.1), MessagePack of the header.
    pub const HEAD: Tag = Tag(*b"HEAD");
    /// A frame record (§4.2): frame number, flags, coded pixels.
    pub const FRAME: Tag = Tag(*b"FRAM");
    /// A step record (§4.3), MessagePack of one step.
    pub const STEP: Tag = Tag(*b"STEP");
    /// The index record (§4.4): where the header and frames are, and all
    /// steps.
    pub const INDEX: Tag = Tag(*b"INDX");
    /// The tail record (§4.5), the last of a finished file: where the index
    /// is.
    pub const TAIL: Tag = Tag(*b"TAIL");
}

impl fmt::Display for Tag {
    /// `HEAD`, or the bytes in hex when they are not printable ASCII.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.iter().all(|b| b.is_ascii_graphic()) {
            f.write_str(std::str::from_utf8(&self.0).unwrap_or("????"))
        } else {
            let [a, b, c, d] = self.0;
            write!(f, "{a:02x}{b:02x}{c:02x}{d:02x}")
        }
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

/// A format version, major and minor (§2, §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
}

impl Version {
    /// The version this code writes.
    pub const CURRENT: Version = Version {
        major: VERSION_MAJOR,
        minor: VERSION_MINOR,
    };
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The file head of a file this code writes.
pub fn file_head() -> [u8; FILE_HEAD_LEN as usize] {
    let mut head = [0; FILE_HEAD_LEN as usize];
    head[..8].copy_from_slice(&MAGIC);
    head[8..10].copy_from_slice(&VERSION_MAJOR.to_le_bytes());
    head[10..12].copy_from_slice(&VERSION_MINOR.to_le_bytes());
    head
}

/// Reads and checks the file head (§2): the magic first, then the major
/// version, so that a file of a newer version is named as such.
pub fn read_file_head<R: Read + Seek>(src: &mut R, file_len: u64) -> Result<Version, Error> {
    if file_len < FILE_HEAD_LEN {
        return Err(Error::TooShort { len: file_len });
    }
    let mut head = [0; FILE_HEAD_LEN as usize];
    src.seek(SeekFrom::Start(0))
        .and_then(|_| src.read_exact(&mut head))
        .map_err(Error::io("reading the file head"))?;
    let found: [u8; 8] = head[..8].try_into().expect("8 bytes");
    if found != MAGIC {
        return Err(Error::Magic { found });
    }
    let version = Version {
        major: u16::from_le_bytes([head[8], head[9]]),
        minor: u16::from_le_bytes([head[10], head[11]]),
    };
    if version.major != VERSION_MAJOR {
        return Err(Error::Version {
            major: version.major,
            minor: version.minor,
        });
    }
    Ok(version)
}

/// The checksum of a record (§3.2): CRC-32 (ISO-HDLC, as zlib and PNG
/// compute it) of the type, the length and the payload.
pub fn checksum(tag: Tag, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&tag.0);
    h.update(&(payload.len() as u32).to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// Appends one framed record to `out`.
pub fn encode(tag: Tag, payload: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&len| len <= MAX_RECORD_LEN)
        .ok_or(Error::RecordTooLarge {
            tag,
            len: payload.len(),
        })?;
    out.reserve(RECORD_HEAD_LEN as usize + payload.len());
    out.extend_from_slice(&tag.0);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&checksum(tag, payload).to_le_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// A record's head as read from a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHead {
    pub tag: Tag,
    /// Payload length in bytes.
    pub len: u32,
    pub crc: u32,
}

impl RecordHead {
    /// Splits the 12 bytes of a record head.
    pub fn parse(b: [u8; RECORD_HEAD_LEN as usize]) -> RecordHead {
        RecordHead {
            tag: Tag([b[0], b[1], b[2], b[3]]),
            len: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            crc: u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
        }
    }

    /// Where the record after this one starts.
    pub fn end(&self, offset: u64) -> u64 {
        offset + RECORD_HEAD_LEN + u64::from(self.len)
    }
}

/// Reads the record at `offset` into `payload` and checks it: its head
/// must fit, its length must be within the limit and the file, and its
/// checksum must hold. The length is checked before `payload` grows.
pub fn read<R: Read + Seek>(
    src: &mut R,
    offset: u64,
    file_len: u64,
    payload: &mut Vec<u8>,
) -> Result<RecordHead, Error> {
    if offset + RECORD_HEAD_LEN > file_len {
        return Err(Error::Truncated {
            offset,
            needed: RECORD_HEAD_LEN,
            file_len,
        });
    }
    let mut head = [0; RECORD_HEAD_LEN as usize];
    let doing = || format!("reading the record at offset {offset}");
    src.seek(SeekFrom::Start(offset))
        .and_then(|_| src.read_exact(&mut head))
        .map_err(Error::io(doing()))?;
    let head = RecordHead::parse(head);
    if head.len > MAX_RECORD_LEN {
        return Err(Error::TooLong {
            offset,
            tag: head.tag,
            len: head.len,
        });
    }
    if head.end(offset) > file_len {
        return Err(Error::Truncated {
            offset,
            needed: head.end(offset) - offset,
            file_len,
        });
    }
    payload.clear();
    payload.resize(head.len as usize, 0);
    src.read_exact(payload).map_err(Error::io(doing()))?;
    let computed = checksum(head.tag, payload);
    if computed != head.crc {
        return Err(Error::Checksum {
            offset,
            tag: head.tag,
            stored: head.crc,
            computed,
        });
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    #[test]
    fn a_record_reads_back_as_written() {
        let mut bytes = file_head().to_vec();
        encode(Tag::STEP, b"hello", &mut bytes).unwrap();
        let len = bytes.len() as u64;
        let mut payload = Vec::new();
        let head = read(&mut Cursor::new(&bytes), 12, len, &mut payload).unwrap();
        assert_eq!((head.tag, head.len), (Tag::STEP, 5));
        assert_eq!(payload, b"hello");
    }

    #[test]
    fn a_flipped_bit_fails_the_checksum() {
        let mut bytes = Vec::new();
        encode(Tag::STEP, b"hello", &mut bytes).unwrap();
        bytes[14] ^= 0x10;
        let len = bytes.len() as u64;
        let err = read(&mut Cursor::new(&bytes), 0, len, &mut Vec::new()).unwrap_err();
        assert!(matches!(err, Error::Checksum { offset: 0, .. }), "{err}");
    }

    #[test]
    fn a_huge_length_is_refused_before_allocating() {
        let mut bytes = Vec::new();
        encode(Tag::FRAME, b"x", &mut bytes).unwrap();
        bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        let len = bytes.len() as u64;
        let err = read(&mut Cursor::new(&bytes), 0, len, &mut Vec::new()).unwrap_err();
        assert!(matches!(err, Error::TooLong { len: u32::MAX, .. }), "{err}");
    }

    #[test]
    fn tags_print_as_text_or_hex() {
        assert_eq!(Tag::INDEX.to_string(), "INDX");
        assert_eq!(Tag([0, 1, 2, 0xff]).to_string(), "000102ff");
    }
}
