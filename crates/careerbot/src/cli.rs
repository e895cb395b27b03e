//! Command-line arguments (`shared/spec/cli.md`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// careerbot: an unofficial guide to NHS careers.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// State directory (default: ./data).
    #[arg(long, global = true, env = "CAREERBOT_DATA")]
    pub data: Option<PathBuf>,
    /// Where state is kept: `sled` (in the state directory, the default) or a Redis server,
    /// `redis://HOST:PORT/DB`, shared by several careerbot processes.
    #[arg(
        long,
        global = true,
        env = "CAREERBOT_STORE",
        value_name = "sled|redis://HOST:PORT/DB"
    )]
    pub store: Option<String>,
    /// Redis only: every key begins with this (default `careerbot:`).
    #[arg(long, global = true, env = "CAREERBOT_STORE_PREFIX")]
    pub store_prefix: Option<String>,
    /// Knowledge folder (default: the copy embedded in the binary).
    #[arg(long, global = true, env = "CAREERBOT_KNOWLEDGE")]
    pub knowledge: Option<PathBuf>,
    /// Intents folder (default: the copy embedded in the binary).
    #[arg(long, global = true, env = "CAREERBOT_INTENTS")]
    pub intents: Option<PathBuf>,
    /// Configuration file (TOML); its settings are overridden by environment variables and flags.
    #[arg(long, global = true, env = "CAREERBOT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Forget users inactive for this many days (default 30).
    #[arg(long, global = true, env = "CAREERBOT_RETENTION_DAYS")]
    pub retention_days: Option<u64>,
    /// Log filter, e.g. `info` or `careerbot=debug` (logs go to standard error; default warn).
    #[arg(long, global = true, env = "CAREERBOT_LOG")]
    pub log: Option<String>,
    /// Log lines as text or as JSON objects (default text).
    #[arg(long, global = true, env = "CAREERBOT_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// What to do (default: chat).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Chat in the terminal; with --jsonl, one JSON request per input line.
    Chat {
        /// Batch mode: JSON lines in, JSON lines out.
        #[arg(long)]
        jsonl: bool,
    },
    /// Ask one question and print the reply.
    Ask {
        /// The user asking.
        #[arg(long, default_value = "local")]
        user: String,
        /// Print the reply as JSON.
        #[arg(long)]
        json: bool,
        /// The question.
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Run conversation transcripts (`shared/spec/transcripts.md`).
    Test {
        /// Transcript files or folders (default: tests/transcripts).
        paths: Vec<PathBuf>,
        /// Pass when at least this share of all the expectations holds (0 to 1), rather than
        /// only when every transcript passes: for realistic, held-out conversations.
        #[arg(long)]
        min_checks: Option<f64>,
    },
    /// Score a question set (`shared/spec/eval.md`).
    Eval {
        /// The question set (JSON lines).
        file: PathBuf,
        /// Print the result as one JSON object.
        #[arg(long)]
        json: bool,
        /// Exit 1 when the share passed is below this (0 to 1).
        #[arg(long)]
        min_accuracy: Option<f64>,
        /// For a safety set: exit 1 when the share of messages of an outcome recognised is
        /// below the minimum, e.g. `--min-recall crisis=1` (repeatable).
        #[arg(long, value_name = "OUTCOME=X")]
        min_recall: Vec<String>,
        /// For a safety set: exit 1 when more than this share of careers questions was
        /// diverted to a safety or patient-services reply.
        #[arg(long)]
        max_diverted: Option<f64>,
    },
    /// Show how a message is understood: words, corrections, best intents and entries.
    Explain {
        /// The message.
        text: Vec<String>,
        /// Read one message per line from standard input and print one explanation (JSON) per
        /// line.
        #[arg(long)]
        jsonl: bool,
    },
    /// Measure simulated users' conversations through the engine and a store in a temporary
    /// directory: time per turn, turns per second (durable), start-up time, peak memory.
    Bench {
        /// How many simulated users.
        #[arg(long, default_value_t = 1000)]
        users: usize,
        /// How many turns in all, shared between the users.
        #[arg(long, default_value_t = 20_000)]
        turns: usize,
        /// Print the figures as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Check the knowledge and intents (every link on the allow-list), that each entry's check
    /// questions reach it, and that its figures and names are on the pages its sources stand
    /// for.
    Check {
        /// Folder of the saved source pages (default: ../shared/seeds, when it exists).
        #[arg(long, value_name = "DIR")]
        seeds: Option<PathBuf>,
    },
    /// Run the Discord bot until Ctrl-C or SIGTERM; SIGHUP reloads the content (token in
    /// DISCORD_TOKEN; see deploy/README.md).
    Discord(DiscordArgs),
    /// Delete everything stored about one user.
    Forget {
        /// The user, as `channel:id` or a bare id on the cli channel.
        #[arg(long)]
        user: String,
    },
    /// Print everything stored about one user, as JSON.
    Export {
        /// The user, as `channel:id` or a bare id on the cli channel.
        #[arg(long)]
        user: String,
    },
    /// Run the Telegram bot until Ctrl-C or SIGTERM; SIGHUP reloads the content (token in
    /// TELEGRAM_TOKEN; TELEGRAM_API_URL for another Bot API server). Long polling unless
    /// --webhook-url is given.
    Telegram(TelegramArgs),
    /// Run every bot whose token is set (TELEGRAM_TOKEN, DISCORD_TOKEN) in one process, with
    /// /healthz, /readyz and /metrics over HTTP; SIGHUP reloads the content, SIGTERM stops.
    Serve(ServeArgs),
    /// Print the effective configuration (file < environment < flags) as TOML, secrets
    /// redacted.
    Config(ServeArgs),
    /// List the questions the bot could not answer well, grouped by similarity, with the
    /// nearest knowledge entries (reads the state store: stop the bot first).
    Unanswered {
        /// Print the groups as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Exit 0 when a running `careerbot serve` answers /healthz (or /readyz), else 1: for
    /// container health checks.
    Healthcheck {
        /// The HTTP address of the service (default: the configured `http`).
        #[arg(long, env = "CAREERBOT_HTTP")]
        http: Option<SocketAddr>,
        /// Check /readyz (every bot connected) instead of /healthz.
        #[arg(long)]
        ready: bool,
    },
}

/// How log lines are written.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The Telegram bot's flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TelegramArgs {
    /// Public HTTPS URL Telegram posts updates to (webhook mode, behind a reverse proxy).
    #[arg(long, env = "TELEGRAM_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// Local address the webhook server listens on (default 127.0.0.1:8443).
    #[arg(long, env = "TELEGRAM_LISTEN")]
    pub listen: Option<SocketAddr>,
}

/// The Discord bot's flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DiscordArgs {
    /// A channel id where every message is answered, not only mentions (repeatable; added to
    /// those in DISCORD_CHANNELS, comma-separated, and in the configuration file).
    #[arg(long = "channel", value_name = "ID")]
    pub channels: Vec<u64>,
    /// How many shards to run (default: as many as Discord recommends).
    #[arg(long, env = "DISCORD_SHARDS", value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: Option<u32>,
    /// The shards this process runs, when several processes split the gateway: `A..B` (B
    /// excluded), `A..=B` or `A`; needs --shards.
    #[arg(long, env = "DISCORD_SHARD_IDS", value_name = "A..B")]
    pub shard_ids: Option<String>,
}

/// The flags of `serve` (and `config`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address of the HTTP listener for /healthz, /readyz and /metrics (default
    /// 127.0.0.1:9000).
    #[arg(long, env = "CAREERBOT_HTTP")]
    pub http: Option<SocketAddr>,
    /// The Telegram bot's flags.
    #[command(flatten)]
    pub telegram: TelegramArgs,
    /// The Discord bot's flags.
    #[command(flatten)]
    pub discord: DiscordArgs,
}

impl Command {
    /// The service flags this command was given, if it takes any.
    pub fn service_args(&self) -> ServeArgs {
        match self {
            Command::Serve(args) | Command::Config(args) => args.clone(),
            Command::Telegram(telegram) => ServeArgs {
                telegram: telegram.clone(),
                ..ServeArgs::default()
            },
            Command::Discord(discord) => ServeArgs {
                discord: discord.clone(),
                ..ServeArgs::default()
            },
            Command::Healthcheck { http, .. } => ServeArgs {
                http: *http,
                ..ServeArgs::default()
            },
            _ => ServeArgs::default(),
        }
    }
}

impl Default for Command {
    fn default() -> Command {
        Command::Chat { jsonl: false }
    }
}
