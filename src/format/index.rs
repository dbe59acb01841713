//! The trailer (§6.1): the index record, which says where the header and
//! every frame are and holds all steps, and the tail record after it,
//! which says where the index is. Together they make opening a file one
//! read at its end, whatever its size.

use serde::{Deserialize, Serialize};

use super::Error;
use super::payload::{FRAME_PREFIX_LEN, from_msgpack, to_msgpack};
use super::record::{self, FILE_HEAD_LEN, RECORD_HEAD_LEN, Tag};
use crate::model::{FrameId, Step};

/// Bytes of one entry of the index's frame table (§4.4).
pub const FRAME_ENTRY_LEN: usize = 16;

/// Length of a tail record, head included (§4.5).
pub const TAIL_RECORD_LEN: u64 = RECORD_HEAD_LEN + 8;

/// Where a frame is stored and which keyframe its decoding starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameEntry {
    /// Offset of the frame record in the file.
    pub offset: u64,
    /// Payload length of the frame record (prefix and coded pixels).
    pub len: u32,
    /// The keyframe the frame's decoding starts from; the frame itself
    /// when it is a keyframe.
    pub keyframe: FrameId,
}

impl FrameEntry {
    /// Bytes the frame takes in the file, record head included.
    pub fn stored_len(&self) -> u64 {
        RECORD_HEAD_LEN + u64::from(self.len)
    }
}

/// The payload of the index record (§4.4), as MessagePack sees it.
#[derive(Serialize, Deserialize)]
struct IndexPayload {
    /// Offset of the header record in force (the last one written).
    header: u64,
    /// The frame table: per frame, its record's offset (u64), payload
    /// length (u32) and keyframe (u32), little-endian.
    #[serde(with = "serde_bytes")]
    frames: Vec<u8>,
    /// Every step, in order.
    steps: Vec<Step>,
}

/// What the trailer says about a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub header_offset: u64,
    pub frames: Vec<FrameEntry>,
    pub steps: Vec<Step>,
}

/// Appends the index record and the tail record for a file whose records
/// end at `end` to `out`.
pub fn encode_trailer(
    header_offset: u64,
    frames: &[FrameEntry],
    steps: &[Step],
    end: u64,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let mut table = Vec::with_capacity(frames.len() * FRAME_ENTRY_LEN);
    for f in frames {
        table.extend_from_slice(&f.offset.to_le_bytes());
        table.extend_from_slice(&f.len.to_le_bytes());
        table.extend_from_slice(&f.keyframe.to_le_bytes());
    }
    let payload = to_msgpack(&IndexPayload {
        header: header_offset,
        frames: table,
        steps: steps.to_vec(),
    });
    record::encode(Tag::INDEX, &payload, out)?;
    record::encode(Tag::TAIL, &end.to_le_bytes(), out)
}

/// Reads the trailer of a file of `file_len` bytes. `Ok(None)` when the
/// file has none (its last bytes are not a tail record): it must be
/// scanned. An error when a tail record is there but what it leads to is
/// not sound.
pub fn read_trailer<R: std::io::Read + std::io::Seek>(
    src: &mut R,
    file_len: u64,
    buf: &mut Vec<u8>,
) -> Result<Option<Index>, Error> {
    if file_len < FILE_HEAD_LEN + TAIL_RECORD_LEN {
        return Ok(None);
    }
    let tail_offset = file_len - TAIL_RECORD_LEN;
    let mut head = [0; RECORD_HEAD_LEN as usize];
    src.seek(std::io::SeekFrom::Start(tail_offset))
        .and_then(|_| src.read_exact(&mut head))
        .map_err(Error::io("reading the tail record"))?;
    let head = record::RecordHead::parse(head);
    if head.tag != Tag::TAIL || head.len != 8 {
        return Ok(None);
    }
    let trailer = |problem: String| Error::Trailer { problem };
    record::read(src, tail_offset, file_len, buf).map_err(|e| trailer(e.to_string()))?;
    let index_offset = u64::from_le_bytes(buf[..8].try_into().expect("8 bytes"));
    if index_offset < FILE_HEAD_LEN || index_offset + RECORD_HEAD_LEN > tail_offset {
        return Err(trailer(format!(
            "the tail record at offset {tail_offset} points at offset {index_offset}, \
             outside the records (from {FILE_HEAD_LEN} to {tail_offset})"
        )));
    }
    let head = record::read(src, index_offset, tail_offset, buf)
        .map_err(|e| trailer(format!("the index record: {e}")))?;
    if head.tag != Tag::INDEX || head.end(index_offset) != tail_offset {
        return Err(trailer(format!(
            "the tail record points at a {} record at offset {index_offset} that ends at {}, \
             an INDX record ending at {tail_offset} was expected (§4.5)",
            head.tag,
            head.end(index_offset)
        )));
    }
    decode_index(buf, index_offset).map(Some)
}

/// Decodes an index record's payload and checks its frame table (§4.4):
/// frames lie in order between the file head and the index, and each one's
/// keyframe is a keyframe at or before it.
fn decode_index(payload: &[u8], index_offset: u64) -> Result<Index, Error> {
    let p: IndexPayload = from_msgpack(payload, index_offset, Tag::INDEX, "index")?;
    let malformed = |problem: String| Error::Malformed {
        offset: index_offset,
        tag: Tag::INDEX,
        problem,
    };
    if !p.frames.len().is_multiple_of(FRAME_ENTRY_LEN) {
        return Err(malformed(format!(
            "its frame table has {} bytes, not a multiple of {FRAME_ENTRY_LEN} (§4.4)",
            p.frames.len()
        )));
    }
    if p.header < FILE_HEAD_LEN || p.header + RECORD_HEAD_LEN > index_offset {
        return Err(malformed(format!(
            "it places the header at offset {}, outside the records (§4.4)",
            p.header
        )));
    }
    let mut frames: Vec<FrameEntry> = Vec::with_capacity(p.frames.len() / FRAME_ENTRY_LEN);
    let mut next_free = FILE_HEAD_LEN;
    for (id, e) in p.frames.chunks_exact(FRAME_ENTRY_LEN).enumerate() {
        let entry = FrameEntry {
            offset: u64::from_le_bytes(e[0..8].try_into().expect("8 bytes")),
            len: u32::from_le_bytes(e[8..12].try_into().expect("4 bytes")),
            keyframe: u32::from_le_bytes(e[12..16].try_into().expect("4 bytes")),
        };
        let end = entry.offset.checked_add(entry.stored_len());
        if entry.offset < next_free || end.is_none_or(|end| end > index_offset) {
            return Err(malformed(format!(
                "frame {id} is placed at offset {} with {} bytes, but frames lie in order \
                 between offset {next_free} and the index at {index_offset} (§4.4)",
                entry.offset, entry.len
            )));
        }
        if (entry.len as usize) < FRAME_PREFIX_LEN {
            return Err(malformed(format!(
                "frame {id} has {} bytes, a frame record has at least {FRAME_PREFIX_LEN} (§4.2)",
                entry.len
            )));
        }
        let key = entry.keyframe as usize;
        let key_ok = key == id || frames.get(key).is_some_and(|k| k.keyframe as usize == key);
        if !key_ok {
            return Err(malformed(format!(
                "frame {id} starts decoding from frame {key}, which is not a keyframe before it \
                 (§4.4)"
            )));
        }
        next_free = end.expect("checked above");
        frames.push(entry);
    }
    if u32::try_from(frames.len()).is_err() {
        return Err(malformed(format!("it lists {} frames (§9)", frames.len())));
    }
    Ok(Index {
        header_offset: p.header,
        frames,
        steps: p.steps,
    })
}
