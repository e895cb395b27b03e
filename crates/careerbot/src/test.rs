//! `careerbot test`: runs transcript files and reports each (`shared/spec/transcripts.md`).

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;

use crate::Failed;
use crate::setup::Config;

/// Where transcripts are looked for when no path is given.
const DEFAULT_PATH: &str = "tests/transcripts";

/// Parses every transcript first (a parse error stops the run, exit 2), then plays each and
/// prints a line per transcript, the failures, the share of expectations that held, and
/// `N passed, N failed`. Fails (exit 1) when a transcript fails, or, with `min_checks`, when
/// fewer than that share of the expectations held.
pub fn run(config: &Config, paths: &[PathBuf], min_checks: Option<f64>) -> anyhow::Result<()> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(DEFAULT_PATH)]
    } else {
        paths.to_vec()
    };
    let mut parsed = Vec::new();
    for file in transcripts::files(&paths)? {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {name}"))?;
        parsed.push(transcripts::parse(&name, &text)?);
    }
    let runner = transcripts::Runner::new(config.engine()?);
    let mut out = std::io::stdout().lock();
    let (mut passed, mut failed) = (0, 0);
    let (mut checks, mut checks_failed) = (0, 0);
    for transcript in &parsed {
        let failures = runner.run(transcript)?;
        checks += transcript.checks();
        checks_failed += failures.len();
        let status = if failures.is_empty() { "ok  " } else { "FAIL" };
        writeln!(out, "{status} {} ({})", transcript.path, transcript.title)?;
        for failure in &failures {
            writeln!(out, "  {failure}")?;
        }
        if failures.is_empty() {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    let held = checks.saturating_sub(checks_failed);
    let share = if checks == 0 {
        1.0
    } else {
        held as f64 / checks as f64
    };
    writeln!(
        out,
        "expectations: {held} of {checks} held ({:.1}%)",
        share * 100.0
    )?;
    writeln!(out, "{passed} passed, {failed} failed")?;
    out.flush()?;
    let enough = match min_checks {
        Some(min) => share >= min,
        None => failed == 0,
    };
    if enough { Ok(()) } else { Err(Failed.into()) }
}
