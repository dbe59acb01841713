//! Fuzzes the reader: any bytes must open or fail with an error, and the
//! frames of a file that opens must decode or fail with an error. Never a
//! panic, never an allocation sized by an unchecked length.

#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use trajectory::format::Reader;

fuzz_target!(|data: &[u8]| {
    let Ok(mut file) = Reader::new(Cursor::new(data)) else {
        return;
    };
    let _ = file.stats();
    let screen = file.header().screen;
    // A frame is allocated at the header's size, which the format bounds
    // (§9) but which can still be hundreds of MiB; small screens keep the
    // fuzzer fast without hiding any path of the reader.
    if u64::from(screen.width) * u64::from(screen.height) <= 1 << 16 {
        for id in 0..file.frame_count().min(64) {
            let _ = file.frame(id);
        }
        // Asking again, out of order, exercises the positioned decoder.
        for id in (0..file.frame_count().min(64)).rev() {
            let _ = file.frame(id);
        }
    }
});
