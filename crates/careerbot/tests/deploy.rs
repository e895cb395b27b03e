//! The deployment files in `deploy/` stay true to the program: the example configuration is
//! read by the real binary (unknown keys are refused), `.env.example` names only variables the
//! program reads, and every path the Dockerfile copies exists in the build context. (The
//! systemd unit and the compose file are checked by `.ci/run` with systemd-analyze and
//! docker-compose.)

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_example_configuration_is_read_by_careerbot() {
    let output = Command::new(env!("CARGO_BIN_EXE_careerbot"))
        .arg("--config")
        .arg(root().join("deploy/careerbot.toml"))
        .arg("config")
        .env_clear()
        .output()
        .expect("careerbot runs");
    let printed = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    for expected in [
        "data = \"/var/lib/careerbot\"",
        "http = \"127.0.0.1:9000\"",
        "knowledge = \"/usr/share/careerbot/knowledge\"",
    ] {
        assert!(printed.contains(expected), "{expected}:\n{printed}");
    }
}

#[test]
fn the_environment_example_names_only_variables_careerbot_reads() {
    let known: HashSet<&str> = [
        "TELEGRAM_TOKEN",
        "DISCORD_TOKEN",
        "TELEGRAM_API_URL",
        "TELEGRAM_WEBHOOK_URL",
        "TELEGRAM_LISTEN",
        "DISCORD_API_URL",
        "DISCORD_CHANNELS",
        "DISCORD_SHARDS",
        "CAREERBOT_CONFIG",
        "CAREERBOT_DATA",
        "CAREERBOT_KNOWLEDGE",
        "CAREERBOT_INTENTS",
        "CAREERBOT_RETENTION_DAYS",
        "CAREERBOT_LOG",
        "CAREERBOT_LOG_FORMAT",
        "CAREERBOT_HTTP",
    ]
    .into();
    let mut named = Vec::new();
    for (number, line) in read("deploy/.env.example").lines().enumerate() {
        let line = line.trim().trim_start_matches("# ");
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        if name.chars().all(|c| c.is_ascii_uppercase() || c == '_') && !name.is_empty() {
            assert!(known.contains(name), ".env.example:{}: {name}", number + 1);
            named.push(name.to_owned());
        }
    }
    for required in ["TELEGRAM_TOKEN", "DISCORD_TOKEN"] {
        assert!(named.iter().any(|n| n == required), "{required}");
    }
    // Every variable the Dockerfile and the unit set is one careerbot reads.
    for file in ["deploy/Dockerfile", "deploy/careerbot.service"] {
        for word in read(file).split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if word.starts_with("CAREERBOT_") {
                assert!(known.contains(word), "{file}: {word}");
            }
        }
    }
}

/// The Dockerfile's instructions, continuation lines joined.
fn instructions(text: &str) -> Vec<String> {
    let mut all = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') && current.is_empty() || trimmed.is_empty() {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                all.push(std::mem::take(&mut current));
            }
        }
    }
    all
}

#[test]
fn every_path_the_dockerfile_uses_is_there() {
    let dockerfile = read("deploy/Dockerfile");
    let ignored: Vec<String> = read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let mut stages = Vec::new();
    let mut built = String::new();
    let mut copied = Vec::new();
    for instruction in instructions(&dockerfile) {
        let mut words = instruction.split_whitespace();
        let keyword = words.next().unwrap_or_default().to_ascii_uppercase();
        let args: Vec<&str> = words.collect();
        match keyword.as_str() {
            "FROM" => {
                if let Some(position) = args.iter().position(|a| a.eq_ignore_ascii_case("as")) {
                    stages.push(args[position + 1].to_owned());
                }
            }
            "RUN" => {
                built.push_str(&instruction);
                // Paths into the repository that a RUN line names must exist too.
                for word in &args {
                    if word.starts_with("crates/") || word.starts_with("deploy/") {
                        assert!(
                            root().join(word).exists(),
                            "RUN names {word}, which is missing"
                        );
                    }
                }
                if let Some(package) = args.windows(2).find(|w| w[0] == "-p").map(|w| w[1]) {
                    assert!(
                        root()
                            .join("crates")
                            .join(package)
                            .join("Cargo.toml")
                            .exists(),
                        "RUN builds the package {package}, which is missing"
                    );
                }
            }
            "COPY" => {
                let from = args.iter().find_map(|a| a.strip_prefix("--from="));
                let paths: Vec<&str> = args
                    .iter()
                    .filter(|a| !a.starts_with("--"))
                    .copied()
                    .collect();
                let (sources, destination) = paths.split_at(paths.len() - 1);
                copied.push(destination[0].to_owned());
                for source in sources {
                    match from {
                        Some(stage) => {
                            assert!(stages.iter().any(|s| s == stage), "no stage {stage}");
                            assert!(built.contains(source), "no RUN line makes {source}");
                        }
                        None => {
                            let source = source.trim_end_matches('/');
                            assert!(root().join(source).exists(), "COPY {source}: missing");
                            assert!(
                                !ignored.iter().any(|i| i.trim_end_matches('/') == source),
                                "COPY {source}: excluded by .dockerignore"
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
    assert!(copied.iter().any(|d| d == "/usr/local/bin/careerbot"));
    for needed in [
        "USER careerbot",
        "VOLUME [\"/var/lib/careerbot\"]",
        "HEALTHCHECK",
        "CMD [\"careerbot\", \"healthcheck\"]",
        "CMD [\"serve\"]",
    ] {
        assert!(dockerfile.contains(needed), "the Dockerfile lacks {needed}");
    }
}
