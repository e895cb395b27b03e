//! What every chat adapter (terminal, transcripts, Telegram, Discord) shares: one turn taken and
//! rendered for a channel as the messages and buttons to send, bot tokens kept secret, the clock,
//! the stop signal, readiness (`Health`), the service's metrics (`metrics`), and the retention
//! purge in the background. No network I/O here: adapters do their own.

mod health;
pub mod metrics;

use std::fmt;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use engine::{Conversations, Input, Reply, StateStore, StoreError, UserKey};
pub use health::{Health, Status};
pub use render::Channel;

/// What to send a user after one message: the messages in order (each within the channel's
/// limit; none when the user is being flood-controlled) and the buttons, which belong on the
/// last message.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The messages, rendered for the channel.
    pub messages: Vec<String>,
    /// Button labels; pressing one is `Input::press(label)`.
    pub buttons: Vec<String>,
    /// The engine's reply, for logs and checks.
    pub reply: Reply,
}

/// Takes one turn for `user` on `channel` and renders the reply for that channel: escaped,
/// mentions defused, split to the channel's limit, with its source links. The turn is counted
/// in the metrics (`metrics::turn`).
pub fn respond<S: StateStore>(
    conversations: &Conversations<S>,
    user: &UserKey,
    input: &Input,
    channel: Channel,
    now: u64,
) -> Result<Outgoing, StoreError> {
    let started = Instant::now();
    let reply = conversations.handle(user, input, now)?;
    metrics::turn(channel, &reply, started.elapsed());
    Ok(outgoing(reply, channel))
}

/// Renders a reply for `channel`.
pub fn outgoing(reply: Reply, channel: Channel) -> Outgoing {
    let messages = if reply.is_silent() {
        Vec::new()
    } else {
        render::render_answer(&reply.text, &reply.sources, channel)
    };
    Outgoing {
        messages,
        buttons: reply.suggestions.clone(),
        reply,
    }
}

/// Completes on Ctrl-C or, on Unix, SIGTERM: when a long-running adapter should stop.
pub async fn stop_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {error}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(error) => {
                tracing::warn!("cannot listen for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("Ctrl-C: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}

/// Listens for Ctrl-C and, on Unix, SIGTERM, from the moment it returns, and calls `stop` on a
/// thread of its own when one arrives: how a program that is not async (the terminal chat)
/// finishes its work and exits cleanly instead of being killed.
pub fn on_stop_signal(stop: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    // Created inside the runtime, the listeners are installed now, not when first polled.
    let signals = {
        let _entered = runtime.enter();
        Signals::new()?
    };
    std::thread::Builder::new()
        .name("stop-signal".to_owned())
        .spawn(move || {
            runtime.block_on(signals.recv());
            stop();
        })?;
    Ok(())
}

/// Installed signal listeners.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Completes when a signal arrives.
    async fn recv(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => tracing::info!("Ctrl-C: shutting down"),
            _ = self.terminate.recv() => tracing::info!("SIGTERM: shutting down"),
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("Ctrl-C: shutting down");
        } else {
            std::future::pending::<()>().await;
        }
    }
}

/// How often the retention purge runs.
pub const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// How long after start-up the first purge runs (not at once: start-up stays fast, and a
/// one-shot command never purges).
pub const FIRST_PURGE: Duration = Duration::from_secs(60);

/// The retention purge (`Conversations::purge_inactive`), run in the background on a thread of
/// its own, never inside a turn: first after `first`, then every `every`, until dropped.
#[derive(Debug)]
pub struct Purger {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Purger {
    /// Starts the purge for `conversations`: after `FIRST_PURGE`, then every `PURGE_EVERY`.
    pub fn start<S>(conversations: Arc<Conversations<S>>) -> std::io::Result<Purger>
    where
        S: StateStore + 'static,
    {
        Purger::every(conversations, FIRST_PURGE, PURGE_EVERY)
    }

    /// Starts the purge for `conversations` after `first`, then every `every`.
    pub fn every<S>(
        conversations: Arc<Conversations<S>>,
        first: Duration,
        every: Duration,
    ) -> std::io::Result<Purger>
    where
        S: StateStore + 'static,
    {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("purge".to_owned())
            .spawn(move || {
                let mut wait = first;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
                    if let Err(error) = conversations.purge_inactive(now()) {
                        tracing::warn!("retention purge failed: {error}");
                    }
                    wait = every;
                }
            })?;
        Ok(Purger {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Purger {
    /// Stops the purge, waiting for a purge under way to finish.
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::warn!("the retention purge panicked");
        }
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A secret such as a bot token. It is never shown: `Debug` and `Display` print `[redacted]`,
/// and `redact` removes it from any text (error messages may quote URLs holding the token).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The variable is unset or empty.
    #[error("{0} is not set: give the bot token in the environment variable {0}")]
    Missing(String),
    /// The value has white space or control characters in it.
    #[error("{0} holds white space or control characters: check the token was pasted whole")]
    Malformed(String),
}

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// Reads a secret from the environment variable `name`.
    pub fn from_env(name: &str) -> Result<Secret, SecretError> {
        let value = std::env::var(name).unwrap_or_default();
        Secret::parse(name, &value)
    }

    /// Checks a secret's value, naming it `name` in errors.
    pub fn parse(name: &str, value: &str) -> Result<Secret, SecretError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(SecretError::Missing(name.to_owned()));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(SecretError::Malformed(name.to_owned()));
        }
        Ok(Secret(value.to_owned()))
    }

    /// The secret itself, to hand to the platform's client. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the secret replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_owned();
        }
        text.replace(&self.0, "[redacted]")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show() {
        let token = Secret::parse("T", " 123:ABC-def ").expect("valid");
        assert_eq!(token.expose(), "123:ABC-def");
        assert!(!format!("{token:?} {token}").contains("ABC"));
        assert_eq!(
            token.redact("GET https://x/bot123:ABC-def/GetMe failed"),
            "GET https://x/bot[redacted]/GetMe failed"
        );
        assert!(matches!(
            Secret::parse("T", "  "),
            Err(SecretError::Missing(_))
        ));
        assert!(matches!(
            Secret::parse("T", "a b"),
            Err(SecretError::Malformed(_))
        ));
    }

    #[test]
    fn silent_replies_send_nothing() {
        let silent = outgoing(Reply::default(), Channel::Telegram);
        assert!(silent.messages.is_empty());
        let reply = Reply {
            text: "a <b> **c**".into(),
            suggestions: vec!["Next".into()],
            ..Reply::default()
        };
        let sent = outgoing(reply, Channel::Telegram);
        assert_eq!(sent.messages, ["a &lt;b&gt; <b>c</b>"]);
        assert_eq!(sent.buttons, ["Next"]);
    }

    #[test]
    fn the_purger_runs_in_the_background_until_dropped() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let content = engine::Content::from_dirs(&root.join("knowledge"), &root.join("intents"))
            .expect("content");
        let engine = engine::Engine::new(&content).expect("engine");
        let store = engine::MemoryStore::default();
        let old = UserKey::new("cli", "old");
        store
            .save(&old, &engine::UserState::default())
            .expect("save");
        let conversations = Arc::new(Conversations::new(engine, store).with_retention(30));
        let purger = Purger::every(
            Arc::clone(&conversations),
            Duration::ZERO,
            Duration::from_millis(5),
        )
        .expect("thread");
        let forgotten = (0..2000).any(|_| {
            std::thread::sleep(Duration::from_millis(5));
            conversations.export(&old).expect("load").is_none()
        });
        assert!(forgotten, "the purge never ran");
        drop(purger);
        // Stopped: a user saved now stays, however long we wait for a purge.
        conversations
            .store()
            .save(&old, &engine::UserState::default())
            .expect("save");
        std::thread::sleep(Duration::from_millis(30));
        assert!(conversations.export(&old).expect("load").is_some());
    }
}
