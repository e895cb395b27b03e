//! `careerbot test`: runs transcript files and reports each (`shared/spec/transcripts.md`).

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;

use crate::Failed;
use crate::setup::Config;

/// Where transcripts are looked for when no path is given.
const DEFAULT_PATH: &str = "tests/transcripts";

/// Parses every transcript first (a parse error stops the run, exit 2), then plays each and
/// prints a line per transcript, the failures, and `N passed, N failed`.
pub fn run(config: &Config, paths: &[PathBuf]) -> anyhow::Result<()> {
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
    for transcript in &parsed {
        let failures = runner.run(transcript)?;
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
    writeln!(out, "{passed} passed, {failed} failed")?;
    out.flush()?;
    if failed > 0 {
        return Err(Failed.into());
    }
    Ok(())
}
