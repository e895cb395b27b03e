//! The semantic signal: what a message means, beside the words it uses.
//!
//! Every knowledge entry's title and questions, and every role's names and descriptions, are
//! encoded once when the engine is built, with the static sentence embeddings of
//! `crates/semantic`. A message's content is encoded in microseconds and compared with them: a
//! paraphrase that shares few words with an entry ("can't afford to give up my wage" and
//! "earn while you learn") still lands near it.

use knowledge::{Hit, Knowledge};
use semantic::{Encoder, VectorIndex};

use crate::Error;
use crate::safety::Outcome;

/// The knowledge and the roles, encoded.
pub(super) struct Meaning {
    encoder: Encoder,
    /// One row per entry title and question, labelled with the entry's index.
    entries: VectorIndex<usize>,
    /// One row per role name and description, labelled with the role's index.
    roles: VectorIndex<usize>,
}

/// The safety stage's bank of examples (`intents/safety-examples.toml`), encoded: what
/// messages of each outcome look like, in the words people use.
pub(super) struct SafetyBank {
    examples: VectorIndex<Outcome>,
}

impl std::fmt::Debug for SafetyBank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafetyBank")
            .field("examples", &self.examples.len())
            .finish()
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BankFile {
    bank: Vec<BankOutcome>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BankOutcome {
    outcome: Outcome,
    examples: Vec<String>,
}

impl SafetyBank {
    /// Reads and encodes the bank; `normal` normalises an example as messages are.
    pub(super) fn new(
        meaning: &Meaning,
        path: &str,
        text: &str,
        normal: impl Fn(&str) -> Vec<String>,
    ) -> Result<SafetyBank, Error> {
        let file: BankFile = toml::from_str(text).map_err(|e| Error::toml(path, text, &e))?;
        let mut examples = VectorIndex::new(meaning.encoder.dims());
        for group in file.bank {
            for example in group.examples {
                let vector = meaning.encode(&normal(&example).join(" "));
                examples
                    .push(group.outcome, &vector)
                    .map_err(semantic_error)?;
            }
        }
        Ok(SafetyBank { examples })
    }

    /// The urgent outcome (emergency, crisis or health worry) the examples nearest to `vector`
    /// agree on, with the nearest one's similarity: the nearest must be close enough, and
    /// enough of its neighbours must share its outcome.
    pub(super) fn vote(&self, vector: &[f32]) -> Option<(Outcome, f32)> {
        self.vote_from(vector, BANK_MIN)
    }

    /// The urgent outcome the examples nearest to `vector` agree on, the nearest at least
    /// `BANK_CONFIRM` near: what confirms a sign the safety stage holds back.
    pub(super) fn confirm(&self, vector: &[f32]) -> Option<(Outcome, f32)> {
        self.vote_from(vector, BANK_CONFIRM)
    }

    /// `vote`, where the nearest example must be at least `least` near.
    fn vote_from(&self, vector: &[f32], least: f32) -> Option<(Outcome, f32)> {
        let nearest = self.nearest(vector, BANK_NEIGHBOURS);
        let &(outcome, similarity) = nearest.first()?;
        let agree = nearest.iter().filter(|(o, _)| *o == outcome).count();
        (is_urgent(outcome) && similarity >= least && agree >= BANK_AGREE)
            .then_some((outcome, similarity))
    }

    /// The `k` examples nearest to `vector`, best first: their outcome and similarity.
    pub(super) fn nearest(&self, vector: &[f32], k: usize) -> Vec<(Outcome, f32)> {
        self.examples
            .top_k(vector, k)
            .into_iter()
            .map(|hit| (*hit.label, hit.score))
            .collect()
    }
}

/// The examples of the intents that decline what is not about NHS careers (`out-of-scope` in
/// `intents/safety.toml`), encoded: how near a message is to what the bot does not answer.
pub(super) struct Declined {
    examples: VectorIndex<()>,
}

impl std::fmt::Debug for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Declined")
            .field("examples", &self.examples.len())
            .finish()
    }
}

impl Declined {
    /// Encodes `examples`; `normal` normalises each as messages are.
    pub(super) fn new<'e>(
        meaning: &Meaning,
        examples: impl IntoIterator<Item = &'e String>,
        normal: impl Fn(&str) -> Vec<String>,
    ) -> Result<Declined, Error> {
        let mut index = VectorIndex::new(meaning.encoder.dims());
        for example in examples {
            let vector = meaning.encode(&normal(example).join(" "));
            index.push((), &vector).map_err(semantic_error)?;
        }
        Ok(Declined { examples: index })
    }

    /// The similarity of the example nearest to `vector` (0 when there are none).
    pub(super) fn nearest(&self, vector: &[f32]) -> f32 {
        self.examples
            .top_k(vector, 1)
            .first()
            .map_or(0.0, |hit| hit.score)
    }
}

/// An emergency, a crisis or a health worry.
fn is_urgent(outcome: Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Emergency | Outcome::Crisis | Outcome::Health
    )
}

impl std::fmt::Debug for Meaning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meaning")
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

/// How many entries are taken from each signal, by words and by meaning.
const CANDIDATES: usize = 10;
/// How near the best rank a hit's is for the words to rank the two alike.
const RANK_ALIKE: f32 = 0.001;
/// Similarity in meaning up to this much adds nothing: unrelated texts score about this much.
const MEANING_FLOOR: f32 = 0.5;
/// How much each point of similarity above the floor adds to the confidence from the words,
/// in proportion to what the words leave unsure: meaning decides where words do not.
const MEANING_WEIGHT: f32 = 1.0;

/// How many of the bank's examples vote on a clause.
const BANK_NEIGHBOURS: usize = 5;
/// How near the nearest example must be for the bank to speak.
const BANK_MIN: f32 = 0.7;
/// How near the nearest example must be to confirm a health worry that a careers frame
/// would hold back (`SafetyBank::confirm`).
const BANK_CONFIRM: f32 = 0.65;
/// How many of the neighbours must share the nearest one's outcome.
const BANK_AGREE: usize = 3;

/// A message, encoded.
pub(super) type Vector = Vec<f32>;

impl Meaning {
    /// Encodes the knowledge with the embedded table.
    pub(super) fn new(knowledge: &Knowledge) -> Result<Meaning, Error> {
        let encoder = Encoder::embedded().map_err(semantic_error)?;
        let mut entries = VectorIndex::new(encoder.dims());
        for (index, entry) in knowledge.entries.iter().enumerate() {
            for text in std::iter::once(&entry.title).chain(&entry.questions) {
                entries
                    .push(index, &encoder.encode(text))
                    .map_err(semantic_error)?;
            }
        }
        let mut roles = VectorIndex::new(encoder.dims());
        for (index, role) in knowledge.roles.iter().enumerate() {
            for text in role.descriptions() {
                roles
                    .push(index, &encoder.encode(text))
                    .map_err(semantic_error)?;
            }
        }
        Ok(Meaning {
            encoder,
            entries,
            roles,
        })
    }

    /// Every role's best cosine similarity to `vector`, by role index.
    pub(super) fn role_scores(&self, vector: &[f32], count: usize) -> Vec<f32> {
        best_by_label(&self.roles, vector, count)
    }

    /// How sure a reading by words (`words`, 0..1) is once meaning (`similarity`) is added:
    /// each point of similarity above the floor adds to it, the more the less sure the words
    /// are. The ranking of entries and of described roles both use it.
    pub(super) fn combine(words: f32, similarity: f32) -> f32 {
        words + MEANING_WEIGHT * (similarity - MEANING_FLOOR).max(0.0) * (1.0 - words.min(1.0))
    }

    /// The entries that answer `words`, by words and meaning together: each of the best
    /// entries by words (`lexical`) and by meaning gets what its similarity in meaning adds
    /// above the floor, the more the less sure its words are, so a paraphrase that shares few words with an entry still finds it
    /// ("is the nhs pension any gud"), and of two entries close by words the one nearer in
    /// meaning wins. Confidences stay within 0..1; the order follows the whole score.
    pub(super) fn rank(&self, words: &[String], lexical: &[Hit], count: usize) -> Vec<Hit> {
        let vector = self.encode(&words.join(" "));
        let scores = self.entry_scores(&vector, count);
        let mut hits: Vec<Hit> = lexical.iter().take(CANDIDATES).copied().collect();
        for (entry, _) in nearest(&scores, CANDIDATES) {
            if !hits.iter().any(|h| h.entry == entry) {
                hits.push(Hit {
                    entry,
                    confidence: 0.0,
                    rank: 0.0,
                });
            }
        }
        for hit in &mut hits {
            let bonus = Meaning::combine(hit.confidence, scores[hit.entry]) - hit.confidence;
            hit.rank += bonus;
            hit.confidence += bonus;
        }
        hits.retain(|h| h.confidence > 0.0);
        hits.sort_by(|a, b| b.rank.total_cmp(&a.rank));
        // Entries ranked alike with the best ("are there tech jobs in the nhs?" matches a
        // question of three entries almost word for word): the nearest in meaning first.
        if let Some(top) = hits.first().map(|h| h.rank) {
            let alike = hits
                .iter()
                .take_while(|h| top - h.rank <= RANK_ALIKE)
                .count();
            let nearest =
                (0..alike).max_by(|&a, &b| scores[hits[a].entry].total_cmp(&scores[hits[b].entry]));
            if let Some(at) = nearest {
                hits[..=at].rotate_right(1);
            }
        }
        for hit in &mut hits {
            hit.confidence = hit.confidence.min(1.0);
        }
        hits
    }

    /// The vector of a text.
    pub(super) fn encode(&self, text: &str) -> Vector {
        self.encoder.encode(text)
    }

    /// The `k` entries nearest in meaning, best first, each with its best cosine similarity.
    pub(super) fn entries(&self, vector: &[f32], k: usize) -> Vec<(usize, f32)> {
        let count = self
            .entries
            .len()
            .checked_sub(1)
            .map_or(0, |last| 1 + *self.entries.label(last));
        nearest(&self.entry_scores(vector, count), k)
    }

    /// Every entry's best cosine similarity to `vector`, by entry index.
    pub(super) fn entry_scores(&self, vector: &[f32], count: usize) -> Vec<f32> {
        best_by_label(&self.entries, vector, count)
    }
}

/// For each of `count` labels, the best cosine similarity of its rows to `vector`.
fn best_by_label(index: &VectorIndex<usize>, vector: &[f32], count: usize) -> Vec<f32> {
    let mut best = vec![f32::MIN; count];
    let mut scores = Vec::with_capacity(index.len());
    if index.scores_into(vector, &mut scores).is_ok() {
        for (row, score) in scores.into_iter().enumerate() {
            let label = *index.label(row);
            best[label] = best[label].max(score);
        }
    }
    best
}

/// The `k` labels with the best scores, best first (ties: the first label first), each with
/// its score: the scores of `best_by_label`.
fn nearest(scores: &[f32], k: usize) -> Vec<(usize, f32)> {
    let mut labels: Vec<(usize, f32)> = scores
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, score)| *score > f32::MIN)
        .collect();
    labels.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    labels.truncate(k);
    labels
}

fn semantic_error(error: semantic::Error) -> Error {
    Error::Content {
        file: "semantic/model.bin".to_owned(),
        line: 1,
        message: error.to_string(),
    }
}
