//! The careers knowledge base: entries and the role catalogue read from `knowledge/`, checked,
//! and indexed for retrieval.
//!
//! Reading (`Knowledge::parse`) is kept apart from searching (`Retriever`): the knowledge is
//! parsed and validated once, then built into an in-RAM tantivy index and a phrase index that
//! answer queries with ranked hits and a calibrated confidence.
//!
//! Every web address in the knowledge must be on the allow-list `knowledge/sources.toml`
//! (`Sources`), which also says which saved source pages each address stands for, so that
//! `provenance::check` can check each entry's figures and names against the pages it cites.

mod entry;
mod files;
pub mod provenance;
mod retriever;
mod role;
mod sources;

pub use entry::Entry;
pub use files::{SourceFile, read_dir};
pub use retriever::{Hit, Retriever};
pub use role::Role;
pub use sources::{Page, SOURCES_FILE, Sources};

use std::collections::HashSet;

/// What can go wrong while reading or indexing the knowledge base.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file is malformed or inconsistent with the others.
    #[error("{file}:{line}: {message}")]
    Invalid {
        /// The file, as given to `Knowledge::parse`.
        file: String,
        /// The 1-based line of the problem.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A knowledge folder could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path that failed.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The search index could not be built.
    #[error("cannot build the search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

impl Error {
    fn invalid(file: &str, line: usize, message: impl Into<String>) -> Error {
        Error::Invalid {
            file: file.to_owned(),
            line,
            message: message.into(),
        }
    }
}

/// The whole knowledge base, validated.
#[derive(Debug, Default, Clone)]
pub struct Knowledge {
    /// Every entry, in file order.
    pub entries: Vec<Entry>,
    /// Every role of the catalogue, in file order.
    pub roles: Vec<Role>,
    /// The allow-list of addresses (`sources.toml`), when the files include one.
    pub sources: Option<Sources>,
}

impl Knowledge {
    /// Parses and validates every file: `*.md` files are entries, `*.toml` files under a `roles`
    /// folder are roles, `sources.toml` is the allow-list of addresses; other files (such as
    /// `README.md` at the top) are ignored. When there is an allow-list, every web address in
    /// every file must be on it.
    pub fn parse(files: &[SourceFile]) -> Result<Knowledge, Error> {
        let mut knowledge = Knowledge {
            sources: Sources::find(files)?,
            ..Knowledge::default()
        };
        for file in files {
            let path = file.path.replace('\\', "/");
            let name = path.rsplit('/').next().unwrap_or(&path);
            if name.eq_ignore_ascii_case("README.md") {
                continue;
            }
            if path.ends_with(".md") {
                knowledge
                    .entries
                    .push(Entry::parse(&file.path, &file.text)?);
            } else if path.ends_with(".toml") && path.contains("roles/") {
                knowledge.roles.push(Role::parse(&file.path, &file.text)?);
            }
        }
        knowledge.validate(files)?;
        if let Some(sources) = &knowledge.sources {
            sources.check_files(files)?;
        }
        Ok(knowledge)
    }

    /// The entry with this id.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The role with this id.
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// Checks what no single file can: unique ids, names that belong to one role only, and links
    /// between files.
    fn validate(&self, files: &[SourceFile]) -> Result<(), Error> {
        let line_of = |file: &str, needle: &str| {
            files
                .iter()
                .find(|f| f.path == file)
                .and_then(|f| f.text.find(needle).map(|at| matcher::line_of(&f.text, at)))
                .unwrap_or(1)
        };
        let mut ids = HashSet::new();
        let all_ids = self.entries.iter().map(|e| (&e.id, &e.file));
        for (id, file) in all_ids.chain(self.roles.iter().map(|r| (&r.id, &r.file))) {
            if !ids.insert(id.as_str()) {
                let message = format!("the id '{id}' is used twice");
                return Err(Error::invalid(file, line_of(file, id), message));
            }
        }
        for entry in &self.entries {
            if let Some(missing) = entry.related.iter().find(|r| self.entry(r).is_none()) {
                let message = format!("related entry '{missing}' does not exist");
                return Err(Error::invalid(
                    &entry.file,
                    line_of(&entry.file, missing),
                    message,
                ));
            }
        }
        let mut names = std::collections::HashMap::new();
        for role in &self.roles {
            for name in role.names() {
                let key = name.trim().to_lowercase();
                match names.insert(key, &role.id) {
                    Some(other) if *other != role.id => {
                        let message = format!("the name '{name}' is also a name of {other}");
                        return Err(Error::invalid(
                            &role.file,
                            line_of(&role.file, name),
                            message,
                        ));
                    }
                    _ => {}
                }
            }
        }
        for role in &self.roles {
            if !role.entry.is_empty() && self.entry(&role.entry).is_none() {
                let message = format!("entry '{}' does not exist", role.entry);
                let line = line_of(&role.file, &role.entry);
                return Err(Error::invalid(&role.file, line, message));
            }
        }
        Ok(())
    }
}

/// A TOML error's message on one line.
fn toml_message(error: &toml::de::Error) -> String {
    let lines = error
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty());
    lines.collect::<Vec<_>>().join(": ")
}

/// Checks that a source link is a web address.
fn check_source(file: &str, line: usize, source: &str) -> Result<(), Error> {
    let valid = source.starts_with("https://") && sources::is_web_address(source);
    if valid {
        Ok(())
    } else {
        Err(Error::invalid(
            file,
            line,
            format!("source '{source}' is not an https:// link"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository() -> (Vec<SourceFile>, Knowledge) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge");
        let files = read_dir(&dir, "knowledge").expect("knowledge folder");
        let knowledge = Knowledge::parse(&files).expect("the knowledge is valid");
        (files, knowledge)
    }

    #[test]
    fn the_repository_knowledge_has_its_allow_list_and_everyday_words() {
        let (_, knowledge) = repository();
        let sources = knowledge.sources.as_ref().expect("knowledge/sources.toml");
        for role in &knowledge.roles {
            assert!(
                !role.described_as.is_empty(),
                "{}: give 'described_as', how people describe the job",
                role.file
            );
            for source in &role.sources {
                assert!(sources.page(source).is_some(), "{}: {source}", role.file);
            }
        }
    }

    #[test]
    fn a_name_belongs_to_one_role() {
        let role = |id: &str, alias: &str| SourceFile {
            path: format!("knowledge/roles/{id}.toml"),
            text: format!(
                "id = \"role.{id}\"\nname = \"{id}\"\naliases = [\"{alias}\"]\ncategory = \"\"\nwhat = \"x\"\nentry_routes = []\nqualifications = \"\"\nregulator = \"\"\ntraining = \"\"\nin_demand = false\ndemand = \"\"\nsettings = []\nentry = \"\"\nsources = [\"https://a.example\"]\n"
            ),
        };
        let err = Knowledge::parse(&[role("nurse", "RN"), role("midwife", "rn")])
            .expect_err("a name used twice");
        assert_eq!(
            err.to_string(),
            "knowledge/roles/midwife.toml:3: the name 'rn' is also a name of role.nurse"
        );
        assert!(Knowledge::parse(&[role("nurse", "RN"), role("midwife", "RM")]).is_ok());
    }
}
