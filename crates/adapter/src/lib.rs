//! What every chat adapter (terminal, transcripts, Telegram, Discord) shares: one turn taken and
//! rendered for a channel as the messages and buttons to send, bot tokens kept secret, and the
//! clock, the stop signal, readiness (`Health`) and the service's metrics (`metrics`). No
//! network I/O here: adapters do their own.

mod health;
pub mod metrics;

use std::fmt;
use std::time::Instant;

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
}
