//! Static sentence embeddings for careerbot, and a small cosine-similarity index.
//!
//! [`Encoder`] turns a text into a unit-length vector in microseconds: it tokenises the text
//! as BERT does (clean, lowercase, strip accents, split punctuation, WordPiece) and averages
//! one stored vector per token. The table of token vectors is an artefact distilled and
//! trained from all-MiniLM-L6-v2 (see `semantic/README.md` at the repository root), so that
//! the mean of a sentence's token vectors points where the transformer's embedding of that
//! sentence points. [`VectorIndex`] holds labelled vectors and returns the `k` nearest by
//! cosine similarity.
//!
//! The crate does no I/O: the caller hands it the artefact's bytes, or uses
//! [`Encoder::embedded`] (feature `embedded`, on by default), which reads the copy compiled
//! into the binary without copying it.
//!
//! ```
//! # #[cfg(feature = "embedded")] {
//! use semantic::{Encoder, VectorIndex};
//!
//! let encoder = Encoder::embedded()?;
//! let mut index = VectorIndex::new(encoder.dims());
//! for (label, text) in [
//!     ("pay", "how much are nhs staff paid"),
//!     ("apply", "where do i apply for nhs jobs"),
//! ] {
//!     index.push(label, &encoder.encode(text))?;
//! }
//! let hits = index.top_k(&encoder.encode("wats the salary like"), 1);
//! assert_eq!(*hits[0].label, "pay");
//! # }
//! # Ok::<(), semantic::Error>(())
//! ```

#![warn(missing_docs)]

mod artefact;
mod encoder;
mod index;
mod tables;
mod tokenizer;

pub use encoder::Encoder;
pub use index::{Hit, VectorIndex};

/// What can go wrong when reading an artefact or building an index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not a careerbot semantic artefact, or are cut short or inconsistent.
    #[error("not a valid semantic artefact: {0}")]
    Artefact(&'static str),
    /// A vector's length is not the index's (or the encoder's) number of dimensions.
    #[error("vector has {found} dimensions, expected {expected}")]
    Dimensions {
        /// The number of dimensions expected.
        expected: usize,
        /// The number of dimensions given.
        found: usize,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
