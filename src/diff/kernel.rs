//! Picks a kernel for the processor and the pair of layouts, and drives it
//! over the compared area row by row.

#![forbid(unsafe_code)]

use std::ops::{ControlFlow, Range};

use super::Kernel;
use super::area::Area;
use super::metric::{Bgrx, BgrxLayout, Rgba, RgbaLayout};
use super::scalar;
use super::simd;
use super::sink::Sink;
use crate::frame::PixelLayout;

/// The numbers every kernel needs, derived from the options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params {
    pub width: usize,
    pub height: usize,
    /// Squared colour delta above which a pixel differs.
    pub max_delta: f64,
    pub include_aa: bool,
    pub checkerboard: bool,
}

/// The two images' pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pair<'a> {
    pub a: &'a [u8],
    pub b: &'a [u8],
    pub la: PixelLayout,
    pub lb: PixelLayout,
}

/// A kernel ready to run: the processor supports it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Engine {
    Scalar,
    Simd(simd::Vector),
}

impl Engine {
    /// The kernel asked for, if this processor has it. `Auto` picks the
    /// widest one. Pairs of different layouts always take the scalar
    /// kernel, which reads both layouts directly.
    pub fn select(kernel: Kernel, pair: &Pair<'_>) -> Option<Engine> {
        let engine = match kernel {
            Kernel::Scalar => Engine::Scalar,
            Kernel::Auto => simd::Vector::best().map_or(Engine::Scalar, Engine::Simd),
            Kernel::Avx2 => Engine::Simd(simd::Vector::avx2()?),
            Kernel::Avx512 => Engine::Simd(simd::Vector::avx512()?),
        };
        if pair.la != pair.lb {
            return Some(Engine::Scalar);
        }
        Some(engine)
    }
}

/// Runs `engine` over the rows `rows` of `area`, reporting to `sink`.
/// Breaks as soon as the sink does.
pub(crate) fn drive(
    engine: Engine,
    pair: &Pair<'_>,
    p: &Params,
    area: &Area,
    rows: Range<usize>,
    sink: &mut dyn Sink,
) -> ControlFlow<()> {
    let mut remaining = area.compared_in(&rows);
    sink.row_done(remaining)?;
    let mut scratch = simd::Scratch::default();
    for band in area.bands() {
        let band_rows = band.rows.start.max(rows.start)..band.rows.end.min(rows.end);
        let per_row: u64 = band.spans.iter().map(|s| s.len() as u64).sum();
        for y in band_rows {
            let spans = &band.spans[..];
            match (engine, pair.la, pair.lb) {
                (Engine::Simd(v), PixelLayout::Bgrx, PixelLayout::Bgrx) => {
                    v.row::<BgrxLayout>(pair, p, y, spans, &mut scratch, sink)?
                }
                (Engine::Simd(v), PixelLayout::Rgba, PixelLayout::Rgba) => {
                    v.row::<RgbaLayout>(pair, p, y, spans, &mut scratch, sink)?
                }
                (_, PixelLayout::Bgrx, PixelLayout::Bgrx) => {
                    scalar::row(Bgrx(pair.a), Bgrx(pair.b), p, y, spans, sink)?
                }
                (_, PixelLayout::Rgba, PixelLayout::Rgba) => {
                    scalar::row(Rgba(pair.a), Rgba(pair.b), p, y, spans, sink)?
                }
                (_, PixelLayout::Bgrx, PixelLayout::Rgba) => {
                    scalar::row(Bgrx(pair.a), Rgba(pair.b), p, y, spans, sink)?
                }
                (_, PixelLayout::Rgba, PixelLayout::Bgrx) => {
                    scalar::row(Rgba(pair.a), Bgrx(pair.b), p, y, spans, sink)?
                }
            }
            remaining -= per_row;
            sink.row_done(remaining)?;
        }
    }
    ControlFlow::Continue(())
}
