//! Fuzzes the reader past the checksums: the input's record checksums are
//! recomputed before reading, so that mutations reach the parsers of the
//! payloads (MessagePack, frame records, the index) instead of stopping at
//! a checksum mismatch.

#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use trajectory::format::{Reader, Tag, record};

fuzz_target!(|data: &[u8]| {
    let mut bytes = data.to_vec();
    let mut at = 12;
    while at + 12 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let Some(end) = (at + 12).checked_add(len).filter(|&end| end <= bytes.len()) else {
            break;
        };
        let tag = Tag(bytes[at..at + 4].try_into().unwrap());
        let crc = record::checksum(tag, &bytes[at + 12..end]);
        bytes[at + 8..at + 12].copy_from_slice(&crc.to_le_bytes());
        at = end;
    }

    let Ok(mut file) = Reader::new(Cursor::new(&bytes)) else {
        return;
    };
    let _ = file.stats();
    let screen = file.header().screen;
    if u64::from(screen.width) * u64::from(screen.height) <= 1 << 16 {
        for id in (0..file.frame_count().min(64)).chain((0..file.frame_count().min(64)).rev()) {
            let _ = file.frame(id);
        }
    }
});
