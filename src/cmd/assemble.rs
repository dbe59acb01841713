//! `trajectory assemble SPEC.json -o OUT.traj`: builds a trajectory from a
//! JSON document and PNG screens, for programs that make trajectories of
//! their own. The document mirrors `show --json` (spec §10.2).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::Outcome;
use super::describe;
use super::show::progress_bar;
use trajectory::Frame;
use trajectory::format::Writer;
use trajectory::model::{Action, CheckpointOverride, Header, ScreenGeometry, Step};

const EXAMPLES: &str = "\
Examples:
  Build a file from a step list and its screenshots:
    trajectory assemble steps.json -o login.traj

  A minimal steps.json (PNG paths are relative to the JSON file):
    {
      \"header\": { \"title\": \"open the menu\" },
      \"steps\": [
        { \"at_us\": 0, \"action\": { \"kind\": \"click\", \"button\": 1, \"count\": 1,
          \"x\": 40, \"y\": 12 }, \"frame\": \"shots/0.png\" }
      ]
    }";

/// Assemble a trajectory file from a JSON step list and PNG screens.
///
/// The JSON document has a `header` (the fields of `show --json`'s header;
/// `tool_version`, `created_unix_us` and `screen` may be left out) and
/// `steps`, each with `at_us`, `action`, optional `checkpoint` overrides and
/// `frame`: the PNG of the screen right before the action, relative to the
/// JSON file. Identical screens are stored once. The schema is in
/// formats/trajectory-v1.md §10.2.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The JSON document describing the trajectory.
    pub spec: PathBuf,

    /// The trajectory file to write (replaced if it exists).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

/// One step of the document: a model step whose frame is a PNG path.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepSpec {
    /// Ignored; `show --json` writes it, so such documents are accepted.
    #[serde(default)]
    #[allow(dead_code)]
    index: Option<usize>,
    at_us: u64,
    action: Action,
    frame: PathBuf,
    #[serde(default)]
    checkpoint: CheckpointOverride,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    #[serde(default)]
    header: Map<String, Value>,
    steps: Vec<StepSpec>,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let spec_path = &args.spec;
    let text = fs::read_to_string(spec_path)
        .with_context(|| format!("cannot read {}", spec_path.display()))?;
    let spec: Spec = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a valid trajectory document", spec_path.display()))?;
    let base = spec_path.parent().unwrap_or(Path::new("."));

    let first = match spec.steps.first() {
        Some(s) => Some(load(base, &s.frame, 0)?),
        None => None,
    };
    let header = header(spec.header, first.as_ref())
        .with_context(|| format!("{}: the header is not valid", spec_path.display()))?;
    let mut w = Writer::create(&args.output, &header)
        .with_context(|| format!("cannot write {}", args.output.display()))?;

    let bar = progress_bar(spec.steps.len() as u64, "assembling");
    let written = write_steps(&mut w, base, spec.steps, first, &bar);
    bar.finish_and_clear();
    if let Err(e) = written {
        // Nothing of a half-assembled file is worth recovering.
        let _ = w.abandon();
        return Err(e);
    }
    let summary = w
        .finish()
        .with_context(|| format!("cannot finish {}", args.output.display()))?;
    println!(
        "wrote {}: {} steps, {} frames stored ({}) for {} screens, {}",
        summary.path.display(),
        summary.steps,
        summary.frames,
        describe::count(summary.keyframes as u64, "keyframe"),
        summary.frames_pushed,
        describe::bytes(summary.bytes)
    );
    Ok(Outcome::Success)
}

/// Pushes each step's screen and the step itself.
fn write_steps(
    w: &mut Writer,
    base: &Path,
    steps: Vec<StepSpec>,
    mut first: Option<Frame>,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<()> {
    for (i, s) in steps.into_iter().enumerate() {
        let frame = match first.take() {
            Some(f) => f,
            None => load(base, &s.frame, i)?,
        };
        let id = w.push_frame(frame.as_ref()).with_context(|| {
            format!(
                "step {i}: cannot store the frame {}",
                base.join(&s.frame).display()
            )
        })?;
        let step = Step {
            at_us: s.at_us,
            action: s.action,
            frame: id,
            checkpoint: s.checkpoint,
        };
        w.push_step(&step)
            .with_context(|| format!("step {i}: cannot write it"))?;
        bar.inc(1);
    }
    Ok(())
}

fn load(base: &Path, png: &Path, step: usize) -> anyhow::Result<Frame> {
    let path = base.join(png);
    Frame::load_png(&path)
        .with_context(|| format!("step {step}: cannot read the frame {}", path.display()))
}

/// The header from the document's fields, with what may be left out filled
/// in: this tool's version, the current time, and the screen of the first
/// PNG at depth 24. Unknown fields are refused.
fn header(mut fields: Map<String, Value>, first: Option<&Frame>) -> anyhow::Result<Header> {
    let now = Header::new(ScreenGeometry {
        width: 1,
        height: 1,
        depth: 24,
    });
    fields
        .entry("tool_version")
        .or_insert_with(|| now.tool_version.clone().into());
    fields
        .entry("created_unix_us")
        .or_insert_with(|| now.created_unix_us.into());
    if !fields.contains_key("screen") {
        let f = first.ok_or_else(|| anyhow!("without steps, the header must give `screen`"))?;
        let screen = ScreenGeometry {
            width: f.width(),
            height: f.height(),
            depth: 24,
        };
        fields.insert("screen".into(), serde_json::to_value(screen)?);
    }
    let mut unknown = Vec::new();
    let header: Header =
        serde_ignored::deserialize(Value::Object(fields), |path| unknown.push(path.to_string()))?;
    if !unknown.is_empty() {
        bail!(
            "unknown field(s) {} (the fields are those of `show --json`'s header, §10.2)",
            unknown.join(", ")
        );
    }
    Ok(header)
}
