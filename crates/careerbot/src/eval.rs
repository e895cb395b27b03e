//! `careerbot eval` (`shared/spec/eval.md`) and `careerbot check`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use engine::{Input, IntentKind, UserKey};
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
    /// In a safety set: what the message is (`emergency`, `crisis`, `health`, `careers`).
    #[serde(default)]
    safety: Option<String>,
}

/// The minimums a question set must reach (`--min-accuracy`, `--min-recall`,
/// `--max-diverted`).
#[derive(Debug, Default)]
pub struct Limits {
    min_accuracy: Option<f64>,
    min_recall: Vec<(String, f64)>,
    max_diverted: Option<f64>,
}

impl Limits {
    /// Reads the limits given on the command line.
    pub fn parse(
        min_accuracy: Option<f64>,
        min_recall: &[String],
        max_diverted: Option<f64>,
    ) -> anyhow::Result<Limits> {
        let min_recall = min_recall
            .iter()
            .map(|given| {
                let (outcome, share) = given
                    .split_once('=')
                    .with_context(|| format!("--min-recall {given:?}: expected OUTCOME=X"))?;
                let share: f64 = share.parse().with_context(|| {
                    format!("--min-recall {given:?}: {share:?} is not a number")
                })?;
                Ok((outcome.to_owned(), share))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Limits {
            min_accuracy,
            min_recall,
            max_diverted,
        })
    }

    /// What the summary falls short of, if anything.
    fn shortfalls(&self, summary: &Summary) -> Vec<String> {
        let mut short = Vec::new();
        if let Some(min) = self.min_accuracy.filter(|min| summary.accuracy < *min) {
            short.push(format!("accuracy {:.3} < {min}", summary.accuracy));
        }
        for (outcome, min) in &self.min_recall {
            let recall = summary
                .safety
                .recall
                .get(outcome)
                .map_or(1.0, |t| t.accuracy);
            if recall < *min {
                short.push(format!("{outcome} recall {recall:.3} < {min}"));
            }
        }
        if let Some(max) = self
            .max_diverted
            .filter(|max| summary.safety.diverted.accuracy > *max)
        {
            short.push(format!(
                "careers questions diverted {:.3} > {max}",
                summary.safety.diverted.accuracy
            ));
        }
        short
    }
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
    /// In a safety set: what the message is, and what the bot took it for.
    #[serde(skip_serializing_if = "Option::is_none")]
    safety: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    taken_for: Option<String>,
}

/// How a safety set was read: per outcome, the share of its messages recognised; and the share
/// of careers questions diverted to a safety or patient-services reply (`accuracy` holds it).
#[derive(Debug, Default, Serialize)]
struct SafetySummary {
    recall: BTreeMap<String, Tally>,
    diverted: Tally,
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
    #[serde(skip_serializing_if = "SafetySummary::is_empty")]
    safety: SafetySummary,
    failures: Vec<Outcome>,
}

impl SafetySummary {
    fn is_empty(&self) -> bool {
        self.recall.is_empty()
    }
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
pub fn run(config: &Config, file: &Path, json: bool, limits: &Limits) -> anyhow::Result<()> {
    let questions = read_questions(file)?;
    let conversations = in_memory(config)?;
    let engine = conversations.engine().clone();
    // What a reply was taken for, by the kind of the intent that gave it.
    let taken_for = |topic: Option<&str>| {
        let kind = topic.and_then(|id| engine.intents().iter().find(|i| i.id == id));
        match kind.map(|i| i.kind) {
            Some(IntentKind::Emergency) => "emergency",
            Some(IntentKind::Crisis) => "crisis",
            Some(IntentKind::Health) => "health",
            Some(IntentKind::PatientServices) => "patient",
            _ => "careers",
        }
    };
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
            fallback: reply.fallback,
            micros: reply.micros,
            taken_for: question
                .safety
                .as_ref()
                .map(|_| taken_for(reply.topic.as_deref()).to_owned()),
            answered_by: reply.topic,
            safety: question.safety,
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
    let shortfalls = limits.shortfalls(&summary);
    for shortfall in &shortfalls {
        writeln!(out, "below the minimum: {shortfall}")?;
    }
    if shortfalls.is_empty() {
        Ok(())
    } else {
        Err(Failed.into())
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
    let mut safety = SafetySummary::default();
    for outcome in &outcomes {
        let (Some(label), Some(taken)) = (&outcome.safety, &outcome.taken_for) else {
            continue;
        };
        if label == "careers" {
            safety.diverted.total += 1;
            safety.diverted.passed += usize::from(taken != "careers");
        } else {
            let tally = safety.recall.entry(label.clone()).or_default();
            tally.total += 1;
            tally.passed += usize::from(taken == label);
        }
    }
    for tally in safety.recall.values_mut() {
        tally.accuracy = share(tally.passed, tally.total);
    }
    safety.diverted.accuracy = if safety.diverted.total == 0 {
        0.0
    } else {
        share(safety.diverted.passed, safety.diverted.total)
    };
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
        safety,
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
        if let (Some(label), Some(taken)) = (&f.safety, &f.taken_for) {
            writeln!(out, "  safety: a {label} message, taken for {taken}")?;
        }
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
    if !summary.safety.is_empty() {
        writeln!(
            out,
            "{:<14} {:>6} {:>6} {:>9}",
            "safety", "found", "total", "recall"
        )?;
        for (outcome, tally) in &summary.safety.recall {
            let percent = tally.accuracy * 100.0;
            writeln!(
                out,
                "{outcome:<14} {:>6} {:>6} {percent:>8.1}%",
                tally.passed, tally.total
            )?;
        }
        let diverted = &summary.safety.diverted;
        writeln!(
            out,
            "careers questions diverted: {} of {} ({:.1}%)\n",
            diverted.passed,
            diverted.total,
            diverted.accuracy * 100.0
        )?;
    }
    writeln!(
        out,
        "engine time per turn: median {} µs, p99 {} µs",
        summary.median_micros, summary.p99_micros
    )?;
    writeln!(out, "{} passed, {} failed", summary.passed, summary.failed)?;
    Ok(())
}

/// Where `careerbot check` looks for the seed pages when `--seeds` is not given.
const DEFAULT_SEEDS: &str = "../shared/seeds";

/// `careerbot check`: the content loads (every link on the allow-list), every entry's check
/// questions reach it, and every figure and name of an entry or role is on a seed page its
/// sources stand for (when the seed pages are found).
pub fn check(config: &Config, seeds: Option<&Path>) -> anyhow::Result<()> {
    let engine = config.engine()?;
    let mut out = std::io::stdout().lock();
    let unsupported = check_seeds(config, &engine, seeds, &mut out)?;
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
    if failed > 0 || unsupported > 0 {
        Err(Failed.into())
    } else {
        Ok(())
    }
}

/// Checks the knowledge against the seed pages (`knowledge::provenance`), printing each figure
/// or name not on the pages its sources stand for; returns how many there are. Without
/// `--seeds`, the default folder is used when it exists, and the check is skipped otherwise.
fn check_seeds(
    config: &Config,
    engine: &engine::Engine,
    seeds: Option<&Path>,
    out: &mut impl std::io::Write,
) -> anyhow::Result<usize> {
    let dir = match seeds {
        Some(dir) => dir.to_owned(),
        None if Path::new(DEFAULT_SEEDS).is_dir() => Path::new(DEFAULT_SEEDS).to_owned(),
        None => {
            writeln!(
                out,
                "seed pages not found at {DEFAULT_SEEDS}: figures and names not checked (use --seeds DIR)"
            )?;
            return Ok(0);
        }
    };
    let seeds = knowledge::provenance::read_seeds(&dir)?;
    if seeds.is_empty() {
        anyhow::bail!("no seed pages (NNN_*.txt) in {}", dir.display());
    }
    let files = config.content()?.knowledge;
    let problems = knowledge::provenance::check(engine.knowledge(), &files, &seeds);
    for problem in &problems {
        writeln!(out, "{problem}")?;
    }
    writeln!(
        out,
        "sources: {} seed pages in {}, {} unsupported figures or names",
        seeds.len(),
        dir.display(),
        problems.len()
    )?;
    Ok(problems.len())
}

/// `careerbot explain`: how the engine understands one message, or, with `jsonl`, each line
/// of standard input.
pub fn explain(config: &Config, text: &str, jsonl: bool) -> anyhow::Result<()> {
    let engine = config.engine()?;
    let mut out = std::io::stdout().lock();
    if !jsonl {
        serde_json::to_writer_pretty(&mut out, &engine.explain(text))?;
        writeln!(out)?;
        return Ok(());
    }
    for line in std::io::stdin().lines() {
        serde_json::to_writer(&mut out, &engine.explain(&line?))?;
        writeln!(out)?;
    }
    Ok(())
}
