//! The engine's content: the knowledge base and the intents, as text files.

use std::path::Path;

use knowledge::SourceFile;

use crate::Error;

/// The files the engine is built from.
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// Files of `knowledge/`: entries (`*.md`) and roles (`roles/*.toml`).
    pub knowledge: Vec<SourceFile>,
    /// Files of `intents/`: `lexicon.toml`, `messages.toml`, `profile.toml`, `finder.toml`,
    /// `reading.toml`, `places.toml`, `safety-signs.toml` and intent files.
    pub intents: Vec<SourceFile>,
}

/// The intents files with a fixed meaning; every other `*.toml` file holds intents.
pub(crate) const LEXICON: &str = "lexicon.toml";
pub(crate) const MESSAGES: &str = "messages.toml";
pub(crate) const PROFILE: &str = "profile.toml";
pub(crate) const FINDER: &str = "finder.toml";
pub(crate) const READING: &str = "reading.toml";
pub(crate) const PLACES: &str = "places.toml";
pub(crate) const SAFETY_SIGNS: &str = "safety-signs.toml";
pub(crate) const ENGLISH: &str = "english.txt";
pub(crate) const SAFETY_EXAMPLES: &str = "safety-examples.toml";
/// Every intents file with a fixed meaning.
const SPECIAL: [&str; 8] = [
    LEXICON,
    MESSAGES,
    PROFILE,
    FINDER,
    READING,
    PLACES,
    SAFETY_SIGNS,
    SAFETY_EXAMPLES,
];

impl Content {
    /// Reads the content from two folders.
    pub fn from_dirs(knowledge: &Path, intents: &Path) -> Result<Content, Error> {
        Ok(Content {
            knowledge: knowledge::read_dir(knowledge, "knowledge")?,
            intents: knowledge::read_dir(intents, "intents")?,
        })
    }

    /// The intents file with this name (e.g. `lexicon.toml`).
    pub(crate) fn intents_file(&self, name: &str) -> Result<&SourceFile, Error> {
        self.intents
            .iter()
            .find(|f| file_name(&f.path) == name)
            .ok_or_else(|| Error::content(&format!("intents/{name}"), 1, "the file is missing"))
    }

    /// The files that hold intents.
    pub(crate) fn intent_files(&self) -> impl Iterator<Item = &SourceFile> {
        self.intents.iter().filter(|f| {
            let name = file_name(&f.path);
            name.ends_with(".toml") && !SPECIAL.contains(&name)
        })
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The text between each pair of double quotes of a TOML file outside comments: the phrases
/// of a phrase list.
pub(crate) fn quoted(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .flat_map(|line| line.split('"').skip(1).step_by(2))
}
