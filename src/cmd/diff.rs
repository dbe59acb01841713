//! `trajectory diff`: compares two PNG images the way a checkpoint compares
//! screens, prints what differs, and exits 0 when they match, 1 when they
//! differ.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Serialize;

use super::Outcome;
use trajectory::diff::{self, Comparison, Kernel, Options};
use trajectory::frame::Frame;
use trajectory::model::{Rect, Tolerance};

const EXAMPLES: &str = "\
Examples:
  Compare two screenshots, write the diff image:
    trajectory diff expected.png actual.png -o diff.png

  Ignore a clock in the corner, tolerate 0.1% of the pixels:
    trajectory diff a.png b.png --mask 1800,0,120,30 --tolerance 0.1%

  Only look at a dialog, print JSON for a script:
    trajectory diff a.png b.png --region 600,300,720,480 --json

  Stricter colours, anti-aliased pixels counted too:
    trajectory diff a.png b.png --threshold 0.05 --include-aa

JSON output (--json) is one object with these fields:
  first, second      the two files
  width, height      image size in pixels
  metric             \"pixelmatch\" or \"ssim\"
  compared           pixels judged (region minus masks)
  differing          differing pixels (pixelmatch's count)
  anti_aliased       pixels over the threshold ignored as anti-aliasing
  ratio              differing / compared
  max_differing      differing pixels the tolerance allows
  match              whether differing <= max_differing
  boxes              changed areas: [{x, y, width, height}, ...]
  diff_image         the written diff image, or null
  ssim, min_ssim     with --metric ssim only: the score and the bound
With --metric ssim, the pixelmatch fields are null and match is
ssim >= min_ssim.

Exit codes: 0 the images match, 1 they differ, 2 an error (a file that
cannot be read or written, images of different sizes, a bad option).";

/// Compare two PNG images as a checkpoint does (pixelmatch's metric).
///
/// Counts the pixels whose colours differ by more than the threshold,
/// leaving out anti-aliasing, inside the region and outside the masks.
/// The images match when no more pixels differ than the tolerance allows.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The expected image (PNG).
    pub first: PathBuf,
    /// The actual image (PNG), of the same size.
    pub second: PathBuf,
    /// Colour threshold from 0 to 1; smaller is stricter.
    #[arg(long, default_value_t = 0.1, value_name = "T")]
    pub threshold: f64,
    /// Count anti-aliased pixels as differences instead of ignoring them.
    #[arg(long)]
    pub include_aa: bool,
    /// Compare only this rectangle: x,y,width,height.
    #[arg(long, value_name = "X,Y,W,H")]
    pub region: Option<Rect>,
    /// Ignore this rectangle: x,y,width,height. Repeatable.
    #[arg(long = "mask", value_name = "X,Y,W,H")]
    pub masks: Vec<Rect>,
    /// Differing pixels allowed: a count (12) or a percentage (0.5%).
    #[arg(long, default_value = "0", value_name = "N|P%")]
    pub tolerance: Tolerance,
    /// Write the diff image (PNG) here.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// The measure: pixelmatch's counts, or an SSIM score (slower, no
    /// counts or boxes).
    #[arg(long, value_enum, default_value_t = Metric::Pixelmatch)]
    pub metric: Metric,
    /// With --metric ssim: the lowest score that still matches.
    #[arg(long, default_value_t = 0.99, value_name = "S")]
    pub min_ssim: f64,
    /// Opacity of the first image under the diff image, 0 to 1.
    #[arg(long, default_value_t = 0.1, value_name = "A")]
    pub alpha: f64,
    /// Colour of anti-aliased pixels in the diff image.
    #[arg(long, default_value = "255,255,0", value_name = "R,G,B", value_parser = parse_color)]
    pub aa_color: [u8; 3],
    /// Colour of differing pixels in the diff image.
    #[arg(long, default_value = "255,0,0", value_name = "R,G,B", value_parser = parse_color)]
    pub diff_color: [u8; 3],
    /// Colour of differing pixels where the second image is darker
    /// (default: the diff colour).
    #[arg(long, value_name = "R,G,B", value_parser = parse_color)]
    pub diff_color_alt: Option<[u8; 3]>,
    /// Draw only the differences, over a transparent background.
    #[arg(long)]
    pub diff_mask: bool,
    /// Blend translucent pixels over white instead of a checkerboard.
    #[arg(long)]
    pub no_checkerboard: bool,
    /// Threads for the comparison (default: up to 2, as the machine has).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Kernel to run: auto, scalar, avx2 or avx512 (all give the same
    /// result; for testing).
    #[arg(long, default_value = "auto", value_parser = parse_kernel, hide_default_value = true)]
    pub kernel: Kernel,
}

/// What `--metric` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// pixelmatch's counts of differing pixels.
    Pixelmatch,
    /// Mean structural similarity of the luma.
    Ssim,
}

/// `R,G,B` or `#RRGGBB`.
fn parse_color(s: &str) -> Result<[u8; 3], String> {
    let bad = || format!("{s:?} is not a colour; expected R,G,B (0-255 each) or #RRGGBB");
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() != 6 || !hex.is_ascii() {
            return Err(bad());
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
        return Ok([byte(0)?, byte(2)?, byte(4)?]);
    }
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [r, g, b] = parts[..] else {
        return Err(bad());
    };
    let c = |v: &str| v.parse::<u8>().map_err(|_| bad());
    Ok([c(r)?, c(g)?, c(b)?])
}

fn parse_kernel(s: &str) -> Result<Kernel, String> {
    [Kernel::Auto, Kernel::Scalar, Kernel::Avx2, Kernel::Avx512]
        .into_iter()
        .find(|k| k.name() == s)
        .ok_or_else(|| format!("{s:?} is not a kernel; expected auto, scalar, avx2 or avx512"))
}

/// The JSON document `--json` prints; field names are documented in
/// `--help` and stay stable.
#[derive(Debug, Serialize)]
struct Report<'a> {
    first: &'a Path,
    second: &'a Path,
    width: u32,
    height: u32,
    metric: Metric,
    compared: Option<u64>,
    differing: Option<u64>,
    anti_aliased: Option<u64>,
    ratio: Option<f64>,
    max_differing: Option<u64>,
    #[serde(rename = "match")]
    matches: bool,
    boxes: Option<&'a [Rect]>,
    diff_image: Option<&'a Path>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ssim: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_ssim: Option<f64>,
}

/// Compares the two images; `Mismatch` when they differ beyond the
/// tolerance (or below `--min-ssim`).
pub fn run(args: Args) -> anyhow::Result<Outcome> {
    if args.kernel != Kernel::Auto && !args.kernel.is_available() {
        bail!(
            "--kernel {}: this processor does not run it; leave --kernel out",
            args.kernel
        );
    }
    let (a, b) = load_both(&args.first, &args.second)?;
    if (a.width(), a.height()) != (b.width(), b.height()) {
        bail!(
            "{} is {}x{} but {} is {}x{}; only images of the same size can be compared",
            args.first.display(),
            a.width(),
            a.height(),
            args.second.display(),
            b.width(),
            b.height()
        );
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(2)));
    let options = Options {
        threshold: args.threshold,
        include_aa: args.include_aa,
        alpha: args.alpha,
        aa_color: args.aa_color,
        diff_color: args.diff_color,
        diff_color_alt: args.diff_color_alt,
        diff_mask: args.diff_mask,
        checkerboard: !args.no_checkerboard,
        region: args.region,
        masks: args.masks.clone(),
        threads,
        kernel: args.kernel,
    };

    if args.metric == Metric::Ssim {
        return run_ssim(&args, &a, &b, &options);
    }

    let comparison = match &args.output {
        None => diff::compare(a.as_ref(), b.as_ref(), &options).context("cannot compare")?,
        Some(path) => {
            let (c, image) = diff::compare_with_image(a.as_ref(), b.as_ref(), &options)
                .context("cannot compare")?;
            image
                .save_png(path)
                .with_context(|| format!("cannot write the diff image {}", path.display()))?;
            c
        }
    };
    let max = args.tolerance.max_pixels(comparison.compared);
    let matches = comparison.differing <= max;

    let mut out = std::io::stdout().lock();
    if args.json {
        let report = Report {
            first: &args.first,
            second: &args.second,
            width: comparison.width,
            height: comparison.height,
            metric: Metric::Pixelmatch,
            compared: Some(comparison.compared),
            differing: Some(comparison.differing),
            anti_aliased: Some(comparison.anti_aliased),
            ratio: Some(comparison.ratio()),
            max_differing: Some(max),
            matches,
            boxes: Some(&comparison.boxes),
            diff_image: args.output.as_deref(),
            ssim: None,
            min_ssim: None,
        };
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_text(&mut out, &args, &comparison, max, matches)?;
    }
    Ok(if matches {
        Outcome::Success
    } else {
        Outcome::Mismatch
    })
}

fn print_text(
    out: &mut impl Write,
    args: &Args,
    c: &Comparison,
    max: u64,
    matches: bool,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "{} of {} pixels differ ({:.4}%), {} anti-aliased pixels ignored",
        c.differing,
        c.compared,
        c.ratio() * 100.0,
        c.anti_aliased
    )?;
    let verdict = if matches { "match" } else { "differ" };
    writeln!(
        out,
        "the images {verdict} (tolerance {}: {max} pixels)",
        args.tolerance
    )?;
    if !c.boxes.is_empty() {
        let plural = if c.boxes.len() == 1 { "" } else { "s" };
        writeln!(out, "{} changed area{plural} (x,y,w,h):", c.boxes.len())?;
        for b in &c.boxes {
            writeln!(out, "  {b}")?;
        }
    }
    if let Some(path) = &args.output {
        writeln!(out, "diff image: {}", path.display())?;
    }
    Ok(())
}

fn run_ssim(args: &Args, a: &Frame, b: &Frame, options: &Options) -> anyhow::Result<Outcome> {
    if let Some(path) = &args.output {
        bail!(
            "--metric ssim draws no diff image; leave out -o {} or use --metric pixelmatch",
            path.display()
        );
    }
    if !(0.0..=1.0).contains(&args.min_ssim) {
        bail!(
            "--min-ssim is {}, it should be a number from 0 to 1",
            args.min_ssim
        );
    }
    let score = diff::ssim(a.as_ref(), b.as_ref(), options).context("cannot compare")?;
    let matches = score >= args.min_ssim;
    let mut out = std::io::stdout().lock();
    if args.json {
        let report = Report {
            first: &args.first,
            second: &args.second,
            width: a.width(),
            height: a.height(),
            metric: Metric::Ssim,
            compared: None,
            differing: None,
            anti_aliased: None,
            ratio: None,
            max_differing: None,
            matches,
            boxes: None,
            diff_image: None,
            ssim: Some(score),
            min_ssim: Some(args.min_ssim),
        };
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        let verdict = if matches { "match" } else { "differ" };
        writeln!(
            out,
            "SSIM {score:.6}: the images {verdict} (at least {} needed)",
            args.min_ssim
        )?;
    }
    Ok(if matches {
        Outcome::Success
    } else {
        Outcome::Mismatch
    })
}

/// Decodes both images, side by side on two threads.
fn load_both(first: &Path, second: &Path) -> anyhow::Result<(Frame, Frame)> {
    let load = |path: &Path| {
        Frame::load_png(path).with_context(|| format!("cannot read {}", path.display()))
    };
    std::thread::scope(|s| {
        let other = s.spawn(|| load(second));
        let a = load(first)?;
        let b = other
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))?;
        Ok((a, b))
    })
}
