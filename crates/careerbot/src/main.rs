//! `careerbot`: the command line. Thin: it parses the configuration, sets up logging, wires the
//! library crates together and maps errors to exit codes (0 ok, 1 a check failed, 2 an error).

mod bench;
mod chat;
mod cli;
mod discord_bot;
mod eval;
mod pipeline;
mod serve_telegram;
mod setup;
mod test;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

/// An outcome that is not an error but must exit 1 (failed evaluation, failed transcripts).
#[derive(Debug)]
struct Failed;

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed")
    }
}

impl std::error::Error for Failed {}

fn main() -> ExitCode {
    let args = cli::Args::parse();
    setup::logging(&args);
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.downcast_ref::<Failed>().is_some() => ExitCode::from(1),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "careerbot: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: cli::Args) -> anyhow::Result<()> {
    let config = setup::Config::resolve(&args)?;
    match args.command.unwrap_or_default() {
        cli::Command::Chat { jsonl: false } => chat::interactive(&config),
        cli::Command::Chat { jsonl: true } => chat::jsonl(&config),
        cli::Command::Ask { user, json, text } => chat::ask(&config, &user, json, &text.join(" ")),
        cli::Command::Eval {
            file,
            json,
            min_accuracy,
        } => eval::run(&config, &file, json, min_accuracy),
        cli::Command::Check => eval::check(&config),
        cli::Command::Test { paths } => test::run(&config, &paths),
        cli::Command::Bench { users, turns, json } => {
            bench::run(&config, bench::Options { users, turns, json })
        }
        cli::Command::Explain { text } => eval::explain(&config, &text.join(" ")),
        cli::Command::Discord { channels, shards } => discord_bot::run(&config, &channels, shards),
        cli::Command::Forget { user } => chat::forget(&config, &user),
        cli::Command::Export { user } => chat::export(&config, &user),
        cli::Command::Telegram {
            webhook_url,
            listen,
        } => serve_telegram::run(&config, webhook_url, listen),
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
