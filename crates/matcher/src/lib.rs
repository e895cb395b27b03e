//! Understanding user text: normalisation, the synonym and abbreviation lexicon, typo-tolerant
//! word correction and a phrase-similarity index that ranks candidates with a confidence in 0..1.
//!
//! This crate knows nothing about NHS careers: every word list comes from data (`Lexicon`), and
//! every phrase it compares against comes from its caller. It does no I/O.

mod analyzer;
mod lexicon;
mod normalize;
mod phrases;
mod typos;

pub use analyzer::{Analysis, Analyzer, MAX_WORDS, Slot, Words};
pub use lexicon::{Lexicon, WH};
pub use normalize::{fold, words};
pub use phrases::{Match, PhraseDoc, PhraseIndex};

/// What can go wrong while reading matcher data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The lexicon file is not valid.
    #[error("{file}:{line}: {message}")]
    Lexicon {
        /// The file the lexicon came from.
        file: String,
        /// The 1-based line of the problem.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Converts a byte offset in `text` into a 1-based line number.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}
