//! The one pixel format captures accept: depth 24 at 32 bits per pixel,
//! least significant byte first, TrueColor with masks ff0000/00ff00/0000ff.
//! In memory that is blue, green, red, spare: [`PixelLayout::Bgrx`].
//!
//! Anything else (depth 16, a big-endian server, 30-bit colour) would give
//! wrong colours if read as BGRX, so it is refused with a description of
//! what the server has.
//!
//! [`PixelLayout::Bgrx`]: crate::frame::PixelLayout::Bgrx

#![forbid(unsafe_code)]

use x11rb::protocol::xproto::{ImageOrder, Screen, Setup, VisualClass};

/// What a screen's root window stores its pixels as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PixelFormat {
    pub depth: u8,
    /// `None` when the server lists no pixmap format for the depth.
    pub bits_per_pixel: Option<u8>,
    pub lsb_first: bool,
    /// `None` when the root visual is missing from the visual list.
    pub visual: Option<(VisualClass, [u32; 3])>,
}

impl PixelFormat {
    /// The format of `screen`'s root window, read from the connection setup.
    pub(crate) fn of_root(setup: &Setup, screen: &Screen) -> PixelFormat {
        let depth = screen.root_depth;
        let bits_per_pixel = setup
            .pixmap_formats
            .iter()
            .find(|f| f.depth == depth)
            .map(|f| f.bits_per_pixel);
        let visual = screen
            .allowed_depths
            .iter()
            .filter(|d| d.depth == depth)
            .flat_map(|d| &d.visuals)
            .find(|v| v.visual_id == screen.root_visual)
            .map(|v| (v.class, [v.red_mask, v.green_mask, v.blue_mask]));
        PixelFormat {
            depth,
            bits_per_pixel,
            lsb_first: setup.image_byte_order == ImageOrder::LSB_FIRST,
            visual,
        }
    }

    /// Whether captures in this format can be read as BGRX.
    pub(crate) fn is_bgrx(&self) -> bool {
        self.depth == 24
            && self.bits_per_pixel == Some(32)
            && self.lsb_first
            && self.visual == Some((VisualClass::TRUE_COLOR, [0xff0000, 0x00ff00, 0x0000ff]))
    }
}

impl std::fmt::Display for PixelFormat {
    /// `depth 16 at 16 bits per pixel, LSB first, TrueColor visual with
    /// masks f800/07e0/001f`: what the error message shows.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "depth {}", self.depth)?;
        match self.bits_per_pixel {
            Some(bpp) => write!(f, " at {bpp} bits per pixel")?,
            None => f.write_str(" with no pixmap format")?,
        }
        f.write_str(if self.lsb_first {
            ", LSB first"
        } else {
            ", MSB first"
        })?;
        match self.visual {
            Some((class, [r, g, b])) => {
                let class = match class {
                    VisualClass::STATIC_GRAY => "StaticGray",
                    VisualClass::GRAY_SCALE => "GrayScale",
                    VisualClass::STATIC_COLOR => "StaticColor",
                    VisualClass::PSEUDO_COLOR => "PseudoColor",
                    VisualClass::TRUE_COLOR => "TrueColor",
                    VisualClass::DIRECT_COLOR => "DirectColor",
                    _ => "unknown",
                };
                write!(f, ", {class} visual with masks {r:06x}/{g:06x}/{b:06x}")
            }
            None => f.write_str(", root visual not listed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(depth: u8, bpp: u8, lsb_first: bool, masks: [u32; 3]) -> PixelFormat {
        PixelFormat {
            depth,
            bits_per_pixel: Some(bpp),
            lsb_first,
            visual: Some((VisualClass::TRUE_COLOR, masks)),
        }
    }

    const RGB: [u32; 3] = [0xff0000, 0x00ff00, 0x0000ff];

    #[test]
    fn depth_24_lsb_first_truecolor_is_bgrx() {
        assert!(format(24, 32, true, RGB).is_bgrx());
    }

    #[test]
    fn other_formats_are_refused() {
        assert!(!format(24, 24, true, RGB).is_bgrx(), "packed 24-bit");
        assert!(!format(24, 32, false, RGB).is_bgrx(), "MSB first");
        assert!(!format(24, 32, true, [0xff, 0xff00, 0xff0000]).is_bgrx());
        assert!(!format(16, 16, true, [0xf800, 0x07e0, 0x001f]).is_bgrx());
        assert!(!format(30, 32, true, [0x3ff00000, 0xffc00, 0x3ff]).is_bgrx());
        let direct = PixelFormat {
            visual: Some((VisualClass::DIRECT_COLOR, RGB)),
            ..format(24, 32, true, RGB)
        };
        assert!(!direct.is_bgrx(), "DirectColor goes through a colormap");
    }

    #[test]
    fn a_refused_format_describes_itself() {
        let f = format(16, 16, true, [0xf800, 0x07e0, 0x001f]);
        assert_eq!(
            f.to_string(),
            "depth 16 at 16 bits per pixel, LSB first, TrueColor visual with masks \
             00f800/0007e0/00001f"
        );
    }
}
