//! careerbot on Discord, through serenity: the only crate that imports serenity.
//!
//! The bot answers every DM, and in guilds when mentioned or in a configured channel; it offers
//! slash commands (`/ask`, `/careers`, `/roles`, `/reset`, `/forget`, `/mydata`, `/help`) and
//! shows suggestions as buttons. Every message it sends allows no mentions, so nothing it says
//! can ping anyone. Decisions live in [`decide`] (plain functions); `bot` is the network glue.

mod bot;
mod config;
pub mod decide;
mod queue;

use adapter::SecretError;
use std::sync::Arc;

use engine::{Conversations, StateStore};

pub use bot::serve;
pub use config::{API_URL_VAR, CHANNELS_VAR, Config, ShardIds, TOKEN_VAR, api_url, parse_channels};

/// Why the adapter stopped or could not start. Texts never hold the token.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The token is missing or malformed.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A setting is invalid.
    #[error("invalid Discord configuration: {0}")]
    Config(String),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[from] std::io::Error),
    /// The retention purge's thread could not start.
    #[error("cannot start the retention purge: {0}")]
    Purge(std::io::Error),
    /// serenity failed (connecting, authenticating, or a shard stopped); the token is redacted.
    #[error("Discord: {0}")]
    Discord(String),
}

/// Runs the bot until Ctrl-C or SIGTERM, on a runtime of its own, with flood control on and
/// inactive users purged in the background. Blocks.
pub fn run<S>(config: Config, conversations: Conversations<S>) -> Result<(), Error>
where
    S: StateStore + Send + Sync + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let conversations = Arc::new(conversations.with_flood_control());
    let _purger = adapter::Purger::start(Arc::clone(&conversations)).map_err(Error::Purge)?;
    runtime.block_on(serve(config, conversations, adapter::stop_signal()))
}
