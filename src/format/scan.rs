//! Opening a file by scanning its records from the head (§6.3), for a file
//! without a trailer: one whose recording was killed, or whose disk filled.
//! Every complete, sound record before the first bad one is kept.

use std::io::{Read, Seek};

use super::Error;
use super::index::{FrameEntry, TAIL_RECORD_LEN};
use super::payload::{decode_header, decode_step, parse_frame_prefix};
use super::record::{self, FILE_HEAD_LEN, Tag, Version};
use crate::model::{Header, Step};

/// Where a scan stopped, and why.
#[derive(Debug)]
pub struct Recovery {
    /// Every record before this offset was read and kept.
    pub valid_up_to: u64,
    /// The file's length.
    pub file_len: u64,
    /// What the scan found at `valid_up_to`, when it did not simply reach
    /// the end of the file.
    pub stopped_by: Option<Error>,
    /// Whether what follows `valid_up_to` looks like an interrupted write
    /// (a record cut by the end of the file, or only zero bytes) rather
    /// than damage with sound records after it.
    pub interrupted: bool,
}

impl Recovery {
    /// Bytes after the last sound record, which the scan did not keep.
    pub fn dropped_bytes(&self) -> u64 {
        self.file_len - self.valid_up_to
    }
}

/// What a scan found.
#[derive(Debug)]
pub struct Scanned {
    pub version: Version,
    pub header: Header,
    pub header_offset: u64,
    pub frames: Vec<FrameEntry>,
    pub steps: Vec<Step>,
    /// Whether the file also has a trailer (a tail record as its last).
    pub has_trailer: bool,
    /// End of the last sound record that is not part of a trailer: what a
    /// repaired file keeps before its new trailer.
    pub body_end: u64,
    pub recovery: Recovery,
}

/// Scans the records of a file of `file_len` bytes from its head.
/// `progress` is told how far the scan got, now and then.
///
/// # Errors
/// A bad file head, an I/O error, or no header record before the first bad
/// record. Anything else wrong stops the scan and is reported in
/// [`Recovery::stopped_by`].
pub fn scan<R: Read + Seek>(
    src: &mut R,
    file_len: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<Scanned, Error> {
    let version = record::read_file_head(src, file_len)?;
    let mut state = State::default();
    let mut offset = FILE_HEAD_LEN;
    let mut buf = Vec::new();
    let mut last_tag = None;
    let mut body_end = offset;
    let mut stopped_by = None;
    while offset < file_len {
        let head = match record::read(src, offset, file_len, &mut buf) {
            Ok(head) => head,
            Err(e @ Error::Io { .. }) => return Err(e),
            Err(e) => {
                stopped_by = Some(e);
                break;
            }
        };
        if let Err(e) = state.take(head.tag, &buf, offset) {
            stopped_by = Some(e);
            break;
        }
        last_tag = Some(head.tag);
        offset = head.end(offset);
        if head.tag != Tag::INDEX && head.tag != Tag::TAIL {
            body_end = offset;
        }
        progress(offset);
    }
    progress(file_len);

    let (header, header_offset) = state.header.ok_or(Error::NoHeader { scanned_to: offset })?;
    let interrupted = match &stopped_by {
        None | Some(Error::Truncated { .. }) => true,
        Some(_) => only_zeros(src, offset, file_len)? || only_index_lost(src, offset, file_len)?,
    };
    Ok(Scanned {
        version,
        header,
        header_offset,
        frames: state.frames,
        steps: state.steps,
        has_trailer: stopped_by.is_none() && last_tag == Some(Tag::TAIL),
        body_end,
        recovery: Recovery {
            valid_up_to: offset,
            file_len,
            stopped_by,
            interrupted,
        },
    })
}

/// What the records read so far add up to.
#[derive(Default)]
struct State {
    header: Option<(Header, u64)>,
    frames: Vec<FrameEntry>,
    steps: Vec<Step>,
}

impl State {
    /// Takes in one sound record; an error when its contents do not fit
    /// what came before.
    fn take(&mut self, tag: Tag, payload: &[u8], offset: u64) -> Result<(), Error> {
        let malformed = |problem: String| Error::Malformed {
            offset,
            tag,
            problem,
        };
        if self.header.is_none() && tag != Tag::HEAD {
            return Err(malformed(
                "it is the first record, and the first record must be a HEAD (§4.1)".into(),
            ));
        }
        match tag {
            Tag::HEAD => {
                let header = decode_header(payload, offset)?;
                if let Some((old, _)) = &self.header
                    && old.screen != header.screen
                {
                    return Err(malformed(format!(
                        "it changes the screen from {} to {}, the frames are coded for the first \
                         (§4.1)",
                        old.screen, header.screen
                    )));
                }
                self.header = Some((header, offset));
            }
            Tag::FRAME => {
                let (id, key) = parse_frame_prefix(payload, offset)?;
                let expected = self.frames.len();
                if id as usize != expected || u32::try_from(expected).is_err() {
                    return Err(malformed(format!(
                        "it is numbered {id}, the frame records before it make it frame \
                         {expected} (§4.2)"
                    )));
                }
                let keyframe = match (key, self.frames.last()) {
                    (true, _) => id,
                    (false, Some(prev)) => prev.keyframe,
                    (false, None) => {
                        return Err(malformed(
                            "frame 0 is not a keyframe; the first frame must be (§4.2)".into(),
                        ));
                    }
                };
                self.frames.push(FrameEntry {
                    offset,
                    len: payload.len() as u32,
                    keyframe,
                });
            }
            Tag::STEP => {
                let step = decode_step(payload, offset)?;
                if step.frame as usize >= self.frames.len() {
                    return Err(malformed(format!(
                        "step {} refers to frame {}, but only {} frames come before it (§4.3)",
                        self.steps.len(),
                        step.frame,
                        self.frames.len()
                    )));
                }
                self.steps.push(step);
            }
            // The trailer describes the records; a scan rebuilds it from them.
            Tag::INDEX | Tag::TAIL => {}
            other => log::debug!("skipping a record of unknown type {other} at offset {offset}"),
        }
        Ok(())
    }
}

/// Whether the scan stopped at the index of a finished file: the file ends
/// in a sound tail record pointing at `stop`. Then only the trailer is
/// damaged, and a repair that rebuilds it loses nothing.
fn only_index_lost<R: Read + Seek>(src: &mut R, stop: u64, file_len: u64) -> Result<bool, Error> {
    let Some(tail) = file_len.checked_sub(TAIL_RECORD_LEN).filter(|&t| t > stop) else {
        return Ok(false);
    };
    let mut buf = Vec::new();
    Ok(match record::read(src, tail, file_len, &mut buf) {
        Ok(head) => head.tag == Tag::TAIL && buf[..] == stop.to_le_bytes(),
        Err(Error::Io { doing, source }) => return Err(Error::Io { doing, source }),
        Err(_) => false,
    })
}

/// Whether every byte from `from` to `to` is zero: what a file system may
/// leave of a write that never reached the disk.
fn only_zeros<R: Read + Seek>(src: &mut R, from: u64, to: u64) -> Result<bool, Error> {
    let doing = || format!("reading the file from offset {from}");
    src.seek(std::io::SeekFrom::Start(from))
        .map_err(Error::io(doing()))?;
    let mut rest = src.take(to - from);
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let n = rest.read(&mut chunk).map_err(Error::io(doing()))?;
        if n == 0 {
            return Ok(true);
        }
        if chunk[..n].iter().any(|&b| b != 0) {
            return Ok(false);
        }
    }
}
