//! Configuration (file < environment < flags), logging, and building the engine and store.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use engine::{Content, Conversations, Engine};
use knowledge::SourceFile;
use serde::Deserialize;
use store::SledStore;

use crate::cli::Args;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Settings that may come from a configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    knowledge: Option<PathBuf>,
    intents: Option<PathBuf>,
    retention_days: Option<u64>,
}

/// Users inactive for this many days are forgotten, unless configured otherwise.
const RETENTION_DAYS: u64 = 30;

/// The resolved configuration.
#[derive(Debug)]
pub struct Config {
    /// State directory.
    pub data: PathBuf,
    /// Knowledge folder, or `None` for the embedded copy.
    pub knowledge: Option<PathBuf>,
    /// Intents folder, or `None` for the embedded copy.
    pub intents: Option<PathBuf>,
    /// Users inactive for this many days are forgotten.
    pub retention_days: u64,
}

impl Config {
    /// Layers the configuration file, the environment and the flags (clap has already put
    /// environment values into `args` where no flag was given).
    pub fn resolve(args: &Args) -> anyhow::Result<Config> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("invalid configuration {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        Ok(Config {
            data: args
                .data
                .clone()
                .or(file.data)
                .unwrap_or_else(|| PathBuf::from("data")),
            knowledge: args.knowledge.clone().or(file.knowledge),
            intents: args.intents.clone().or(file.intents),
            retention_days: args
                .retention_days
                .or(file.retention_days)
                .unwrap_or(RETENTION_DAYS),
        })
    }

    /// The content files: from the configured folders, or the embedded copies.
    pub fn content(&self) -> anyhow::Result<Content> {
        Ok(Content {
            knowledge: files(self.knowledge.as_deref(), "knowledge", embedded::KNOWLEDGE)?,
            intents: files(self.intents.as_deref(), "intents", embedded::INTENTS)?,
        })
    }

    /// Builds the engine from the content.
    pub fn engine(&self) -> anyhow::Result<Engine> {
        Ok(Engine::new(&self.content()?)?)
    }

    /// Builds the engine and opens the state store. Long-running commands purge inactive users
    /// in the background (`adapter::Purger`).
    pub fn conversations(&self) -> anyhow::Result<Conversations<SledStore>> {
        let engine = self.engine()?;
        let store = self.store()?;
        Ok(Conversations::new(engine, store).with_retention(self.retention_days))
    }

    /// Opens the state store.
    pub fn store(&self) -> anyhow::Result<SledStore> {
        SledStore::open(&self.data)
            .with_context(|| format!("cannot open the state store in {}", self.data.display()))
    }
}

fn files(
    dir: Option<&Path>,
    prefix: &str,
    embedded: &[(&str, &str)],
) -> anyhow::Result<Vec<SourceFile>> {
    match dir {
        Some(dir) => Ok(knowledge::read_dir(dir, prefix)?),
        None => Ok(embedded
            .iter()
            .map(|(path, text)| SourceFile {
                path: (*path).to_owned(),
                text: (*text).to_owned(),
            })
            .collect()),
    }
}

/// Sends `tracing` output to standard error, filtered by `--log` (default: warnings).
pub fn logging(args: &Args) {
    let filter = args.log.as_deref().unwrap_or("warn");
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
