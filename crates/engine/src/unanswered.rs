//! Questions the bot could not answer well, kept as text only (never who asked) so that the
//! knowledge can grow: a maintainer lists them grouped by similarity, with the entries nearest
//! to each group, and adds the missing questions or entries.
//!
//! A question is unanswered when its reply is a fallback that is not a safety reply (out of
//! scope, patient services, "I don't know"), or an answer given with low confidence.

use std::collections::HashMap;

use matcher::{PhraseDoc, PhraseIndex};
use serde::{Deserialize, Serialize};

use crate::state::MAX_TURN_TEXT;
use crate::{Engine, Input, Reply};

/// An answer from the knowledge base given with less confidence than this is also recorded.
pub const LOW_CONFIDENCE: f32 = 0.55;
/// A store keeps at most this many different questions; the least recently asked go first.
pub const MAX_UNANSWERED: usize = 1000;
/// A question joins a group when it and the group's first question match, one way or the other,
/// with this confidence (unrelated questions score about 0.25 or less).
const GROUP_MIN: f32 = 0.35;
/// How many of the nearest knowledge entries are shown for each group.
const NEAREST: usize = 3;

/// Why a question counts as unanswered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The reply was a fallback (not a safety reply).
    Fallback,
    /// An entry answered, with low confidence.
    LowConfidence,
}

/// One question as recorded: the text (no user id), how often and when it was asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unanswered {
    /// The question as first asked (cut to `MAX_TURN_TEXT` characters).
    pub text: String,
    /// Why it was unanswered, the last time it was asked.
    pub reason: Reason,
    /// What replied the last time (an intent or entry id), if anything did.
    pub topic: Option<String>,
    /// How many times it was asked (case and spacing ignored).
    pub count: u64,
    /// When it was first asked, in seconds since the Unix epoch.
    pub first_seen: u64,
    /// When it was last asked, in seconds since the Unix epoch.
    pub last_seen: u64,
}

impl Unanswered {
    /// A question asked once, at `now`.
    pub fn new(text: &str, reason: Reason, topic: Option<String>, now: u64) -> Unanswered {
        Unanswered {
            text: text.trim().chars().take(MAX_TURN_TEXT).collect(),
            reason,
            topic,
            count: 1,
            first_seen: now,
            last_seen: now,
        }
    }

    /// The key under which a store counts the question: its text in lower case with single
    /// spaces, so that the same question typed twice is counted once.
    pub fn key(&self) -> String {
        let lower = self.text.to_lowercase();
        lower.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Counts `later`, the same question asked again, into this one.
    pub fn merge(&mut self, later: &Unanswered) {
        self.count = self.count.saturating_add(later.count);
        self.first_seen = self.first_seen.min(later.first_seen);
        if later.last_seen >= self.last_seen {
            self.last_seen = later.last_seen;
            self.reason = later.reason;
            self.topic.clone_from(&later.topic);
        }
    }
}

/// Similar unanswered questions, most asked first, with the entries nearest to them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnansweredGroup {
    /// The questions, most asked first.
    pub questions: Vec<Unanswered>,
    /// How many times the questions were asked in all.
    pub count: u64,
    /// When one was first asked.
    pub first_seen: u64,
    /// When one was last asked.
    pub last_seen: u64,
    /// The knowledge entries nearest to the group's first question, best first.
    pub nearest: Vec<Nearest>,
}

/// A knowledge entry near an unanswered question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nearest {
    /// The entry's id.
    pub id: String,
    /// The entry's title.
    pub title: String,
    /// How closely the question matches it, 0..1.
    pub confidence: f32,
}

impl Engine {
    /// Whether the turn that gave `reply` to `input` left the question unanswered, and why.
    /// Button presses, empty or silent turns, safety replies, small talk and actions never are.
    pub fn unanswered(&self, input: &Input, reply: &Reply) -> Option<Reason> {
        if input.press.is_some() || input.text.trim().is_empty() || reply.is_silent() {
            return None;
        }
        match self.intent_kind(reply) {
            Some(kind) if kind.is_safety() => None,
            Some(kind) => kind.is_fallback().then_some(Reason::Fallback),
            None if reply.fallback => Some(Reason::Fallback),
            None => (reply.confidence > 0.0 && reply.confidence < LOW_CONFIDENCE)
                .then_some(Reason::LowConfidence),
        }
    }

    /// Groups similar questions with the engine's own matcher, most asked groups first: each
    /// group starts from the most asked question not yet placed and takes every other question
    /// that question matches closely. Each group lists the knowledge entries nearest to its
    /// first question, where a maintainer may add the missing ways of asking.
    pub fn group_unanswered(&self, mut questions: Vec<Unanswered>) -> Vec<UnansweredGroup> {
        questions.sort_by(|a, b| {
            (b.count, b.last_seen)
                .cmp(&(a.count, a.last_seen))
                .then_with(|| a.text.cmp(&b.text))
        });
        let analyzer = self.analyzer();
        let analyses: Vec<_> = questions
            .iter()
            .map(|q| analyzer.analyze(&q.text))
            .collect();
        // Each question as a document of its corrected words, so that both sides read alike.
        let docs: Vec<PhraseDoc> = analyses
            .iter()
            .map(|analysis| PhraseDoc {
                phrases: vec![analysis.words.join(" ")],
                ..PhraseDoc::default()
            })
            .collect();
        let index = PhraseIndex::new(analyzer, &docs);
        // How closely each question matches each other, either way round (a short question
        // inside a long one matches better one way than the other).
        let mut close: Vec<HashMap<usize, f32>> = vec![HashMap::new(); questions.len()];
        for (one, analysis) in analyses.iter().enumerate() {
            for found in index.rank(analysis) {
                for (a, b) in [(one, found.doc), (found.doc, one)] {
                    let best = close[a].entry(b).or_default();
                    *best = best.max(found.confidence);
                }
            }
        }
        let mut leader: Vec<Option<usize>> = vec![None; questions.len()];
        for first in 0..questions.len() {
            if leader[first].is_some() {
                continue;
            }
            leader[first] = Some(first);
            for (&other, &confidence) in &close[first] {
                if confidence >= GROUP_MIN && leader[other].is_none() {
                    leader[other] = Some(first);
                }
            }
        }
        let mut groups: Vec<(usize, Vec<Unanswered>)> = Vec::new();
        for (question, lead) in questions.into_iter().zip(leader) {
            let lead = lead.unwrap_or_default();
            match groups.iter_mut().find(|(l, _)| *l == lead) {
                Some((_, members)) => members.push(question),
                None => groups.push((lead, vec![question])),
            }
        }
        let mut groups: Vec<UnansweredGroup> = groups
            .into_iter()
            .map(|(_, questions)| self.unanswered_group(questions))
            .collect();
        groups.sort_by(|a, b| {
            (b.count, b.last_seen)
                .cmp(&(a.count, a.last_seen))
                .then_with(|| a.questions[0].text.cmp(&b.questions[0].text))
        });
        groups
    }

    fn unanswered_group(&self, questions: Vec<Unanswered>) -> UnansweredGroup {
        let count = questions.iter().map(|q| q.count).sum();
        let first_seen = questions.iter().map(|q| q.first_seen).min().unwrap_or(0);
        let last_seen = questions.iter().map(|q| q.last_seen).max().unwrap_or(0);
        let nearest = questions
            .first()
            .map(|q| self.explain(&q.text).entries)
            .unwrap_or_default()
            .into_iter()
            .take(NEAREST)
            .filter_map(|(id, confidence, _)| {
                let title = self.knowledge().entry(&id)?.title.clone();
                Some(Nearest {
                    id,
                    title,
                    confidence,
                })
            })
            .collect();
        UnansweredGroup {
            questions,
            count,
            first_seen,
            last_seen,
            nearest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_question_typed_twice_is_counted_once() {
        let mut first = Unanswered::new("  Whats the  WEATHER ", Reason::Fallback, None, 100);
        let again = Unanswered::new(
            "whats the weather",
            Reason::LowConfidence,
            Some("x".into()),
            200,
        );
        assert_eq!(first.key(), again.key());
        first.merge(&again);
        assert_eq!(
            (first.count, first.first_seen, first.last_seen),
            (2, 100, 200)
        );
        assert_eq!(first.text, "Whats the  WEATHER");
        assert_eq!(
            (first.reason, first.topic.as_deref()),
            (Reason::LowConfidence, Some("x"))
        );
        let long = Unanswered::new(&"a".repeat(5000), Reason::Fallback, None, 1);
        assert_eq!(long.text.chars().count(), MAX_TURN_TEXT);
    }
}
