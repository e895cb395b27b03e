//! Configuration in layers (file < environment < flags) as one struct, logging, and building
//! the engine and store.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use adapter::Secret;
use anyhow::Context as _;
use engine::{Content, Conversations, Engine};
use knowledge::SourceFile;
use serde::{Deserialize, Serialize};
use store::{AnyStore, RedisOptions, StoreUrl};

use crate::cli::{Args, LogFormat};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Users inactive for this many days are forgotten, unless configured otherwise.
const RETENTION_DAYS: u64 = 30;
/// Where `serve` listens for /healthz, /readyz and /metrics, unless configured otherwise.
pub const HTTP: &str = "127.0.0.1:9000";
/// Where the Telegram webhook server listens, unless configured otherwise.
const TELEGRAM_LISTEN: &str = "127.0.0.1:8443";
/// The log filter unless configured otherwise: problems only.
const LOG: &str = "warn";

/// The configuration file (`--config`, TOML), and the form `careerbot config` prints. Unknown
/// keys are refused. Tokens are never read from it: they come from the environment only.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    store: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    store_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    knowledge: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    intents: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retention_days: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_format: Option<LogFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http: Option<SocketAddr>,
    #[serde(default)]
    telegram: TelegramFile,
    #[serde(default)]
    discord: DiscordFile,
}

/// The `[telegram]` table.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct TelegramFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    api_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<SocketAddr>,
}

/// The `[discord]` table.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct DiscordFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    api_url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    channels: Vec<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shards: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shard_ids: Option<String>,
}

/// The effective configuration: every setting, from the file, the environment and the flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// State directory.
    pub data: PathBuf,
    /// Where state is kept: sled in `data`, or Redis.
    pub store: StoreUrl,
    /// Redis only: the prefix of every key.
    pub store_prefix: String,
    /// Knowledge folder, or `None` for the embedded copy.
    pub knowledge: Option<PathBuf>,
    /// Intents folder, or `None` for the embedded copy.
    pub intents: Option<PathBuf>,
    /// Users inactive for this many days are forgotten, and unanswered questions too.
    pub retention_days: u64,
    /// The log filter.
    pub log: String,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// Where `serve` listens for /healthz, /readyz and /metrics.
    pub http: SocketAddr,
    /// The Telegram bot's settings.
    pub telegram: TelegramSettings,
    /// The Discord bot's settings.
    pub discord: DiscordSettings,
}

/// The Telegram bot's settings.
#[derive(Debug, Clone)]
pub struct TelegramSettings {
    /// `TELEGRAM_TOKEN`, if set.
    pub token: Option<Secret>,
    /// A Bot API server other than Telegram's (`TELEGRAM_API_URL`).
    pub api_url: Option<String>,
    /// Webhook mode: the public URL Telegram posts to.
    pub webhook_url: Option<String>,
    /// Webhook mode: the local address to listen on.
    pub listen: SocketAddr,
    /// Webhook mode: the secret shared by every instance behind the proxy
    /// (`TELEGRAM_WEBHOOK_SECRET`, from the environment only).
    pub webhook_secret: Option<Secret>,
}

/// The Discord bot's settings.
#[derive(Debug, Clone)]
pub struct DiscordSettings {
    /// `DISCORD_TOKEN`, if set.
    pub token: Option<Secret>,
    /// A base URL replacing `https://discord.com` (`DISCORD_API_URL`).
    pub api_url: Option<String>,
    /// Channels where every message is answered (file, environment and flags together).
    pub channels: Vec<u64>,
    /// How many shards, or `None` for Discord's recommendation.
    pub shards: Option<u32>,
    /// The shards this process runs, or `None` for all of them.
    pub shard_ids: Option<discord::ShardIds>,
}

impl Config {
    /// Layers the configuration file, the environment and the flags (clap has already put
    /// environment values into `args` where no flag was given).
    pub fn resolve(args: &Args) -> anyhow::Result<Config> {
        Config::layer(args, &|name| std::env::var(name).ok())
    }

    /// `resolve`, reading the environment variables clap does not through `env`.
    fn layer(args: &Args, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                parse_file(&text)
                    .with_context(|| format!("invalid configuration {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let flags = args
            .command
            .as_ref()
            .map(crate::cli::Command::service_args)
            .unwrap_or_default();
        let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let mut channels = file.discord.channels;
        if let Some(list) = set(discord::CHANNELS_VAR) {
            channels.extend(discord::parse_channels(&list)?);
        }
        channels.extend(&flags.discord.channels);
        channels.sort_unstable();
        channels.dedup();
        let discord_api_url = set(discord::API_URL_VAR)
            .or(file.discord.api_url)
            .map(|url| discord::api_url(&url))
            .transpose()?;
        if file.store.as_deref().is_some_and(has_password) {
            anyhow::bail!(
                "the configuration file's `store` holds a password: give the URL with its \
                 password in CAREERBOT_STORE instead (secrets come from the environment only)"
            );
        }
        let store = StoreUrl::parse(
            args.store
                .as_deref()
                .or(file.store.as_deref())
                .unwrap_or(""),
        )?;
        let store_prefix = args
            .store_prefix
            .clone()
            .or(file.store_prefix)
            .unwrap_or_else(|| store::DEFAULT_PREFIX.to_owned());
        let shards = flags.discord.shards.or(file.discord.shards);
        if shards == Some(0) {
            anyhow::bail!("the Discord shard count must be at least 1");
        }
        let shard_ids = flags
            .discord
            .shard_ids
            .or(file.discord.shard_ids)
            .map(|ids| discord::ShardIds::parse(&ids)?.check(shards))
            .transpose()?;
        Ok(Config {
            data: args
                .data
                .clone()
                .or(file.data)
                .unwrap_or_else(|| PathBuf::from("data")),
            store,
            store_prefix,
            knowledge: args.knowledge.clone().or(file.knowledge),
            intents: args.intents.clone().or(file.intents),
            retention_days: args
                .retention_days
                .or(file.retention_days)
                .unwrap_or(RETENTION_DAYS),
            log: args
                .log
                .clone()
                .or(file.log)
                .unwrap_or_else(|| LOG.to_owned()),
            log_format: args.log_format.or(file.log_format).unwrap_or_default(),
            http: flags.http.or(file.http).unwrap_or_else(default_http),
            telegram: TelegramSettings {
                token: set("TELEGRAM_TOKEN").map(Secret::new),
                api_url: set("TELEGRAM_API_URL").or(file.telegram.api_url),
                webhook_url: flags.telegram.webhook_url.or(file.telegram.webhook_url),
                listen: flags
                    .telegram
                    .listen
                    .or(file.telegram.listen)
                    .unwrap_or_else(|| address(TELEGRAM_LISTEN)),
                webhook_secret: set("TELEGRAM_WEBHOOK_SECRET").map(Secret::new),
            },
            discord: DiscordSettings {
                token: set(discord::TOKEN_VAR).map(Secret::new),
                api_url: discord_api_url,
                channels,
                shards,
                shard_ids,
            },
        })
    }

    /// The effective configuration as a configuration file, secrets redacted (as comments).
    pub fn to_toml(&self) -> anyhow::Result<String> {
        let file = FileConfig {
            data: Some(self.data.clone()),
            store: Some(without_password(&self.store)),
            store_prefix: Some(self.store_prefix.clone()),
            knowledge: self.knowledge.clone(),
            intents: self.intents.clone(),
            retention_days: Some(self.retention_days),
            log: Some(self.log.clone()),
            log_format: Some(self.log_format),
            http: Some(self.http),
            telegram: TelegramFile {
                api_url: self.telegram.api_url.clone(),
                webhook_url: self.telegram.webhook_url.clone(),
                listen: Some(self.telegram.listen),
            },
            discord: DiscordFile {
                api_url: self.discord.api_url.clone(),
                channels: self.discord.channels.clone(),
                shards: self.discord.shards,
                shard_ids: self.discord.shard_ids.map(|ids| ids.to_string()),
            },
        };
        let shown = |token: &Option<Secret>| match token {
            Some(token) => format!("set ({token})"),
            None => "not set".to_owned(),
        };
        let embedded = |dir: &Option<PathBuf>| match dir {
            Some(_) => "",
            None => " (not set: the copy built into the binary)",
        };
        let store_password = match &self.store {
            StoreUrl::Redis(url) if has_password(url) => {
                "\n# the store's password: set ([redacted])"
            }
            _ => "",
        };
        Ok(format!(
            "# careerbot's effective configuration: file < environment < flags.\n\
             # TELEGRAM_TOKEN: {}\n# TELEGRAM_WEBHOOK_SECRET: {}\n# DISCORD_TOKEN: {}{store_password}\n# knowledge{}\n# intents{}\n\n{}",
            shown(&self.telegram.token),
            shown(&self.telegram.webhook_secret),
            shown(&self.discord.token),
            embedded(&self.knowledge),
            embedded(&self.intents),
            toml::to_string(&file)?
        ))
    }

    /// The content files: from the configured folders, or the embedded copies.
    pub fn content(&self) -> anyhow::Result<Content> {
        Ok(Content {
            knowledge: files(self.knowledge.as_deref(), "knowledge", embedded::KNOWLEDGE)?,
            intents: files(self.intents.as_deref(), "intents", embedded::INTENTS)?,
        })
    }

    /// Builds the engine from the content, and checks that every web address in it is on the
    /// allow-list `knowledge/sources.toml` (the knowledge checks its own addresses against it;
    /// the intents' are checked here).
    pub fn engine(&self) -> anyhow::Result<Engine> {
        let content = self.content()?;
        let engine = Engine::new(&content)?;
        let sources = engine.knowledge().sources.as_ref().with_context(|| {
            format!(
                "knowledge/{} is missing: every source link must be on its allow-list",
                knowledge::SOURCES_FILE
            )
        })?;
        sources.check_files(&content.intents)?;
        Ok(engine)
    }

    /// Builds the engine and opens the state store. Long-running commands purge inactive users
    /// in the background (`adapter::Purger`).
    pub fn conversations(&self) -> anyhow::Result<Conversations<AnyStore>> {
        let engine = self.engine()?;
        let store = self.store()?;
        Ok(Conversations::new(engine, store).with_retention(self.retention_days))
    }

    /// Opens the state store: sled in the state directory, or the configured Redis server
    /// (whose records expire after the retention period).
    pub fn store(&self) -> anyhow::Result<AnyStore> {
        let options = RedisOptions {
            prefix: self.store_prefix.clone(),
            retention: Some(std::time::Duration::from_secs(
                self.retention_days.saturating_mul(86_400),
            )),
            ..RedisOptions::default()
        };
        AnyStore::open(&self.store, &self.data, options).with_context(|| match &self.store {
            StoreUrl::Sled => format!(
                "cannot open the state store in {} (one process at a time: is careerbot \
                 running on it? Several processes share a Redis store: see --store)",
                self.data.display()
            ),
            StoreUrl::Redis(_) => format!(
                "cannot open the Redis state store {}",
                self.store.redacted()
            ),
        })
    }

    /// Where state is kept, for logs: the directory, or the Redis server (no password).
    pub fn store_description(&self) -> String {
        match &self.store {
            StoreUrl::Sled => format!("sled in {}", self.data.display()),
            StoreUrl::Redis(_) => format!(
                "redis {} (keys under {})",
                without_password(&self.store),
                self.store_prefix
            ),
        }
    }
}

/// Whether a URL carries a password (or a user name, which may be a secret too).
fn has_password(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| u.password().is_some() || !u.username().is_empty())
}

/// The store setting with any user name and password removed.
fn without_password(store: &StoreUrl) -> String {
    match store {
        StoreUrl::Sled => "sled".to_owned(),
        StoreUrl::Redis(url) => match url::Url::parse(url) {
            Ok(mut parsed) => {
                let _ = parsed.set_password(None);
                let _ = parsed.set_username("");
                parsed.to_string()
            }
            Err(_) => store.redacted(),
        },
    }
}

fn parse_file(text: &str) -> anyhow::Result<FileConfig> {
    Ok(toml::from_str(text)?)
}

fn address(text: &str) -> SocketAddr {
    text.parse()
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)))
}

fn default_http() -> SocketAddr {
    address(HTTP)
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

/// Sends `tracing` output to standard error, filtered by the configured filter, as text or JSON.
pub fn logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(LOG));
    // Colours only on a terminal: never escape codes in a journal or a log file.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn config(argv: &[&str], env: &[(&str, &str)], file: Option<&str>) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("careerbot.toml");
        let mut all = vec!["careerbot"];
        if let Some(text) = file {
            std::fs::write(&path, text).expect("write");
            all.extend(["--config", path.to_str().expect("utf-8")]);
        }
        all.extend(argv);
        let args = Args::try_parse_from(all).expect("arguments");
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::layer(&args, &|name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn flags_beat_the_environment_which_beats_the_file() {
        let file = "http = \"127.0.0.1:7000\"\nlog = \"debug\"\nretention_days = 7\n\
                    [telegram]\napi_url = \"http://file\"\n[discord]\nchannels = [1]\nshards = 2\n";
        let from_file = config(&["serve"], &[], Some(file)).expect("valid");
        assert_eq!(from_file.http.port(), 7000);
        assert_eq!(
            (from_file.log.as_str(), from_file.retention_days),
            ("debug", 7)
        );
        assert_eq!(from_file.telegram.api_url.as_deref(), Some("http://file"));
        assert_eq!(from_file.discord.shards, Some(2));
        let env = [
            ("TELEGRAM_API_URL", "http://env"),
            ("DISCORD_CHANNELS", "2, 3"),
            ("TELEGRAM_TOKEN", "123:secret"),
        ];
        let layered = config(
            &[
                "serve",
                "--http",
                "127.0.0.1:9100",
                "--channel",
                "4",
                "--shards",
                "3",
            ],
            &env,
            Some(file),
        )
        .expect("valid");
        assert_eq!(layered.http.port(), 9100);
        assert_eq!(layered.telegram.api_url.as_deref(), Some("http://env"));
        assert_eq!(
            layered.discord.channels,
            [1, 2, 3, 4],
            "channel lists add up"
        );
        assert_eq!(layered.discord.shards, Some(3));
        assert!(layered.discord.token.is_none());
        let printed = layered.to_toml().expect("printed");
        assert!(
            printed.contains("TELEGRAM_TOKEN: set ([redacted])"),
            "{printed}"
        );
        assert!(!printed.contains("secret"), "{printed}");
        let defaults = config(&["serve"], &[], None).expect("valid");
        assert_eq!(defaults.http.to_string(), HTTP);
        assert_eq!(defaults.log, LOG);
    }

    #[test]
    fn the_store_is_sled_unless_a_redis_url_is_given_and_its_password_never_shows() {
        let default = config(&["chat"], &[], None).expect("valid");
        assert_eq!(default.store, StoreUrl::Sled);
        assert_eq!(default.store_prefix, "careerbot:");
        let file = "store = \"redis://127.0.0.1:6390/1\"\nstore_prefix = \"nhs:\"\n";
        let from_file = config(&["chat"], &[], Some(file)).expect("valid");
        assert_eq!(
            from_file.store,
            StoreUrl::Redis("redis://127.0.0.1:6390/1".to_owned())
        );
        assert_eq!(from_file.store_prefix, "nhs:");
        let flagged = config(
            &["--store", "redis://:hunter2@db:6379/0", "chat"],
            &[],
            Some(file),
        )
        .expect("valid");
        let printed = flagged.to_toml().expect("printed");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(
            printed.contains("store = \"redis://db:6379/0\""),
            "{printed}"
        );
        assert!(printed.contains("the store's password: set"), "{printed}");
        assert!(!format!("{flagged:?}").contains("hunter2"));
        assert!(!flagged.store_description().contains("hunter2"));
        let error = config(&["chat"], &[], Some("store = \"redis://:pw@db:6379/0\""))
            .expect_err("no password in the file");
        assert!(
            format!("{error:#}").contains("CAREERBOT_STORE"),
            "{error:#}"
        );
        assert!(config(&["--store", "mongodb://x", "chat"], &[], None).is_err());
    }

    #[test]
    fn the_printed_configuration_reads_back_the_same() {
        let first = config(&["config", "--channel", "5"], &[], None).expect("valid");
        let printed = first.to_toml().expect("printed");
        let again = config(&["config"], &[], Some(&printed)).expect("reads back");
        assert_eq!(again.to_toml().expect("printed"), printed);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        let error = config(&["serve"], &[], Some("htttp = \"x\"")).expect_err("unknown key");
        assert!(
            format!("{error:#}").contains("unknown field `htttp`"),
            "{error:#}"
        );
        assert!(config(&["serve"], &[], Some("[telegram]\ntoken = \"x\"")).is_err());
        assert!(config(&["serve"], &[("DISCORD_API_URL", "discord.com")], None).is_err());
        assert!(config(&["serve"], &[], Some("[discord]\nshards = 0")).is_err());
        assert!(
            config(&["serve", "--shard-ids", "0..2"], &[], None).is_err(),
            "needs --shards"
        );
        assert!(
            config(
                &["serve", "--shards", "2", "--shard-ids", "1..3"],
                &[],
                None
            )
            .is_err()
        );
        let split = config(
            &["serve", "--shards", "4", "--shard-ids", "2..4"],
            &[],
            None,
        )
        .expect("valid");
        assert_eq!(
            split.discord.shard_ids.map(|ids| (ids.first, ids.last)),
            Some((2, 3))
        );
        let printed = split.to_toml().expect("printed");
        assert!(printed.contains("shard_ids = \"2..=3\""), "{printed}");
    }
}
