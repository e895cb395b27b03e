//! Command-line arguments (`shared/spec/cli.md`).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// careerbot: an unofficial guide to NHS careers.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// State directory (default: ./data).
    #[arg(long, global = true, env = "CAREERBOT_DATA")]
    pub data: Option<PathBuf>,
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
    /// Log filter, e.g. `info` or `careerbot=debug` (logs go to standard error).
    #[arg(long, global = true, env = "CAREERBOT_LOG")]
    pub log: Option<String>,
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
    },
    /// Show how a message is understood: words, corrections, best intents and entries.
    Explain {
        /// The message.
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
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
    /// Check the knowledge and intents, and that each entry's check questions reach it.
    Check,
    /// Run the Discord bot until Ctrl-C or SIGTERM (token in DISCORD_TOKEN; see deploy/README.md).
    Discord {
        /// A channel id where every message is answered, not only mentions (repeatable; added
        /// to those in DISCORD_CHANNELS, comma-separated).
        #[arg(long = "channel", value_name = "ID")]
        channels: Vec<u64>,
        /// How many shards to run (default: as many as Discord recommends).
        #[arg(long, env = "DISCORD_SHARDS", value_parser = clap::value_parser!(u32).range(1..))]
        shards: Option<u32>,
    },
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
    /// Run the Telegram bot (token in TELEGRAM_TOKEN; TELEGRAM_API_URL for another Bot API
    /// server). Long polling unless --webhook-url is given.
    Telegram {
        /// Public HTTPS URL Telegram posts updates to (webhook mode, behind a reverse proxy).
        #[arg(long, env = "TELEGRAM_WEBHOOK_URL")]
        webhook_url: Option<String>,
        /// Local address the webhook server listens on.
        #[arg(long, env = "TELEGRAM_LISTEN", default_value = "127.0.0.1:8443")]
        listen: std::net::SocketAddr,
    },
}

impl Default for Command {
    fn default() -> Command {
        Command::Chat { jsonl: false }
    }
}
