//! Writing a trajectory file as it is recorded (§6.2).
//!
//! A file under construction is `NAME.traj.partial`, beside the target.
//! Each record goes to the operating system as soon as it is pushed, so a
//! killed recorder leaves a partial file that `trajectory repair` recovers
//! up to its last complete record. [`Writer::finish`] writes the trailer,
//! syncs the file and renames it into place: a partial file never replaces
//! a finished one.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::Error;
use super::codec::Encoder;
use super::hash::frame_hash;
use super::index::{self, FrameEntry};
use super::payload::{FRAME_PREFIX_LEN, check_screen, frame_prefix, to_msgpack};
use super::record::{self, FILE_HEAD_LEN, Tag};
use crate::frame::FrameRef;
use crate::model::{FrameId, Header, Step};

/// What a finished file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Where the file is.
    pub path: PathBuf,
    pub steps: usize,
    /// Frames stored (identical screens count once).
    pub frames: u32,
    /// Frames pushed, duplicates included.
    pub frames_pushed: u64,
    pub keyframes: u32,
    /// Size of the file in bytes.
    pub bytes: u64,
}

/// The name a file is written under until it is finished: the target's
/// name with `.partial` appended.
pub fn partial_path(target: &Path) -> PathBuf {
    let mut name = OsString::from(target.as_os_str());
    name.push(".partial");
    PathBuf::from(name)
}

/// Writes one trajectory file, record by record.
///
/// ```no_run
/// use trajectory::format::Writer;
/// use trajectory::model::{Action, Button, Header, ScreenGeometry, Step};
/// use trajectory::Frame;
///
/// # fn main() -> Result<(), trajectory::format::Error> {
/// let screen = ScreenGeometry { width: 640, height: 480, depth: 24 };
/// let mut w = Writer::create("click.traj".as_ref(), &Header::new(screen))?;
/// let frame = w.push_frame(Frame::filled(640, 480, 0x202020).as_ref())?;
/// let action = Action::Click {
///     button: Button::LEFT,
///     count: 1,
///     x: 10,
///     y: 20,
///     interval_us: 0,
///     modifiers: vec![],
/// };
/// w.push_step(&Step { at_us: 0, action, frame, checkpoint: Default::default() })?;
/// let summary = w.finish()?;
/// assert_eq!(summary.steps, 1);
/// # Ok(()) }
/// ```
pub struct Writer {
    file: File,
    partial: PathBuf,
    target: PathBuf,
    /// End of the last record known to be written whole.
    end: u64,
    header: Header,
    header_offset: u64,
    encoder: Encoder,
    seen: HashMap<u128, FrameId>,
    frames: Vec<FrameEntry>,
    frames_pushed: u64,
    steps: Vec<Step>,
    /// Why the writer stopped accepting records, after a failed write.
    failed: Option<Failure>,
    record: Vec<u8>,
}

/// A failed write, and whether the file was cut back to its last whole
/// record afterwards.
struct Failure {
    cause: String,
    file_is_clean: bool,
}

impl Writer {
    /// Starts `NAME.partial` beside `target` with the file head and a header
    /// record. The target itself is not touched until [`Writer::finish`].
    ///
    /// # Errors
    /// When the header's screen is outside the limits (§9), when a partial
    /// file of an earlier recording is in the way ([`Error::PartialExists`]),
    /// or when the file cannot be created.
    pub fn create(target: &Path, header: &Header) -> Result<Writer, Error> {
        check_screen(&header.screen)?;
        let partial = partial_path(target);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => Error::PartialExists {
                    path: partial.clone(),
                },
                _ => Error::Io {
                    doing: format!("creating {}", partial.display()),
                    source: e,
                },
            })?;
        let mut w = Writer {
            file,
            partial,
            target: target.to_path_buf(),
            end: 0,
            header: header.clone(),
            header_offset: FILE_HEAD_LEN,
            encoder: Encoder::new(header.screen.width, header.screen.height),
            seen: HashMap::new(),
            frames: Vec::new(),
            frames_pushed: 0,
            steps: Vec::new(),
            failed: None,
            record: Vec::new(),
        };
        w.record.extend_from_slice(&record::file_head());
        record::encode(Tag::HEAD, &to_msgpack(header), &mut w.record)?;
        w.write_record()?;
        Ok(w)
    }

    /// Where the file is being written (`NAME.partial`).
    pub fn partial_path(&self) -> &Path {
        &self.partial
    }

    /// The header in force.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Frames stored so far.
    pub fn frame_count(&self) -> u32 {
        self.frames.len() as u32
    }

    /// Steps written so far.
    pub fn step_count(&self) -> usize {
        self.steps.len()
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.end
    }

    /// Stores a screen and returns its frame number. A screen identical to
    /// one stored before is not stored again: its earlier number is
    /// returned.
    ///
    /// # Errors
    /// When the frame is not of the header's size (or its buffer not of its
    /// size), or the write fails.
    ///
    /// # Panics
    /// When the frame codec breaks its contract by coding a first frame
    /// that is not a keyframe.
    pub fn push_frame(&mut self, frame: FrameRef<'_>) -> Result<FrameId, Error> {
        self.check_usable()?;
        let screen = self.header.screen;
        if (frame.width, frame.height) != (screen.width, screen.height) {
            return Err(Error::FrameSize {
                width: frame.width,
                height: frame.height,
                screen,
            });
        }
        // FrameRef's fields are public: its buffer may not match its size.
        let expected = screen.width as usize * screen.height as usize * 4;
        if frame.data.len() != expected {
            return Err(Error::FrameBuffer {
                expected,
                found: frame.data.len(),
            });
        }
        self.frames_pushed += 1;
        let hash = frame_hash(frame);
        if let Some(&id) = self.seen.get(&hash) {
            return Ok(id);
        }

        let id = self.frames.len() as FrameId;
        let encoded = self.encoder.encode(frame);
        let keyframe = match self.frames.last() {
            _ if encoded.key => id,
            Some(prev) => prev.keyframe,
            None => panic!("the frame codec must start its stream with a keyframe (§7)"),
        };
        let mut payload = Vec::with_capacity(FRAME_PREFIX_LEN + encoded.payload.len());
        payload.extend_from_slice(&frame_prefix(id, encoded.key));
        payload.extend_from_slice(&encoded.payload);
        let offset = self.end;
        // The encoder has moved on to this frame: if it cannot be stored,
        // later frames coded against it could not be decoded.
        if let Err(e) = record::encode(Tag::FRAME, &payload, &mut self.record) {
            self.fail(e.to_string());
            return Err(e);
        }
        self.write_record()?;
        self.frames.push(FrameEntry {
            offset,
            len: payload.len() as u32,
            keyframe,
        });
        self.seen.insert(hash, id);
        Ok(id)
    }

    /// Writes a step. Its frame must have been pushed before.
    ///
    /// # Errors
    /// When the step's frame is not stored yet, or the write fails.
    pub fn push_step(&mut self, step: &Step) -> Result<(), Error> {
        self.check_usable()?;
        if step.frame as usize >= self.frames.len() {
            return Err(Error::StepFrame {
                step: self.steps.len(),
                frame: step.frame,
                frames: self.frames.len(),
            });
        }
        record::encode(Tag::STEP, &to_msgpack(step), &mut self.record)?;
        self.write_record()?;
        self.steps.push(step.clone());
        Ok(())
    }

    /// Replaces the header, for what is learnt only at the end of a
    /// recording (proposed masks). The new header record is written at
    /// once and the trailer will point at it (§4.1).
    ///
    /// # Errors
    /// When the new header changes the screen, or the write fails.
    pub fn set_header(&mut self, header: &Header) -> Result<(), Error> {
        self.check_usable()?;
        if header.screen != self.header.screen {
            return Err(Error::ScreenChanged {
                old: self.header.screen,
                new: header.screen,
            });
        }
        let offset = self.end;
        record::encode(Tag::HEAD, &to_msgpack(header), &mut self.record)?;
        self.write_record()?;
        self.header = header.clone();
        self.header_offset = offset;
        Ok(())
    }

    /// Writes the trailer, syncs the file to disk and renames it to its
    /// target name, replacing any file there.
    ///
    /// After a failed write this still finishes the file with every record
    /// written before the failure, if the file could be cut back to them.
    ///
    /// # Errors
    /// When a write, the sync or the rename fails; the partial file then
    /// keeps every record written whole, for `trajectory repair`.
    pub fn finish(mut self) -> Result<Summary, Error> {
        if let Some(f) = &self.failed
            && !f.file_is_clean
        {
            return Err(self.failed_error());
        }
        index::encode_trailer(
            self.header_offset,
            &self.frames,
            &self.steps,
            self.end,
            &mut self.record,
        )?;
        self.write_record()?;
        let doing = |what: &str| format!("{what} {}", self.partial.display());
        self.file.sync_all().map_err(Error::io(doing("syncing")))?;
        std::fs::rename(&self.partial, &self.target).map_err(|source| Error::Io {
            doing: format!(
                "renaming {} to {}",
                self.partial.display(),
                self.target.display()
            ),
            source,
        })?;
        sync_dir(&self.target);
        Ok(Summary {
            path: self.target.clone(),
            steps: self.steps.len(),
            frames: self.frames.len() as u32,
            frames_pushed: self.frames_pushed,
            keyframes: (0..self.frames.len())
                .filter(|&i| self.frames[i].keyframe as usize == i)
                .count() as u32,
            bytes: self.end,
        })
    }

    /// Stops writing and deletes the partial file, for a file that is not
    /// wanted after all (nothing worth recovering was written).
    ///
    /// # Errors
    /// When the partial file cannot be deleted.
    pub fn abandon(self) -> Result<(), Error> {
        drop(self.file);
        std::fs::remove_file(&self.partial)
            .map_err(Error::io(format!("deleting {}", self.partial.display())))
    }

    fn check_usable(&self) -> Result<(), Error> {
        match self.failed {
            Some(_) => Err(self.failed_error()),
            None => Ok(()),
        }
    }

    fn failed_error(&self) -> Error {
        Error::WriterFailed {
            cause: self
                .failed
                .as_ref()
                .map_or_else(String::new, |f| f.cause.clone()),
            partial: self.partial.clone(),
        }
    }

    /// Writes the bytes gathered in `self.record` in one call and empties
    /// it. On failure the file is cut back to its last whole record and the
    /// writer accepts nothing more.
    fn write_record(&mut self) -> Result<(), Error> {
        let result = self.file.write_all(&self.record);
        let len = self.record.len() as u64;
        self.record.clear();
        match result {
            Ok(()) => {
                self.end += len;
                Ok(())
            }
            Err(source) => {
                let doing = format!(
                    "writing {} bytes at offset {} of {}",
                    len,
                    self.end,
                    self.partial.display()
                );
                self.fail(format!("{doing}: {source}"));
                Err(Error::Io { doing, source })
            }
        }
    }

    /// Stops the writer, cutting the file back to its last whole record so
    /// that nothing half-written stays behind what is good.
    fn fail(&mut self, cause: String) {
        let file_is_clean = self.file.set_len(self.end).is_ok();
        log::error!(
            "{cause}; {} keeps the first {} bytes",
            self.partial.display(),
            self.end
        );
        self.failed = Some(Failure {
            cause,
            file_is_clean,
        });
    }
}

/// Makes a rename durable by syncing the directory that holds the file.
/// Best effort: not every file system can sync a directory.
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
