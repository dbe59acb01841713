//! `fixtures/bad/`: damaged files, each of which must fail with an error
//! naming the problem and the offset (or, cut short, open up to the cut),
//! and never panic. `TRAJECTORY_BLESS=1 cargo test --test bad_files`
//! makes them again from a freshly written good file.

mod common;

use std::fs;
use std::io::Cursor;
use std::path::PathBuf;

use trajectory::format::{Error, Opened, Reader};

fn bad(name: &str) -> PathBuf {
    common::fixtures().join("bad").join(name)
}

/// Offsets of the records of a sound file, by walking them as §3 says.
fn records(bytes: &[u8]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut offset = 12;
    while offset + 12 <= bytes.len() {
        let tag = String::from_utf8_lossy(&bytes[offset..offset + 4]).into_owned();
        let len = u32::from_le_bytes(bytes[offset + 4..offset + 8].try_into().unwrap()) as usize;
        out.push((tag, offset));
        offset += 12 + len;
    }
    out
}

fn offset_of(bytes: &[u8], tag: &str, nth: usize) -> usize {
    records(bytes)
        .into_iter()
        .filter(|(t, _)| t == tag)
        .nth(nth)
        .map(|(_, o)| o)
        .unwrap()
}

/// The bad files, made from a good one.
fn make_bad_files(good: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let frame1 = offset_of(good, "FRAM", 1);
    let index = offset_of(good, "INDX", 0);
    let step3 = offset_of(good, "STEP", 3);

    let truncated = good[..step3 + 20].to_vec();
    let mut bit_flipped = good.to_vec();
    bit_flipped[frame1 + 12 + 9] ^= 0x04;
    let mut bit_flipped_index = good.to_vec();
    bit_flipped_index[index + 12 + 30] ^= 0x01;
    let mut wrong_magic = good.to_vec();
    wrong_magic[..8].copy_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut future_version = good.to_vec();
    future_version[8..12].copy_from_slice(&[2, 0, 0, 0]);
    let mut huge_length = good.to_vec();
    huge_length[index + 4..index + 8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    vec![
        ("truncated.traj", truncated),
        ("bit-flipped.traj", bit_flipped),
        ("bit-flipped-index.traj", bit_flipped_index),
        ("wrong-magic.traj", wrong_magic),
        ("future-version.traj", future_version),
        ("huge-length.traj", huge_length),
    ]
}

#[test]
fn bad_files_are_made_from_the_good_one() {
    if common::bless() {
        let (_dir, path) = common::temp_file("good.traj");
        common::write_sample(&path, 6);
        let good = fs::read(&path).unwrap();
        fs::write(bad("good.traj"), &good).unwrap();
        for (name, bytes) in make_bad_files(&good) {
            fs::write(bad(name), bytes).unwrap();
        }
    }
    // The committed files are what the recipe makes of the committed good
    // file, whatever the codec of the day writes.
    let good = fs::read(bad("good.traj")).unwrap();
    for (name, bytes) in make_bad_files(&good) {
        assert!(
            fs::read(bad(name)).unwrap() == bytes,
            "{name} differs from its recipe"
        );
    }
}

#[test]
fn the_good_file_is_sound() {
    let mut r = Reader::open(&bad("good.traj")).unwrap();
    assert!(matches!(r.opened(), Opened::Trailer));
    assert_eq!(r.steps().len(), 6);
    for id in 0..r.frame_count() {
        r.frame(id).unwrap();
    }
}

#[test]
fn a_truncated_file_opens_up_to_the_cut() {
    let good = fs::read(bad("good.traj")).unwrap();
    let step3 = offset_of(&good, "STEP", 3) as u64;
    let r = Reader::open(&bad("truncated.traj")).unwrap();
    let Opened::Scanned(rec) = r.opened() else {
        panic!("a file without trailer is scanned");
    };
    assert_eq!(r.steps().len(), 3, "steps 0 to 2 are complete");
    assert_eq!(rec.valid_up_to, step3);
    assert!(rec.interrupted);
    let why = rec.stopped_by.as_ref().unwrap().to_string();
    assert!(why.contains(&format!("record at offset {step3}")), "{why}");
    assert!(why.contains("cut short"), "{why}");
}

#[test]
fn a_flipped_bit_in_a_frame_fails_that_frame_naming_its_offset() {
    let good = fs::read(bad("good.traj")).unwrap();
    let frame1 = offset_of(&good, "FRAM", 1);
    let mut r = Reader::open(&bad("bit-flipped.traj")).unwrap();
    r.frame(0).unwrap();
    let err = r.frame(1).unwrap_err();
    assert!(matches!(err, Error::Checksum { .. }), "{err}");
    assert_eq!(err.offset(), Some(frame1 as u64));
    assert_eq!(
        err.to_string(),
        format!(
            "the FRAM record at offset {frame1} is damaged: it stores the checksum {:08x}, its \
             bytes give {:08x} (§3.2)",
            stored_crc(&good, frame1),
            computed_crc(&fs::read(bad("bit-flipped.traj")).unwrap(), frame1)
        )
    );
}

#[test]
fn a_flipped_bit_in_the_index_fails_the_open_naming_its_offset() {
    let good = fs::read(bad("good.traj")).unwrap();
    let index = offset_of(&good, "INDX", 0);
    let err = Reader::open(&bad("bit-flipped-index.traj")).err().unwrap();
    let msg = err.to_string();
    assert!(matches!(err, Error::Trailer { .. }), "{msg}");
    assert!(
        msg.contains(&format!("the INDX record at offset {index} is damaged")),
        "{msg}"
    );
    assert!(msg.contains("trajectory repair"), "{msg}");
}

#[test]
fn a_wrong_magic_is_not_a_trajectory_file() {
    let err = Reader::open(&bad("wrong-magic.traj")).err().unwrap();
    assert!(matches!(err, Error::Magic { .. }));
    assert_eq!(
        err.to_string(),
        "not a trajectory file: at offset 0 it has 89 50 4e 47 0d 0a 1a 0a, a trajectory file \
         starts with 89 54 52 41 4a 0d 0a 0a (§2)"
    );
}

#[test]
fn a_future_version_is_refused_naming_both_versions() {
    let err = Reader::open(&bad("future-version.traj")).err().unwrap();
    assert!(matches!(err, Error::Version { major: 2, minor: 0 }));
    let msg = err.to_string();
    assert!(
        msg.starts_with("the file is format version 2.0, this trajectory"),
        "{msg}"
    );
    assert!(
        msg.contains("reads version 1.x (§8): install a newer trajectory"),
        "{msg}"
    );
}

#[test]
fn a_huge_length_is_refused_before_allocating() {
    let good = fs::read(bad("good.traj")).unwrap();
    let index = offset_of(&good, "INDX", 0);
    let err = Reader::open(&bad("huge-length.traj")).err().unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "the INDX record at offset {index} declares 4294967280 bytes, over the limit of \
             268435456 (§3.3)"
        )),
        "{msg}"
    );
}

#[test]
fn fuzzing_finds_become_permanent_tests() {
    // Every input the fuzzer once crashed on: it must now open or fail
    // cleanly, and its frames decode or fail cleanly.
    let dir = common::fixtures().join("bad").join("fuzz");
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let bytes = fs::read(entry.unwrap().path()).unwrap();
        if let Ok(mut r) = Reader::new(Cursor::new(&bytes)) {
            for id in 0..r.frame_count() {
                let _ = r.frame(id);
            }
        }
    }
}

fn stored_crc(bytes: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes(bytes[offset + 8..offset + 12].try_into().unwrap())
}

fn computed_crc(bytes: &[u8], offset: usize) -> u32 {
    let len = u32::from_le_bytes(bytes[offset + 4..offset + 8].try_into().unwrap()) as usize;
    let mut h = crc32fast::Hasher::new();
    h.update(&bytes[offset..offset + 8]);
    h.update(&bytes[offset + 12..offset + 12 + len]);
    h.finalize()
}
