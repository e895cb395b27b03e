//! The semantic signal: what a message means, beside the words it uses.
//!
//! Every knowledge entry's title and questions, and every role's names and descriptions, are
//! encoded once when the engine is built, with the static sentence embeddings of
//! `crates/semantic`. A message's content is encoded in microseconds and compared with them: a
//! paraphrase that shares few words with an entry ("can't afford to give up my wage" and
//! "earn while you learn") still lands near it.

use knowledge::Knowledge;
use semantic::{Encoder, VectorIndex};

use crate::Error;

/// The knowledge and the roles, encoded.
pub(super) struct Meaning {
    encoder: Encoder,
    /// One row per entry title and question, labelled with the entry's index.
    entries: VectorIndex<usize>,
    /// One row per role name, alias, description and everyday description, labelled with the
    /// role's index.
    roles: VectorIndex<usize>,
}

impl std::fmt::Debug for Meaning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meaning")
            .field("entries", &self.entries.len())
            .field("roles", &self.roles.len())
            .finish_non_exhaustive()
    }
}

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
            for text in role.names().chain([role.what.as_str()]) {
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

    /// The `k` roles nearest in meaning, best first, each with its best cosine similarity.
    pub(super) fn roles(&self, vector: &[f32], k: usize) -> Vec<(usize, f32)> {
        self.roles
            .top_k_labels(vector, k)
            .into_iter()
            .map(|hit| (*hit.label, hit.score))
            .collect()
    }
}

fn semantic_error(error: semantic::Error) -> Error {
    Error::Content {
        file: "semantic/model.bin".to_owned(),
        line: 1,
        message: error.to_string(),
    }
}
