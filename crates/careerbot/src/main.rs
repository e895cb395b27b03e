//! `careerbot`: the command line. Thin: it parses the configuration, sets up logging, wires the
//! library crates together and maps errors to exit codes (0 ok, 1 a check failed, 2 an error).

mod bench;
mod chat;
mod cli;
mod eval;
mod http;
mod pipeline;
mod service;
mod setup;
mod test;
mod unanswered;

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
    match setup::Config::resolve(&args).and_then(|config| {
        setup::logging(&config);
        run(args, config)
    }) {
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

fn run(args: cli::Args, config: setup::Config) -> anyhow::Result<()> {
    match args.command.unwrap_or_default() {
        cli::Command::Chat { jsonl: false } => chat::interactive(&config),
        cli::Command::Chat { jsonl: true } => chat::jsonl(&config),
        cli::Command::Ask { user, json, text } => chat::ask(&config, &user, json, &text.join(" ")),
        cli::Command::Eval {
            file,
            json,
            min_accuracy,
            min_recall,
            max_diverted,
        } => {
            let limits = eval::Limits::parse(min_accuracy, &min_recall, max_diverted)?;
            eval::run(&config, &file, json, &limits)
        }
        cli::Command::Check { seeds } => eval::check(&config, seeds.as_deref()),
        cli::Command::Test { paths, min_checks } => test::run(&config, &paths, min_checks),
        cli::Command::Bench { users, turns, json } => {
            bench::run(&config, bench::Options { users, turns, json })
        }
        cli::Command::Explain { text, jsonl } => eval::explain(&config, &text.join(" "), jsonl),
        cli::Command::Discord(_) => service::run(&config, service::Bots::Discord),
        cli::Command::Telegram(_) => service::run(&config, service::Bots::Telegram),
        cli::Command::Serve(_) => service::run(&config, service::Bots::Serve),
        cli::Command::Config(_) => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(config.to_toml()?.as_bytes())?;
            Ok(())
        }
        cli::Command::Unanswered { json } => unanswered::run(&config, json),
        cli::Command::Healthcheck { ready, .. } => {
            let path = if ready { "/readyz" } else { "/healthz" };
            match http::check(config.http, path) {
                Ok(true) => Ok(()),
                Ok(false) => Err(Failed.into()),
                Err(error) => {
                    tracing::warn!("healthcheck: {error}");
                    Err(Failed.into())
                }
            }
        }
        cli::Command::Forget { user } => chat::forget(&config, &user),
        cli::Command::Export { user } => chat::export(&config, &user),
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
