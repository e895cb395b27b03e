//! Conversation transcripts (`shared/spec/transcripts.md`): a conversation written down as a
//! chat log, with expectations on each bot reply. `parse` reads a `.convo` file; `Runner` plays
//! it against the real engine and a real sled store in a fresh temporary directory per
//! conversation, closing and reopening the store on `@restart`.

mod parse;
mod run;

pub use parse::{Check, Conversation, Line, ParseError, Step, Transcript, parse};
pub use run::{Failure, RunError, Runner, files};
