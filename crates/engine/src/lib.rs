//! The dialogue engine: one turn is (state, message) -> (reply, new state).
//!
//! The engine is pure: it does no I/O, reads no clock and starts no threads. Everything it knows
//! comes from `Content` (the knowledge base and the intents, as text); everything it remembers
//! comes in and goes out as `UserState`. `Conversations` wraps the engine with a `StateStore`, the
//! only way the engine's callers persist state.

mod content;
mod conversations;
mod engine;
mod finder;
mod intent;
mod messages;
mod pattern;
mod profile;
mod reading;
mod safety;
mod state;
mod unanswered;

pub use content::Content;
pub use conversations::{Conversations, Written};
pub use engine::{Engine, Explanation, Input, Reply};
pub use intent::{Action, Intent, IntentKind};
pub use messages::Messages;
pub use profile::Profile;
pub use reading::{Clause, Part, Reading};
pub use safety::{Assessment, Outcome};
pub use state::{
    Commit, DELIVERY_MEMORY, FinderProgress, MAX_TURN_TEXT, MAX_TURNS, MemoryStore, Offer, Pending,
    StateStore, StoreError, Turn, UserKey, UserState, Version,
};
pub use unanswered::{
    LOW_CONFIDENCE, MAX_UNANSWERED, Nearest, Reason, Unanswered, UnansweredGroup,
};

/// What can go wrong while building the engine from its content.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A content file is malformed; the message names the file and line.
    #[error("{file}:{line}: {message}")]
    Content {
        /// The file.
        file: String,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The knowledge base is invalid or could not be indexed.
    #[error(transparent)]
    Knowledge(#[from] knowledge::Error),
    /// The lexicon is invalid.
    #[error(transparent)]
    Lexicon(#[from] matcher::Error),
}

impl Error {
    fn content(file: &str, line: usize, message: impl Into<String>) -> Error {
        Error::Content {
            file: file.to_owned(),
            line,
            message: message.into(),
        }
    }

    fn toml(file: &str, text: &str, error: &toml::de::Error) -> Error {
        let line = error.span().map_or(1, |s| matcher::line_of(text, s.start));
        let lines = error
            .message()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty());
        Error::content(file, line, lines.collect::<Vec<_>>().join(": "))
    }
}
