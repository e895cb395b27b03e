//! Conversational intents: small talk, safety routing and the bot's own actions.

use serde::Deserialize;

use crate::{Engine, Error, Reply};

/// What kind of intent it is, which decides whether its reply is a fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IntentKind {
    /// Greetings, thanks and the like: answered, not a fallback.
    Smalltalk,
    /// Something the engine does ("tell me more", "start over"): not a fallback.
    Action,
    /// A medical emergency: 999 at once.
    Emergency,
    /// A person in crisis (thoughts of suicide or self-harm): Samaritans, 999 if in danger now.
    Crisis,
    /// Another health worry: NHS 111 and nhs.uk.
    Health,
    /// Using NHS services as a patient, which the bot does not do.
    PatientServices,
    /// Anything else outside NHS careers.
    OutOfScope,
}

impl IntentKind {
    /// True when a reply to this kind of intent is a fallback.
    pub fn is_fallback(self) -> bool {
        !matches!(self, IntentKind::Smalltalk | IntentKind::Action)
    }

    /// True for the safety replies: a medical emergency (999), a crisis (Samaritans) or a health worry (NHS 111). Such
    /// replies are never counted as unanswered questions, and their messages are never kept
    /// beyond the user's own state. Every kind is listed, so that a new kind has to be placed.
    pub fn is_safety(self) -> bool {
        match self {
            IntentKind::Emergency | IntentKind::Crisis | IntentKind::Health => true,
            IntentKind::Smalltalk
            | IntentKind::Action
            | IntentKind::PatientServices
            | IntentKind::OutOfScope => false,
        }
    }

    /// The order in which trigger phrases are checked: emergencies first.
    pub(crate) fn trigger_priority(self) -> u8 {
        match self {
            IntentKind::Emergency => 0,
            IntentKind::Crisis => 1,
            IntentKind::Health => 1,
            IntentKind::PatientServices => 2,
            IntentKind::OutOfScope => 3,
            IntentKind::Smalltalk | IntentKind::Action => 4,
        }
    }
}

/// What an action intent does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// "Tell me more": the topic's longer part, then related entries.
    More,
    /// "Start over": clear the conversation (what the user told about themselves stays).
    Reset,
    /// "Forget me": ask for confirmation, then delete everything stored about the user.
    Forget,
    /// "What do you know about me": show everything stored about the user.
    MyData,
    /// Start the career finder.
    Finder,
    /// Leave the career finder.
    Cancel,
    /// Compare two or three roles side by side.
    Compare,
}

/// One intent, as written in `intents/*.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intent {
    /// Unique id, `group.name`.
    pub id: String,
    /// What kind of intent it is.
    pub kind: IntentKind,
    /// Ways people say it.
    pub examples: Vec<String>,
    /// Phrases that route a message here whenever they appear in it.
    #[serde(default)]
    pub triggers: Vec<String>,
    /// Reply variants, used in turn.
    #[serde(default)]
    pub replies: Vec<String>,
    /// Buttons offered with the reply.
    #[serde(default)]
    pub suggestions: Vec<String>,
    /// Links the reply rests on.
    #[serde(default)]
    pub sources: Vec<String>,
    /// What an `action` intent does.
    #[serde(default)]
    pub action: Option<Action>,
    /// Slash commands that select this intent directly (`start` for `/start`).
    #[serde(default)]
    pub commands: Vec<String>,
    /// A knowledge entry that answers this intent, instead of `replies`.
    #[serde(default)]
    pub entry: Option<String>,
}

impl Engine {
    /// True when `reply` is a safety reply (see `IntentKind::is_safety`): it came from an intent
    /// of a safety kind.
    pub fn is_safety(&self, reply: &Reply) -> bool {
        self.intent_kind(reply).is_some_and(IntentKind::is_safety)
    }

    /// The kind of the intent that produced `reply`, if an intent did.
    pub fn intent_kind(&self, reply: &Reply) -> Option<IntentKind> {
        let id = reply.topic.as_deref()?;
        self.intents().iter().find(|i| i.id == id).map(|i| i.kind)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntentFile {
    #[serde(default)]
    intent: Vec<Intent>,
}

impl Intent {
    /// Parses every `[[intent]]` of one file.
    pub(crate) fn parse_file(file: &str, text: &str) -> Result<Vec<Intent>, Error> {
        let parsed: IntentFile = toml::from_str(text).map_err(|e| Error::toml(file, text, &e))?;
        for intent in &parsed.intent {
            let line = text
                .find(&format!("\"{}\"", intent.id))
                .map_or(1, |at| matcher::line_of(text, at));
            if intent.examples.is_empty()
                && intent.triggers.is_empty()
                && intent.commands.is_empty()
            {
                return Err(Error::content(
                    file,
                    line,
                    format!("intent '{}' has no examples", intent.id),
                ));
            }
            if intent.kind == IntentKind::Action && intent.action.is_none() {
                return Err(Error::content(
                    file,
                    line,
                    format!("action intent '{}' needs an `action`", intent.id),
                ));
            }
            let answered = intent.kind == IntentKind::Action || intent.entry.is_some();
            if intent.replies.is_empty() && !answered {
                return Err(Error::content(
                    file,
                    line,
                    format!("intent '{}' has no replies", intent.id),
                ));
            }
        }
        Ok(parsed.intent)
    }
}
