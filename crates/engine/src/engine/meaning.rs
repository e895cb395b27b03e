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

/// The knowledge and the roles, encoded.
pub(super) struct Meaning {
    encoder: Encoder,
    /// One row per entry title and question, labelled with the entry's index.
    entries: VectorIndex<usize>,
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
/// Similarity in meaning up to this much adds nothing: unrelated texts score about this much.
const MEANING_FLOOR: f32 = 0.5;
/// How much each point of similarity above the floor adds to the confidence from the words,
/// in proportion to what the words leave unsure: meaning decides where words do not.
const MEANING_WEIGHT: f32 = 1.0;

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
        Ok(Meaning { encoder, entries })
    }

    /// The entries that answer `words`, by words and meaning together: each of the best
    /// entries by words (`lexical`) and by meaning gets what its similarity in meaning adds
    /// above the floor, the more the less sure its words are, so a paraphrase that shares few words with an entry still finds it
    /// ("is the nhs pension any gud"), and of two entries close by words the one nearer in
    /// meaning wins. Confidences stay within 0..1; the order follows the whole score.
    pub(super) fn rank(&self, words: &[String], lexical: &[Hit], count: usize) -> Vec<Hit> {
        let vector = self.encode(&words.join(" "));
        let scores = self.entry_scores(&vector, count);
        let added = |entry: usize| MEANING_WEIGHT * (scores[entry] - MEANING_FLOOR).max(0.0);
        let mut hits: Vec<Hit> = lexical.iter().take(CANDIDATES).copied().collect();
        for (entry, _) in self.entries(&vector, CANDIDATES) {
            if !hits.iter().any(|h| h.entry == entry) {
                hits.push(Hit {
                    entry,
                    confidence: 0.0,
                    rank: 0.0,
                });
            }
        }
        for hit in &mut hits {
            let bonus = added(hit.entry) * (1.0 - hit.confidence.min(1.0));
            hit.rank += bonus;
            hit.confidence += bonus;
        }
        hits.retain(|h| h.confidence > 0.0);
        hits.sort_by(|a, b| b.rank.total_cmp(&a.rank));
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
        self.entries
            .top_k_labels(vector, k)
            .into_iter()
            .map(|hit| (*hit.label, hit.score))
            .collect()
    }

    /// Every entry's best cosine similarity to `vector`, by entry index.
    pub(super) fn entry_scores(&self, vector: &[f32], count: usize) -> Vec<f32> {
        let mut best = vec![f32::MIN; count];
        let mut scores = Vec::with_capacity(self.entries.len());
        if self.entries.scores_into(vector, &mut scores).is_ok() {
            for (row, score) in scores.into_iter().enumerate() {
                let entry = *self.entries.label(row);
                best[entry] = best[entry].max(score);
            }
        }
        best
    }
}

fn semantic_error(error: semantic::Error) -> Error {
    Error::Content {
        file: "semantic/model.bin".to_owned(),
        line: 1,
        message: error.to_string(),
    }
}
