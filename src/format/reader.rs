//! Reading a trajectory file: the header and steps at once, frames on
//! demand.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::Error;
use super::codec::{self, Decoder};
use super::index::{self, FrameEntry};
use super::payload::{FRAME_PREFIX_LEN, decode_header, parse_frame_prefix};
use super::record::{self, Tag, Version};
use super::scan::{self, Recovery};
use crate::frame::Frame;
use crate::model::{FrameId, Header, Step};

/// How a file was opened.
#[derive(Debug)]
pub enum Opened {
    /// Through its trailer (§6.1): the file is complete.
    Trailer,
    /// By scanning its records (§6.3): the file has no trailer, because its
    /// recording was interrupted. Everything before
    /// [`Recovery::valid_up_to`] was kept.
    Scanned(Recovery),
}

/// Sizes of a file and of its frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Size of the file in bytes.
    pub file_bytes: u64,
    /// Frames stored; identical screens are stored once.
    pub frames: u32,
    /// Frames that decode on their own.
    pub keyframes: u32,
    /// Bytes the frame records take in the file.
    pub frame_bytes: u64,
    /// Bytes the stored frames would take raw, at 3 bytes (24-bit colour)
    /// a pixel.
    pub raw_frame_bytes: u64,
}

impl Stats {
    /// How many times smaller the stored frames are than raw ones.
    pub fn compression_ratio(&self) -> f64 {
        if self.frame_bytes == 0 {
            0.0
        } else {
            self.raw_frame_bytes as f64 / self.frame_bytes as f64
        }
    }
}

/// An open trajectory file.
///
/// Opening reads the trailer only (or, for a file without one, scans its
/// records); frames are read and decoded when asked for. Asking for frames
/// in order is cheap: the decoder stays where the last frame left it.
///
/// ```no_run
/// # fn main() -> Result<(), trajectory::format::Error> {
/// let mut file = trajectory::format::Reader::open("login.traj".as_ref())?;
/// println!("{} steps on a {} screen", file.steps().len(), file.header().screen);
/// for i in 0..file.steps().len() {
///     let id = file.steps()[i].frame;
///     let frame = file.frame(id)?;
///     assert_eq!(frame.width(), file.header().screen.width);
/// }
/// # Ok(()) }
/// ```
pub struct Reader<R = File> {
    src: R,
    file_len: u64,
    version: Version,
    header: Header,
    header_offset: u64,
    steps: Vec<Step>,
    frames: Vec<FrameEntry>,
    opened: Opened,
    decoder: Option<Decoder>,
    /// The frame the decoder holds, if it holds one.
    positioned: Option<FrameId>,
    /// A copy of the last frame handed out, so that asking for it again
    /// does not decode it again.
    last: Option<(FrameId, Frame)>,
}

impl Reader<File> {
    /// Opens the file at `path`.
    ///
    /// # Errors
    /// When the file cannot be read, is not a trajectory file, is of a
    /// newer major version, has a damaged trailer, or (without a trailer)
    /// has no sound header record.
    pub fn open(path: &Path) -> Result<Reader<File>, Error> {
        let file = File::open(path).map_err(Error::io("opening the file"))?;
        Reader::new(file)
    }
}

impl<R: Read + Seek> Reader<R> {
    /// Reads a trajectory from any seekable source, for example a
    /// `Cursor` over bytes in memory.
    ///
    /// # Errors
    /// As [`Reader::open`].
    pub fn new(mut src: R) -> Result<Reader<R>, Error> {
        let file_len = src
            .seek(SeekFrom::End(0))
            .map_err(Error::io("finding the file's length"))?;
        let version = record::read_file_head(&mut src, file_len)?;
        let mut buf = Vec::new();
        let (header, header_offset, frames, steps, opened) =
            match index::read_trailer(&mut src, file_len, &mut buf)? {
                Some(index) => {
                    let head = record::read(&mut src, index.header_offset, file_len, &mut buf)
                        .map_err(|e| Error::Trailer {
                            problem: format!("the header it points at: {e}"),
                        })?;
                    if head.tag != Tag::HEAD {
                        return Err(Error::Trailer {
                            problem: format!(
                                "it places the header at offset {}, where a {} record is",
                                index.header_offset, head.tag
                            ),
                        });
                    }
                    let header = decode_header(&buf, index.header_offset)?;
                    let steps = index.steps;
                    (
                        header,
                        index.header_offset,
                        index.frames,
                        steps,
                        Opened::Trailer,
                    )
                }
                None => {
                    let s = scan::scan(&mut src, file_len, &mut |_| {})?;
                    if let Some(e) = &s.recovery.stopped_by {
                        log::info!(
                            "the file has no trailer; kept everything before offset {}: {e}",
                            s.recovery.valid_up_to
                        );
                    }
                    let opened = Opened::Scanned(s.recovery);
                    (s.header, s.header_offset, s.frames, s.steps, opened)
                }
            };
        for (i, step) in steps.iter().enumerate() {
            if step.frame as usize >= frames.len() {
                return Err(Error::StepFrame {
                    step: i,
                    frame: step.frame,
                    frames: frames.len(),
                });
            }
        }
        Ok(Reader {
            src,
            file_len,
            version,
            header,
            header_offset,
            steps,
            frames,
            opened,
            decoder: None,
            positioned: None,
            last: None,
        })
    }

    /// The header in force (the last one written).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The format version in the file's head.
    pub fn version(&self) -> Version {
        self.version
    }

    /// How the file was opened: through its trailer, or by scanning.
    pub fn opened(&self) -> &Opened {
        &self.opened
    }

    /// Where the header in force is stored.
    pub fn header_offset(&self) -> u64 {
        self.header_offset
    }

    /// Number of frames stored.
    pub fn frame_count(&self) -> u32 {
        self.frames.len() as u32
    }

    /// Where a frame is stored and which keyframe it decodes from.
    pub fn frame_entry(&self, id: FrameId) -> Option<FrameEntry> {
        self.frames.get(id as usize).copied()
    }

    /// Sizes of the file and its frames.
    pub fn stats(&self) -> Stats {
        let screen = self.header.screen;
        let keyframes = (0..self.frames.len())
            .filter(|&i| self.frames[i].keyframe as usize == i)
            .count() as u32;
        let pixels = u64::from(screen.width) * u64::from(screen.height);
        Stats {
            file_bytes: self.file_len,
            frames: self.frame_count(),
            keyframes,
            frame_bytes: self.frames.iter().map(FrameEntry::stored_len).sum(),
            raw_frame_bytes: pixels * 3 * self.frames.len() as u64,
        }
    }

    /// The frame `id`, decoded. Decodes the frame's keyframe, then from the
    /// last refresh before the frame (§7.2, the second way), or goes on
    /// from the frame last decoded when that one lies before it in the same
    /// keyframe chain.
    ///
    /// # Errors
    /// When the frame does not exist, or a record it needs is damaged or
    /// does not decode.
    pub fn frame(&mut self, id: FrameId) -> Result<&Frame, Error> {
        let entry = self.frame_entry(id).ok_or(Error::NoFrame {
            frame: id,
            frames: self.frames.len(),
        })?;
        if self.last.as_ref().is_some_and(|(last, _)| *last == id) {
            return Ok(&self.last.as_ref().expect("checked").1);
        }
        // Going on from the decoder's frame needs no keyframe; starting
        // over decodes the keyframe first.
        let go_on = match self.positioned {
            Some(p) if p < id && self.frames[p as usize].keyframe == entry.keyframe => Some(p + 1),
            _ => None,
        };
        self.positioned = None;
        let first_delta = go_on.unwrap_or(entry.keyframe + 1);
        // A refresh depends on the keyframe only: the frames before the
        // last one need not be decoded. Its payload's first byte says it
        // (§7.3), so the records are read from the frame back to the last
        // refresh, and kept for decoding rather than read twice.
        let mut records = Vec::new();
        for n in (first_delta..=id).rev() {
            let e = self.frames[n as usize];
            let mut buf = Vec::new();
            let key = read_frame(&mut self.src, n, e, self.file_len, &mut buf)?;
            let refresh = codec::is_refresh(&buf[FRAME_PREFIX_LEN..]);
            records.push((n, key, buf));
            if refresh {
                break;
            }
        }
        if go_on.is_none() {
            let n = entry.keyframe;
            let mut buf = Vec::new();
            let key = read_frame(
                &mut self.src,
                n,
                self.frames[n as usize],
                self.file_len,
                &mut buf,
            )?;
            records.push((n, key, buf));
        }
        let (w, h) = (self.header.screen.width, self.header.screen.height);
        let decoder = self.decoder.get_or_insert_with(|| Decoder::new(w, h));
        let mut frame = None;
        // Oldest first: the keyframe (when starting over), then the frames
        // from the last refresh on.
        for (n, key, buf) in records.into_iter().rev() {
            let coded = &buf[FRAME_PREFIX_LEN..];
            let decoded = decoder.decode(key, coded).map_err(|source| Error::Codec {
                frame: n,
                offset: self.frames[n as usize].offset,
                source,
            })?;
            self.positioned = Some(n);
            if n == id {
                frame = Some(decoded.clone());
            }
        }
        let frame = frame.expect("the loop ends with the frame asked for");
        Ok(&self.last.insert((id, frame)).1)
    }
}

/// Reads frame `id`'s record into `buf` and checks that it is the record
/// the index says: a frame record of the indexed length, numbered `id`,
/// a keyframe exactly when the index says so. Returns the key flag.
fn read_frame<R: Read + Seek>(
    src: &mut R,
    id: FrameId,
    entry: FrameEntry,
    file_len: u64,
    buf: &mut Vec<u8>,
) -> Result<bool, Error> {
    let head = record::read(src, entry.offset, file_len, buf)?;
    let mismatch = |found: String| Error::Malformed {
        offset: entry.offset,
        tag: head.tag,
        problem: format!("the index places frame {id} here, but the record {found} (§4.4)"),
    };
    if head.tag != Tag::FRAME {
        return Err(mismatch(format!("is a {} record", head.tag)));
    }
    let (found_id, key) = parse_frame_prefix(buf, entry.offset)?;
    let expected_key = entry.keyframe == id;
    if head.len != entry.len || found_id != id || key != expected_key {
        return Err(mismatch(format!(
            "has {} bytes (index: {}), is numbered {found_id} and is {}a keyframe (index: {}a \
             keyframe)",
            head.len,
            entry.len,
            if key { "" } else { "not " },
            if expected_key { "" } else { "not " },
        )));
    }
    Ok(key)
}
