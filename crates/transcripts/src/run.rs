//! Playing transcripts against the real engine and a real store.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use adapter::{Channel, Outgoing};
use engine::{Conversations, Engine, Input, StoreError, UserKey};
use store::SledStore;

use crate::{Check, Conversation, Step, Transcript};

/// At most this many lines of the reply are shown with a failure.
const SHOWN_LINES: usize = 12;
/// The user `user:` lines come from until `@user` says otherwise.
const DEFAULT_USER: &str = "tester";

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The transcript file.
    pub file: String,
    /// The line of the expectation.
    pub line: usize,
    /// What was expected.
    pub expected: String,
    /// The reply actually given (its messages joined by blank lines).
    pub reply: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: expected {}", self.file, self.line, self.expected)?;
        for (i, line) in self.reply.lines().take(SHOWN_LINES).enumerate() {
            let lead = if i == 0 { "reply: " } else { "       " };
            write!(f, "\n    {lead}{line}")?;
        }
        Ok(())
    }
}

/// What stops a transcript from running at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The temporary data directory could not be made.
    #[error("could not make a temporary data directory: {0}")]
    TempDir(#[from] std::io::Error),
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A path given does not exist.
    #[error("{0}: no such file or directory")]
    Missing(String),
}

/// Plays transcripts; one engine serves them all.
#[derive(Debug, Clone)]
pub struct Runner {
    engine: Arc<Engine>,
}

/// One conversation being played: the bot on its data directory, and where the script is.
struct Play<'a> {
    file: &'a str,
    dir: tempfile::TempDir,
    /// `None` only while the store is being reopened.
    bot: Option<Conversations<SledStore>>,
    user: String,
    channel: Channel,
    replies: HashMap<String, Outgoing>,
    failures: Vec<Failure>,
}

impl Runner {
    /// A runner over `engine`.
    pub fn new(engine: impl Into<Arc<Engine>>) -> Runner {
        Runner {
            engine: engine.into(),
        }
    }

    /// Plays every conversation of `transcript`, each on a fresh data directory; returns the
    /// expectations that did not hold (none when it passes).
    pub fn run(&self, transcript: &Transcript) -> Result<Vec<Failure>, RunError> {
        let mut failures = Vec::new();
        for conversation in &transcript.conversations {
            failures.extend(self.play(&transcript.path, conversation)?);
        }
        Ok(failures)
    }

    fn play(&self, file: &str, conversation: &Conversation) -> Result<Vec<Failure>, RunError> {
        let dir = tempfile::tempdir()?;
        let bot = Conversations::new(Arc::clone(&self.engine), SledStore::open(dir.path())?);
        let mut play = Play {
            file,
            dir,
            bot: Some(bot),
            user: DEFAULT_USER.to_owned(),
            channel: Channel::Cli,
            replies: HashMap::new(),
            failures: Vec::new(),
        };
        for line in &conversation.steps {
            play.step(&self.engine, line.number, &line.step)?;
        }
        Ok(play.failures)
    }
}

impl Play<'_> {
    fn step(&mut self, engine: &Arc<Engine>, line: usize, step: &Step) -> Result<(), RunError> {
        match step {
            Step::Say(text) => self.send(&Input::text(text.as_str()))?,
            Step::Press(label) => match self.button(label) {
                Some(full) => self.send(&Input::press(full))?,
                None => self.fail(line, format!("a button containing '{label}' to press")),
            },
            Step::User(name) => self.user.clone_from(name),
            Step::Channel(channel) => self.channel = *channel,
            Step::Restart => {
                // Close the store before reopening it: sled allows one open handle per folder.
                self.bot = None;
                let store = reopen(self.dir.path())?;
                self.bot = Some(Conversations::new(Arc::clone(engine), store));
            }
            Step::Check(check) => {
                if let Some(expected) = self.unmet(check) {
                    self.fail(line, expected);
                }
            }
        }
        Ok(())
    }

    fn send(&mut self, input: &Input) -> Result<(), RunError> {
        let key = UserKey::new("cli", &self.user);
        let Some(bot) = &self.bot else {
            return Err(StoreError::Storage("the store is closed".to_owned()).into());
        };
        let out = adapter::respond(bot, &key, input, self.channel, adapter::now())?;
        self.replies.insert(self.user.clone(), out);
        Ok(())
    }

    /// The full label of the last reply's button whose label contains `label`.
    fn button(&self, label: &str) -> Option<String> {
        let wanted = label.to_lowercase();
        let out = self.replies.get(&self.user)?;
        out.buttons
            .iter()
            .find(|b| b.to_lowercase().contains(&wanted))
            .cloned()
    }

    /// What `check` expected, when the current user's last reply does not meet it.
    fn unmet(&self, check: &Check) -> Option<String> {
        let Some(out) = self.replies.get(&self.user) else {
            return Some(format!("a reply to {} (none yet)", self.user));
        };
        let text = out.messages.join("\n\n");
        let reply = &out.reply;
        let (met, expected) = match check {
            Check::Contains(t) => (
                fold(&text).contains(&fold(t)),
                format!("the reply to contain '{t}'"),
            ),
            Check::Lacks(t) => (
                !fold(&text).contains(&fold(t)),
                format!("the reply not to contain '{t}'"),
            ),
            Check::Matches(re) => (re.is_match(&text), format!("the reply to match /{re}/")),
            Check::Unmatched(re) => (
                !re.is_match(&text),
                format!("the reply not to match /{re}/"),
            ),
            Check::Topic(id) => (
                reply.topic.as_deref() == Some(id.as_str()),
                format!(
                    "topic '{id}' (was {})",
                    reply.topic.as_deref().unwrap_or("none")
                ),
            ),
            Check::Fallback(yes) => (
                reply.fallback == *yes,
                if *yes { "a fallback" } else { "not a fallback" }.to_owned(),
            ),
            Check::Button(label) => (
                out.buttons
                    .iter()
                    .any(|b| b.to_lowercase().contains(&label.to_lowercase())),
                format!("a button containing '{label}' (buttons: {:?})", out.buttons),
            ),
            Check::Source(part) => (
                reply.sources.iter().any(|s| s.contains(part.as_str())),
                format!(
                    "a source containing '{part}' (sources: {:?})",
                    reply.sources
                ),
            ),
        };
        (!met).then_some(expected)
    }

    fn fail(&mut self, line: usize, expected: String) {
        let reply = self
            .replies
            .get(&self.user)
            .map(|out| out.messages.join("\n\n"))
            .unwrap_or_default();
        self.failures.push(Failure {
            file: self.file.to_owned(),
            line,
            expected,
            reply,
        });
    }
}

/// Lower case with runs of white space folded to one space.
fn fold(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The `.convo` files under each path (a file, or a folder searched recursively), sorted.
pub fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, RunError> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_file() {
            found.push(path.clone());
        } else if path.is_dir() {
            walk(path, &mut found)?;
        } else {
            return Err(RunError::Missing(path.display().to_string()));
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), RunError> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "convo") {
            found.push(path);
        }
    }
    Ok(())
}

/// How long a restart waits for the closed store's last writes to let go of its folder.
const REOPEN_TRIES: u32 = 100;
const REOPEN_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);

/// Opens the store again after closing it: sled's background writers may hold the folder's lock
/// for a moment after the last handle is dropped, so a failed open is retried for up to 2 s.
fn reopen(dir: &Path) -> Result<SledStore, StoreError> {
    let mut tries = 1;
    loop {
        match SledStore::open(dir) {
            Err(_) if tries < REOPEN_TRIES => {
                tries += 1;
                std::thread::sleep(REOPEN_PAUSE);
            }
            result => return result,
        }
    }
}
