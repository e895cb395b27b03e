//! `careerbot eval` (`shared/spec/eval.md`) and `careerbot check`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use engine::{Input, UserKey};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::Failed;
use crate::chat::in_memory;
use adapter::now;

use crate::setup::Config;

/// One question of a question set.
#[derive(Debug, Deserialize)]
struct Question {
    id: String,
    #[serde(default)]
    topic: String,
    kind: Kind,
    text: String,
    #[serde(default)]
    expect: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    InScope,
    Typo,
    OutOfScope,
}

/// The outcome of one question.
#[derive(Debug, Serialize)]
struct Outcome {
    id: String,
    kind: Kind,
    topic: String,
    text: String,
    passed: bool,
    /// What was wrong, when it failed.
    missing: Vec<String>,
    reply: String,
    answered_by: Option<String>,
    fallback: bool,
    micros: u64,
}

/// Pass counts for one group.
#[derive(Debug, Default, Serialize)]
struct Tally {
    passed: usize,
    total: usize,
    accuracy: f64,
}

#[derive(Debug, Serialize)]
struct Summary {
    passed: usize,
    failed: usize,
    accuracy: f64,
    by_kind: BTreeMap<String, Tally>,
    by_topic: BTreeMap<String, Tally>,
    median_micros: u64,
    p99_micros: u64,
    failures: Vec<Outcome>,
}

fn read_questions(file: &Path) -> anyhow::Result<Vec<(Question, Vec<Regex>)>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut questions = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", file.display(), n + 1);
        let question: Question = serde_json::from_str(line).with_context(at)?;
        let patterns = question
            .expect
            .iter()
            .map(|p| Regex::new(p).with_context(|| format!("{}: invalid pattern {p:?}", at())))
            .collect::<anyhow::Result<Vec<_>>>()?;
        questions.push((question, patterns));
    }
    Ok(questions)
}

/// Scores a question set; fails (exit 1) when accuracy is below `min_accuracy`.
pub fn run(
    config: &Config,
    file: &Path,
    json: bool,
    min_accuracy: Option<f64>,
) -> anyhow::Result<()> {
    let questions = read_questions(file)?;
    let conversations = in_memory(config)?;
    let mut outcomes = Vec::with_capacity(questions.len());
    for (question, patterns) in questions {
        let key = UserKey::new("eval", &question.id);
        let reply = conversations.handle(&key, &Input::text(&question.text), now())?;
        let text = render::render(&reply.text, render::Channel::Cli).join("\n\n");
        let mut missing: Vec<String> = patterns
            .iter()
            .filter(|p| !p.is_match(&text))
            .map(|p| format!("/{}/", p.as_str()))
            .collect();
        let want_fallback = question.kind == Kind::OutOfScope;
        if reply.fallback != want_fallback {
            missing.insert(
                0,
                if want_fallback {
                    "a fallback".into()
                } else {
                    "an answer (got a fallback)".into()
                },
            );
        }
        outcomes.push(Outcome {
            id: question.id,
            kind: question.kind,
            topic: question.topic,
            text: question.text,
            passed: missing.is_empty(),
            missing,
            reply: text,
            answered_by: reply.topic,
            fallback: reply.fallback,
            micros: reply.micros,
        });
    }
    let summary = summarise(outcomes);
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
    } else {
        print_summary(&mut out, &summary)?;
    }
    match min_accuracy {
        Some(min) if summary.accuracy < min => Err(Failed.into()),
        _ => Ok(()),
    }
}

fn summarise(outcomes: Vec<Outcome>) -> Summary {
    let mut by_kind: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_topic: BTreeMap<String, Tally> = BTreeMap::new();
    for outcome in &outcomes {
        let kind = serde_json::to_value(outcome.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned));
        for (map, key) in [
            (&mut by_kind, kind.unwrap_or_default()),
            (&mut by_topic, outcome.topic.clone()),
        ] {
            let tally = map.entry(key).or_default();
            tally.total += 1;
            tally.passed += usize::from(outcome.passed);
        }
    }
    for tally in by_kind.values_mut().chain(by_topic.values_mut()) {
        tally.accuracy = share(tally.passed, tally.total);
    }
    let mut micros: Vec<u64> = outcomes.iter().map(|o| o.micros).collect();
    micros.sort_unstable();
    let passed = outcomes.iter().filter(|o| o.passed).count();
    Summary {
        passed,
        failed: outcomes.len() - passed,
        accuracy: share(passed, outcomes.len()),
        by_kind,
        by_topic,
        median_micros: percentile(&micros, 0.5),
        p99_micros: percentile(&micros, 0.99),
        failures: outcomes.into_iter().filter(|o| !o.passed).collect(),
    }
}

fn share(passed: usize, total: usize) -> f64 {
    if total == 0 {
        1.0
    } else {
        passed as f64 / total as f64
    }
}

/// The value at quantile `q` of sorted values (nearest rank).
pub(crate) fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn print_summary(out: &mut impl std::io::Write, summary: &Summary) -> anyhow::Result<()> {
    for f in &summary.failures {
        writeln!(out, "FAIL {} ({:?}) {:?}", f.id, f.kind, f.text)?;
        writeln!(out, "  missing: {}", f.missing.join(", "))?;
        let reply: String = f
            .reply
            .chars()
            .take(240)
            .collect::<String>()
            .replace('\n', " ");
        let by = f.answered_by.as_deref().unwrap_or("-");
        writeln!(out, "  reply ({by}, fallback {}): {reply}", f.fallback)?;
    }
    writeln!(
        out,
        "\n{:<14} {:>6} {:>6} {:>9}",
        "kind/topic", "passed", "total", "accuracy"
    )?;
    for table in [&summary.by_kind, &summary.by_topic] {
        for (name, tally) in table {
            let percent = tally.accuracy * 100.0;
            writeln!(
                out,
                "{name:<14} {:>6} {:>6} {percent:>8.1}%",
                tally.passed, tally.total
            )?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "engine time per turn: median {} µs, p99 {} µs",
        summary.median_micros, summary.p99_micros
    )?;
    writeln!(out, "{} passed, {} failed", summary.passed, summary.failed)?;
    Ok(())
}

/// `careerbot check`: the content loads, and every entry's check questions reach it.
pub fn check(config: &Config) -> anyhow::Result<()> {
    let engine = config.engine()?;
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    let mut total = 0;
    for entry in &engine.knowledge().entries {
        for question in &entry.check {
            total += 1;
            let (reply, _) = engine.turn(&engine::UserState::default(), &Input::text(question));
            if reply.topic.as_deref() != Some(entry.id.as_str()) {
                failed += 1;
                let got = reply.topic.as_deref().unwrap_or("a fallback");
                writeln!(out, "{}: {question:?} reached {got}", entry.file)?;
            }
        }
    }
    writeln!(
        out,
        "{} entries, {} roles, {} intents",
        engine.knowledge().entries.len(),
        engine.knowledge().roles.len(),
        engine.intents().len()
    )?;
    writeln!(out, "{} passed, {failed} failed", total - failed)?;
    if failed > 0 {
        Err(Failed.into())
    } else {
        Ok(())
    }
}

/// `careerbot explain`: how the engine understands one message.
pub fn explain(config: &Config, text: &str) -> anyhow::Result<()> {
    let engine = config.engine()?;
    let explanation = engine.explain(text);
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &explanation)?;
    writeln!(out)?;
    Ok(())
}
