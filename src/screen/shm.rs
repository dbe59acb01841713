//! The shared memory the X server writes captures into.
//!
//! MIT-SHM 1.2 takes the segment as a file descriptor (`ShmAttachFd`): we
//! create an anonymous memory file, map it read-only into our address space,
//! and hand a descriptor to the server, which maps it writable. Unlike System
//! V segments this needs no `shmget` limits and works across IPC namespaces
//! (a server in another container), as long as the connection is a local
//! socket that can carry descriptors.

use std::os::fd::OwnedFd;
use std::ptr::NonNull;

use rustix::fs::{MemfdFlags, ftruncate, memfd_create};
use rustix::mm::{MapFlags, ProtFlags, mmap, munmap};

/// A read-only mapping of a memory file that the X server writes into.
#[derive(Debug)]
pub(crate) struct ShmBuffer {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; nothing about it
// is tied to the thread that created it.
unsafe impl Send for ShmBuffer {}

impl ShmBuffer {
    /// Creates a memory file of `len` bytes and maps it. Returns the mapping
    /// and the descriptor to pass to the server.
    pub(crate) fn create(len: usize) -> std::io::Result<(ShmBuffer, OwnedFd)> {
        let fd = memfd_create("trajectory-capture", MemfdFlags::CLOEXEC)?;
        ftruncate(&fd, len as u64)?;
        // SAFETY: a fresh mapping (null hint) of a file we just sized to
        // `len` bytes; the kernel picks an address that aliases nothing.
        let ptr = unsafe {
            mmap(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ,
                MapFlags::SHARED,
                &fd,
                0,
            )?
        };
        let ptr = NonNull::new(ptr.cast::<u8>())
            .ok_or_else(|| std::io::Error::other("mmap returned a null pointer"))?;
        Ok((ShmBuffer { ptr, len }, fd))
    }

    /// The bytes of the segment.
    ///
    /// The server writes the segment only while it handles a request of
    /// ours that names it; callers read it only after that request's reply
    /// and before they send the next one (the screen's `&mut self` borrow
    /// spans both), so the bytes do not change while the slice lives.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` is a live mapping of `len` readable bytes (see
        // `create`), unmapped only in `drop`, which the borrow of `self`
        // outlives. The contents are plain bytes, valid for any value, and
        // no one writes them while the slice lives (see above).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for ShmBuffer {
    fn drop(&mut self) {
        // SAFETY: the mapping was made in `create` with this address and
        // length, and no slice of it outlives `self`.
        if let Err(err) = unsafe { munmap(self.ptr.as_ptr().cast(), self.len) } {
            log::warn!("could not unmap the capture buffer: {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_segment_reads_as_zeroes_of_the_asked_size() {
        let (buf, _fd) = ShmBuffer::create(4096 * 3 + 5).unwrap();
        assert_eq!(buf.bytes().len(), 4096 * 3 + 5);
        assert!(buf.bytes().iter().all(|&b| b == 0));
    }

    #[test]
    fn writes_through_the_descriptor_show_in_the_mapping() {
        // The server writes through its own mapping of the descriptor; a
        // write through the file stands in for it here.
        let (buf, fd) = ShmBuffer::create(16).unwrap();
        rustix::io::pwrite(&fd, &[1, 2, 3], 4).unwrap();
        assert_eq!(&buf.bytes()[..8], &[0, 0, 0, 0, 1, 2, 3, 0]);
    }
}
