//! Talking to the bot from the terminal: `chat`, `chat --jsonl`, `ask`, `forget`, `export`.

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use engine::{Conversations, Input, Reply, StateStore, UserKey};
use render::Channel;
use serde::{Deserialize, Serialize};
use store::AnyStore;

use adapter::now;

use crate::pipeline::{self, Control, Done, Item};
use crate::setup::Config;

/// On Ctrl-C or SIGTERM, turns under way get this long to be answered before the program exits.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// The JSON reply of `shared/spec/cli.md`.
#[derive(Debug, Serialize)]
pub struct JsonReply<'a> {
    user: &'a str,
    reply: String,
    topic: Option<&'a str>,
    confidence: f64,
    fallback: bool,
    sources: &'a [String],
    suggestions: &'a [String],
    micros: u64,
}

impl<'a> JsonReply<'a> {
    /// The JSON form of `reply` to `user`, rendered for `channel`.
    pub fn new(user: &'a str, reply: &'a Reply, channel: Channel) -> JsonReply<'a> {
        JsonReply {
            user,
            reply: render::render(&reply.text, channel).join("\n\n"),
            topic: reply.topic.as_deref(),
            confidence: (f64::from(reply.confidence) * 1000.0).round() / 1000.0,
            fallback: reply.fallback,
            sources: &reply.sources,
            suggestions: &reply.suggestions,
            micros: reply.micros,
        }
    }
}

/// One request line of `chat --jsonl`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    #[serde(default = "local")]
    user: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    press: Option<String>,
}

fn local() -> String {
    "local".to_owned()
}

/// A request line made ready: who, where, and what.
struct Turn {
    user: String,
    channel: Channel,
    input: Input,
}

fn parse_request(line: &str) -> Result<Turn, String> {
    if !line.trim_start().starts_with('{') {
        return Ok(Turn {
            user: local(),
            channel: Channel::Cli,
            input: Input::text(line),
        });
    }
    let request: Request =
        serde_json::from_str(line).map_err(|e| format!("invalid request: {e}"))?;
    let channel_name = request.channel.as_deref().unwrap_or("cli");
    let channel = Channel::from_name(channel_name).ok_or_else(|| {
        format!("unknown channel '{channel_name}' (use cli, discord or telegram)")
    })?;
    if request.user.trim().is_empty() {
        return Err("the user id is empty".to_owned());
    }
    let input = match (request.press, request.text) {
        (Some(label), _) => Input::press(label),
        (None, Some(text)) => Input::text(text),
        (None, None) => return Err("a request needs \"text\" or \"press\"".to_owned()),
    };
    Ok(Turn {
        user: request.user,
        channel,
        input,
    })
}

/// `chat --jsonl`: one request per input line, one JSON reply per output line, in order. Turns
/// of different users are taken in parallel, each reply written once its state is durable. On
/// Ctrl-C or SIGTERM, no more lines are read; the replies under way are written, the store is
/// flushed and the program exits with 0.
pub fn jsonl(config: &Config) -> anyhow::Result<()> {
    let conversations = Arc::new(config.conversations()?);
    let _purger = adapter::Purger::start(Arc::clone(&conversations))?;
    let control = Arc::new(Control::default());
    stop_on_signal(conversations.store().clone(), Arc::clone(&control))?;
    let mut lines = Lines {
        input: std::io::stdin().lock(),
        buffer: Vec::new(),
        error: None,
    };
    let stdout = std::io::stdout();
    pipeline::run(
        &*conversations,
        workers(),
        &mut lines,
        &control,
        |done| -> anyhow::Result<()> {
            let mut out = stdout.lock();
            match done {
                Done::Reply((user, channel), reply) => {
                    serde_json::to_writer(&mut out, &JsonReply::new(&user, &reply, channel))?;
                    writeln!(out)?;
                    out.flush()?;
                }
                Done::Pass(message) => write_error(&mut out, &message)?,
            }
            Ok(())
        },
    )?;
    match lines.error {
        Some(error) => Err(error).context("cannot read standard input"),
        None => Ok(()),
    }
}

/// Threads that take turns: one per core.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// On Ctrl-C or SIGTERM: let the turns under way finish, flush the store and exit with 0.
fn stop_on_signal(store: AnyStore, control: Arc<Control>) -> anyhow::Result<()> {
    adapter::on_stop_signal(move || {
        if !control.stop(STOP_GRACE) {
            tracing::warn!("turns under way did not finish within {STOP_GRACE:?}");
        }
        let code = match store.flush() {
            Ok(()) => 0,
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "careerbot: {error}");
                2
            }
        };
        std::process::exit(code);
    })
    .context("cannot listen for Ctrl-C and SIGTERM")
}

/// The input lines of `chat --jsonl` as pipeline items; blank lines are skipped. A read error
/// ends the lines and is kept in `error`.
struct Lines<R> {
    input: R,
    buffer: Vec<u8>,
    error: Option<std::io::Error>,
}

/// A turn's output line: the user as they gave it, and the channel to render for.
type Tag = (String, Channel);

impl<R: BufRead> Iterator for Lines<R> {
    /// A turn, or the text of an error line.
    type Item = Item<Tag, String>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buffer.clear();
            match self.input.read_until(b'\n', &mut self.buffer) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(error) => {
                    self.error = Some(error);
                    return None;
                }
            }
            let Ok(line) = std::str::from_utf8(&self.buffer) else {
                return Some(Item::Pass("the line is not UTF-8 text".to_owned()));
            };
            let line = line.trim_end_matches(['\n', '\r']);
            if line.trim().is_empty() {
                continue;
            }
            return Some(match parse_request(line) {
                Ok(turn) => Item::Turn {
                    user: UserKey::new(turn.channel.name(), &turn.user),
                    input: turn.input,
                    now: now(),
                    tag: (turn.user, turn.channel),
                },
                Err(message) => Item::Pass(message),
            });
        }
    }
}

fn write_error(out: &mut impl Write, message: &str) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, &serde_json::json!({ "error": message }))?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// `ask`: one turn, printed as text or JSON.
pub fn ask(config: &Config, user: &str, json: bool, text: &str) -> anyhow::Result<()> {
    let conversations = config.conversations()?;
    let reply = conversations.handle(&cli_key(user), &Input::text(text), now())?;
    let mut stdout = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut stdout, &JsonReply::new(user, &reply, Channel::Cli))?;
        writeln!(stdout)?;
    } else {
        print_reply(&mut stdout, &reply)?;
    }
    Ok(())
}

/// `chat`: an interactive chat; a number presses the button with that number. Ctrl-C or
/// SIGTERM lets a turn under way finish, then exits with 0.
pub fn interactive(config: &Config) -> anyhow::Result<()> {
    let conversations = Arc::new(config.conversations()?);
    let _purger = adapter::Purger::start(Arc::clone(&conversations))?;
    let control = Arc::new(Control::default());
    stop_on_signal(conversations.store().clone(), Arc::clone(&control))?;
    let key = cli_key("local");
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "careerbot: an unofficial guide to NHS careers. Type a question, a button number, or Ctrl-D to leave."
    )?;
    let mut suggestions: Vec<String> = Vec::new();
    let stdin = std::io::stdin();
    loop {
        write!(stdout, "\nyou> ")?;
        stdout.flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            writeln!(stdout)?;
            return Ok(());
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let input = match line
            .parse::<usize>()
            .ok()
            .and_then(|n| suggestions.get(n.wrapping_sub(1)))
        {
            Some(label) => Input::press(label.clone()),
            None => Input::text(line),
        };
        if !control.start() {
            return Ok(());
        }
        let reply = conversations.handle(&key, &input, now())?;
        write!(stdout, "\nbot> ")?;
        print_reply(&mut stdout, &reply)?;
        stdout.flush()?;
        control.finish();
        suggestions = reply.suggestions;
    }
}

fn print_reply(out: &mut impl Write, reply: &Reply) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}",
        render::render(&reply.text, Channel::Cli).join("\n\n")
    )?;
    if !reply.sources.is_empty() {
        writeln!(out, "Source: {}", reply.sources.join(", "))?;
    }
    for (n, label) in reply.suggestions.iter().enumerate() {
        writeln!(out, "  [{}] {label}", n + 1)?;
    }
    Ok(())
}

/// A user given on the command line: `channel:id`, or a bare id on the cli channel.
fn cli_key(user: &str) -> UserKey {
    match user.split_once(':') {
        Some((channel, id)) if !channel.is_empty() && !id.is_empty() => UserKey::new(channel, id),
        _ => UserKey::new("cli", user),
    }
}

/// `forget --user`: delete everything stored about a user.
pub fn forget(config: &Config, user: &str) -> anyhow::Result<()> {
    let store = config.store()?;
    let key = cli_key(user);
    let removed = store
        .delete(&key)
        .context("cannot delete the user's state")?;
    let mut stdout = std::io::stdout().lock();
    match removed {
        true => writeln!(stdout, "Deleted everything stored about {key}.")?,
        false => writeln!(stdout, "Nothing was stored about {key}.")?,
    }
    Ok(())
}

/// `export --user`: print everything stored about a user as JSON.
pub fn export(config: &Config, user: &str) -> anyhow::Result<()> {
    let store = config.store()?;
    let key = cli_key(user);
    let state = store.load(&key)?;
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(
        &mut stdout,
        &serde_json::json!({ "user": key.as_str(), "state": state }),
    )?;
    writeln!(stdout)?;
    Ok(())
}

/// Conversations on the engine with an in-memory store (for eval).
pub fn in_memory(config: &Config) -> anyhow::Result<Conversations<engine::MemoryStore>> {
    Ok(Conversations::new(
        config.engine()?,
        engine::MemoryStore::default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines() {
        let turn = parse_request("how do I apply?").expect("plain text");
        assert_eq!(
            (turn.user.as_str(), turn.input.text.as_str()),
            ("local", "how do I apply?")
        );
        let turn =
            parse_request(r#"{"user": "alice", "text": "hi", "channel": "cli"}"#).expect("json");
        assert_eq!(turn.user, "alice");
        let turn = parse_request(r#"{"user": "bob", "press": "Tell me more"}"#).expect("press");
        assert_eq!(turn.input.press.as_deref(), Some("Tell me more"));
        for bad in [
            r#"{"user": "x"}"#,
            r#"{"user": 5, "text": "hi"}"#,
            r#"{"user": "x", "text": "hi", "channel": "irc"}"#,
            r#"{"user": "", "text": "hi"}"#,
            r#"{"text": "hi", "extra": 1}"#,
            "{not json",
        ] {
            assert!(parse_request(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_keys() {
        assert_eq!(cli_key("alice").as_str(), "cli:alice");
        assert_eq!(cli_key("telegram:42").as_str(), "telegram:42");
        assert_eq!(cli_key(":x").as_str(), "cli::x");
    }
}
