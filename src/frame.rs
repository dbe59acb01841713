//! Screen images in memory: 32-bit pixels, tightly packed, row after row.
//!
//! Captures from an X server of depth 24 come as BGRX (blue, green, red and
//! one unused byte); PNG files give RGBA. Both layouts are kept as they come
//! so that nothing is converted on the replay's hot path: the visual diff
//! reads either one directly.

use std::fmt;
use std::path::Path;

/// Byte order of a frame's 32-bit pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PixelLayout {
    /// Blue, green, red, then a byte that carries no information (X11 depth
    /// 24). Pixels are opaque. In an owned [`Frame`] the fourth byte is
    /// always 0xFF.
    Bgrx,
    /// Red, green, blue, alpha (PNG).
    Rgba,
}

/// An owned image.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    width: u32,
    height: u32,
    layout: PixelLayout,
    data: Vec<u8>,
}

/// A borrowed image, for instance a live capture still in shared memory.
/// In the BGRX layout its fourth bytes may hold anything.
#[derive(Clone, Copy)]
pub struct FrameRef<'a> {
    pub width: u32,
    pub height: u32,
    pub layout: PixelLayout,
    pub data: &'a [u8],
}

/// A frame's buffer does not have `width * height * 4` bytes.
#[derive(Debug, thiserror::Error)]
#[error("a {width}x{height} frame needs {expected} bytes, the buffer has {found}")]
pub struct SizeError {
    pub width: u32,
    pub height: u32,
    pub expected: usize,
    pub found: usize,
}

fn check_len(width: u32, height: u32, found: usize) -> Result<(), SizeError> {
    let expected = width as usize * height as usize * 4;
    if expected == found {
        Ok(())
    } else {
        Err(SizeError {
            width,
            height,
            expected,
            found,
        })
    }
}

impl Frame {
    /// A frame from BGRX bytes; the fourth byte of each pixel is set to 0xFF.
    pub fn from_bgrx(width: u32, height: u32, mut data: Vec<u8>) -> Result<Frame, SizeError> {
        check_len(width, height, data.len())?;
        for px in data.chunks_exact_mut(4) {
            px[3] = 0xFF;
        }
        Ok(Frame {
            width,
            height,
            layout: PixelLayout::Bgrx,
            data,
        })
    }

    /// A frame from RGBA bytes, kept as they are.
    pub fn from_rgba(width: u32, height: u32, data: Vec<u8>) -> Result<Frame, SizeError> {
        check_len(width, height, data.len())?;
        Ok(Frame {
            width,
            height,
            layout: PixelLayout::Rgba,
            data,
        })
    }

    /// An opaque BGRX frame of one colour, given as 0xRRGGBB.
    pub fn filled(width: u32, height: u32, rgb: u32) -> Frame {
        let [_, r, g, b] = rgb.to_be_bytes();
        let data = [b, g, r, 0xFF].repeat(width as usize * height as usize);
        Frame {
            width,
            height,
            layout: PixelLayout::Bgrx,
            data,
        }
    }

    /// Reads a PNG file into an RGBA frame.
    pub fn load_png(path: &Path) -> Result<Frame, image::ImageError> {
        let img = image::open(path)?.into_rgba8();
        let (w, h) = img.dimensions();
        Ok(Frame::from_rgba(w, h, img.into_raw()).expect("image gives w*h*4 bytes"))
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn layout(&self) -> PixelLayout {
        self.layout
    }

    /// The pixel bytes, row after row, 4 bytes a pixel.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The pixel bytes, writable. Only for the frame codec, which decodes
    /// into a frame in place (a delta rewrites a few tiles, not the whole
    /// screen) and keeps the fourth byte of a BGRX frame at 0xFF.
    pub(crate) fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    pub fn as_ref(&self) -> FrameRef<'_> {
        FrameRef {
            width: self.width,
            height: self.height,
            layout: self.layout,
            data: &self.data,
        }
    }

    /// Writes the frame as a PNG file (RGB for BGRX frames, RGBA otherwise).
    pub fn save_png(&self, path: &Path) -> Result<(), image::ImageError> {
        self.as_ref().save_png(path)
    }
}

impl<'a> FrameRef<'a> {
    /// A view of `data`, which must hold `width * height * 4` bytes.
    pub fn new(
        width: u32,
        height: u32,
        layout: PixelLayout,
        data: &'a [u8],
    ) -> Result<FrameRef<'a>, SizeError> {
        check_len(width, height, data.len())?;
        Ok(FrameRef {
            width,
            height,
            layout,
            data,
        })
    }

    /// An owned copy (BGRX fourth bytes become 0xFF).
    pub fn to_frame(&self) -> Frame {
        let data = self.data.to_vec();
        match self.layout {
            PixelLayout::Bgrx => Frame::from_bgrx(self.width, self.height, data),
            PixelLayout::Rgba => Frame::from_rgba(self.width, self.height, data),
        }
        .expect("a FrameRef always has a valid length")
    }

    /// Writes the image as a PNG file (RGB for BGRX, RGBA otherwise).
    pub fn save_png(&self, path: &Path) -> Result<(), image::ImageError> {
        match self.layout {
            PixelLayout::Bgrx => {
                let mut rgb = Vec::with_capacity(self.data.len() / 4 * 3);
                for px in self.data.chunks_exact(4) {
                    rgb.extend_from_slice(&[px[2], px[1], px[0]]);
                }
                image::save_buffer(
                    path,
                    &rgb,
                    self.width,
                    self.height,
                    image::ExtendedColorType::Rgb8,
                )
            }
            PixelLayout::Rgba => image::save_buffer(
                path,
                self.data,
                self.width,
                self.height,
                image::ExtendedColorType::Rgba8,
            ),
        }
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("layout", &self.layout)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl fmt::Debug for FrameRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameRef")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("layout", &self.layout)
            .field("bytes", &self.data.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bgrx_frames_keep_colour_and_set_the_spare_byte() {
        let f = Frame::from_bgrx(1, 1, vec![1, 2, 3, 0]).unwrap();
        assert_eq!(f.data(), &[1, 2, 3, 0xFF]);
    }

    #[test]
    fn a_buffer_of_the_wrong_size_is_refused() {
        let err = Frame::from_rgba(2, 2, vec![0; 15]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a 2x2 frame needs 16 bytes, the buffer has 15"
        );
    }

    #[test]
    fn filled_frames_are_bgrx() {
        let f = Frame::filled(2, 1, 0x102030);
        assert_eq!(f.data(), &[0x30, 0x20, 0x10, 0xFF, 0x30, 0x20, 0x10, 0xFF]);
    }
}
