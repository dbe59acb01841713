//! Recovering a file without a sound trailer (§6.4): scan its records,
//! copy every sound one to a new file, and give that file a trailer.
//! The records keep their offsets, so the rebuilt index points into the
//! copy as it did into the original.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::Error;
use super::index;
use super::scan::{self, Scanned};

/// Scans the file at `path` record by record, checking every checksum
/// (§6.3). `progress` is told how many bytes were scanned, now and then.
///
/// # Errors
/// When the file cannot be read, has a bad file head, or holds no sound
/// header record.
pub fn scan_file(path: &Path, progress: &mut dyn FnMut(u64)) -> Result<Scanned, Error> {
    let mut file = File::open(path).map_err(Error::io("opening the file"))?;
    let len = file
        .seek(SeekFrom::End(0))
        .map_err(Error::io("finding the file's length"))?;
    scan::scan(&mut file, len, progress)
}

/// Writes a new file at `dst` (which must not exist) holding the records of
/// `src` that `scanned` found sound, except an old trailer, followed by a
/// new trailer, and syncs it.
/// `progress` is told how many bytes were copied. Returns the new file's
/// length.
///
/// # Errors
/// When `dst` exists or cannot be written, or `src` cannot be read.
pub fn write_recovered(
    src: &Path,
    scanned: &Scanned,
    dst: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, Error> {
    // An old trailer, sound or not, is replaced rather than kept.
    let keep = scanned.body_end;
    let mut input = File::open(src).map_err(Error::io("opening the file to copy"))?;
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dst)
        .map_err(Error::io(format!("creating {}", dst.display())))?;
    let doing = || format!("copying {} to {}", src.display(), dst.display());

    let mut copied = 0u64;
    let mut chunk = vec![0u8; 1 << 20];
    while copied < keep {
        let want = chunk.len().min((keep - copied) as usize);
        input
            .read_exact(&mut chunk[..want])
            .map_err(Error::io(doing()))?;
        out.write_all(&chunk[..want]).map_err(Error::io(doing()))?;
        copied += want as u64;
        progress(copied);
    }

    let mut trailer = Vec::new();
    index::encode_trailer(
        scanned.header_offset,
        &scanned.frames,
        &scanned.steps,
        keep,
        &mut trailer,
    )?;
    out.write_all(&trailer).map_err(Error::io(doing()))?;
    out.sync_all().map_err(Error::io(doing()))?;
    Ok(keep + trailer.len() as u64)
}
