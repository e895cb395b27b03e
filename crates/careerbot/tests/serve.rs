//! `careerbot serve` end to end: the real binary runs both bots at once, against the fake
//! Telegram Bot API of the telegram crate's tests and the fake Discord REST API and gateway of
//! the discord crate's tests, all on 127.0.0.1. It answers on both, is ready, counts the turns
//! in /metrics, refuses a broken reload while the old knowledge keeps answering, takes a good
//! one, stops cleanly on SIGTERM; then `careerbot unanswered` groups the fallbacks it recorded.

#![cfg(unix)]

#[path = "../../telegram/tests/fake_api/mod.rs"]
#[allow(dead_code)]
mod fake_api;

#[path = "../../discord/tests/fake/mod.rs"]
#[allow(dead_code)]
mod fake_discord;

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fake_api::FakeApi;
use fake_discord::FakeDiscord;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const TELEGRAM_SECRET: &str = "AAH-serve-test-secret";
const DISCORD_TOKEN: &str = "MTAy.serve-test-token.secret";
/// The longest any one wait of this test may take.
const LIMIT: Duration = Duration::from_secs(20);

fn careerbot(data: &Path, content: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_careerbot"));
    command
        .arg("--data")
        .arg(data)
        .arg("--knowledge")
        .arg(content.join("knowledge"))
        .arg("--intents")
        .arg(content.join("intents"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in [
        "CAREERBOT_DATA",
        "CAREERBOT_CONFIG",
        "CAREERBOT_HTTP",
        "CAREERBOT_LOG",
        "CAREERBOT_LOG_FORMAT",
        "CAREERBOT_KNOWLEDGE",
        "CAREERBOT_INTENTS",
        "TELEGRAM_TOKEN",
        "TELEGRAM_API_URL",
        "TELEGRAM_WEBHOOK_URL",
        "TELEGRAM_LISTEN",
        "DISCORD_TOKEN",
        "DISCORD_API_URL",
        "DISCORD_CHANNELS",
        "DISCORD_SHARDS",
    ] {
        command.env_remove(name);
    }
    command
}

/// A copy of the repository's `knowledge/` and `intents/` that the test may break.
fn content_copy() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let copy = tempfile::tempdir().expect("temp dir");
    for folder in ["knowledge", "intents"] {
        common::copy_dir(&root.join(folder), &copy.path().join(folder));
    }
    copy
}

/// The running service: its process, and what it has logged so far.
struct Service {
    child: Option<Child>,
    logs: Arc<Mutex<String>>,
}

impl Service {
    fn start(command: &mut Command) -> Service {
        let mut child = command.spawn().expect("careerbot starts");
        let stderr = child.stderr.take().expect("stderr");
        let logs = Arc::new(Mutex::new(String::new()));
        let writer = Arc::clone(&logs);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                let mut logs = writer.lock().expect("logs");
                logs.push_str(&line);
                logs.push('\n');
            }
        });
        Service {
            child: Some(child),
            logs,
        }
    }

    fn logs(&self) -> String {
        self.logs.lock().expect("logs").clone()
    }

    /// Waits until the logs contain `text`; returns them.
    async fn wait_for_log(&self, text: &str) -> String {
        let deadline = Instant::now() + LIMIT;
        loop {
            let logs = self.logs();
            if logs.contains(text) {
                return logs;
            }
            assert!(
                Instant::now() < deadline,
                "no {text:?} in the logs:\n{logs}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn signal(&self, name: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let sent = Command::new("kill").args([name, &pid]).status();
        assert!(sent.expect("kill runs").success());
    }

    /// Waits (at most `LIMIT`) for the process to exit.
    async fn exit(mut self) -> (std::process::ExitStatus, String) {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                // Give the log reader a moment to read the last lines.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return (status, self.logs());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("careerbot did not exit in time:\n{}", self.logs());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Service {
    /// Kills the service if the test fails before it exits, so no test leaves a process behind.
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// GET `path` from `address`: the status code and the body.
async fn get(address: &str, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect to the HTTP listener");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = String::new();
    let read = tokio::time::timeout(LIMIT, stream.read_to_string(&mut answer)).await;
    read.expect("an answer in time").expect("read");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, body)| body.to_owned());
    (status, body)
}

/// Polls `path` until it answers `status`; returns the body.
async fn wait_for_status(address: &str, path: &str, status: u16) -> String {
    let deadline = Instant::now() + LIMIT;
    loop {
        let (got, body) = get(address, path).await;
        if got == status {
            return body;
        }
        assert!(Instant::now() < deadline, "{path} answered {got}: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The value of the first sample of `metric` whose labels include every one of `labels`.
fn sample(metrics: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            let name = line.split(['{', ' ']).next().unwrap_or_default();
            name == metric
        })
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

/// Sends a Telegram message from user `id` (a private chat) and returns the reply's text.
async fn telegram(fake: &FakeApi, id: i64, text: &str) -> String {
    let before = fake.sent_to(id).len();
    fake.push(fake_api::text(id, id, text));
    let sent = fake.wait_for_messages(id, before + 1).await;
    sent[before]["text"].as_str().unwrap_or_default().to_owned()
}

/// Sends a Discord DM from user `id` in channel `channel` and returns the reply's text.
async fn discord(fake: &FakeDiscord, message: u64, channel: u64, id: u64, text: &str) -> String {
    let path = format!("/api/v10/channels/{channel}/messages");
    let before = fake.requests().iter().filter(|r| r.path == path).count();
    let author = fake_discord::user(id, "sam", false);
    fake.dispatch(
        "MESSAGE_CREATE",
        fake_discord::message(message, channel, None, author, text),
    );
    let requests = fake
        .wait_until("the answer to a DM", |requests| {
            requests.iter().filter(|r| r.path == path).count() > before
        })
        .await;
    let sent: Vec<_> = requests.iter().filter(|r| r.path == path).collect();
    fake_discord::content(sent[before]).to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_both_bots_with_health_metrics_reload_and_unanswered_questions() {
    let telegram_fake = FakeApi::start().await;
    let discord_fake = FakeDiscord::start().await;
    let data = tempfile::tempdir().expect("temp dir");
    let content = content_copy();
    let service = Service::start(
        careerbot(data.path(), content.path())
            .args(["--log", "info", "serve", "--http", "127.0.0.1:0"])
            .env("TELEGRAM_TOKEN", format!("42:{TELEGRAM_SECRET}"))
            .env("TELEGRAM_API_URL", &telegram_fake.url)
            .env("DISCORD_TOKEN", DISCORD_TOKEN)
            .env("DISCORD_API_URL", &discord_fake.base_url),
    );
    let logs = service.wait_for_log("HTTP listener on http://").await;
    let address = logs
        .split("HTTP listener on http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the listener's address")
        .to_owned();

    // Health, then readiness once both bots are connected.
    assert_eq!(get(&address, "/healthz").await.0, 200);
    let ready = wait_for_status(&address, "/readyz", 200).await;
    let ready: Value = serde_json::from_str(&ready).expect("JSON");
    assert_eq!(ready["connected"]["telegram"], true, "{ready}");
    assert_eq!(ready["connected"]["discord"], true, "{ready}");
    discord_fake.wait_ready().await;

    // One message on each bot, answered from the knowledge.
    let answer = telegram(&telegram_fake, 7, "how do I apply for NHS jobs?").await;
    assert!(answer.contains("NHS Jobs"), "{answer}");
    let answer = discord(&discord_fake, 1, 30, 1001, "how do I apply for NHS jobs?").await;
    assert!(answer.contains("NHS Jobs"), "{answer}");

    let (status, metrics) = get(&address, "/metrics").await;
    assert_eq!(status, 200);
    for channel in ["telegram", "discord"] {
        let channel_label = format!("channel=\"{channel}\"");
        let turns = sample(
            &metrics,
            "careerbot_turns_total",
            &[&channel_label, "fallback=\"false\""],
        );
        assert_eq!(turns, Some(1.0), "one turn on {channel}:\n{metrics}");
        let connected = sample(&metrics, "careerbot_connected", &[&channel_label]);
        assert_eq!(connected, Some(1.0), "{metrics}");
        let timed = sample(
            &metrics,
            "careerbot_turn_duration_seconds_count",
            &[&channel_label],
        );
        assert_eq!(timed, Some(1.0), "{metrics}");
    }
    assert_eq!(sample(&metrics, "careerbot_stored_users", &[]), Some(2.0));
    assert!(metrics.contains("# TYPE careerbot_turn_duration_seconds histogram"));

    // Questions it cannot answer, recorded for `careerbot unanswered`.
    let answer = telegram(&telegram_fake, 7, "whats the weather like in leeds").await;
    assert!(!answer.contains("NHS Jobs"), "{answer}");
    discord(&discord_fake, 2, 30, 1001, "what is the weather tomorrow").await;
    telegram(&telegram_fake, 8, "can you book me a haircut").await;

    // A broken reload is refused with file:line; the old knowledge keeps answering.
    let broken = content.path().join("knowledge/apply/broken.md");
    std::fs::write(&broken, "+++\nid = \"apply.broken\"\ntitle =\n+++\nOops.\n").expect("write");
    service.signal("-HUP");
    let logs = service.wait_for_log("reload refused").await;
    assert!(logs.contains("knowledge/apply/broken.md:3"), "{logs}");
    let answer = telegram(&telegram_fake, 9, "how do I apply for NHS jobs?").await;
    assert!(answer.contains("NHS Jobs"), "{answer}");
    let metrics = get(&address, "/metrics").await.1;
    let refused = sample(&metrics, "careerbot_reloads_total", &["result=\"error\""]);
    assert_eq!(refused, Some(1.0), "{metrics}");

    // A good reload is taken: the entry that answered, edited, is given at once.
    std::fs::remove_file(&broken).expect("remove");
    let first_line = answer.lines().next().expect("an answer");
    let entry = find_file(&content.path().join("knowledge"), first_line)
        .unwrap_or_else(|| panic!("no entry holds {first_line:?}"));
    let text = std::fs::read_to_string(&entry).expect("read");
    let (front, answer) = text.split_at(text.rfind("+++\n").expect("front matter") + 4);
    let edited = format!("{front}Freshly reloaded answer. {answer}");
    std::fs::write(&entry, edited).expect("write");
    service.signal("-HUP");
    service
        .wait_for_log("reloaded the knowledge and intents")
        .await;
    let answer = telegram(&telegram_fake, 10, "how do I apply for NHS jobs?").await;
    assert!(answer.contains("Freshly reloaded answer."), "{answer}");
    let metrics = get(&address, "/metrics").await.1;
    let taken = sample(&metrics, "careerbot_reloads_total", &["result=\"ok\""]);
    assert_eq!(taken, Some(1.0), "{metrics}");

    // SIGTERM: both bots stop, the store is flushed, exit 0; no secret was ever logged.
    service.signal("-TERM");
    let (status, logs) = service.exit().await;
    assert!(status.success(), "{status:?}\n{logs}");
    assert!(logs.contains("the state store is flushed"), "{logs}");
    for secret in [TELEGRAM_SECRET, "serve-test-token"] {
        assert!(
            !logs.contains(secret),
            "a token leaked into the logs:\n{logs}"
        );
    }

    // The fallbacks it recorded, grouped: the two weather questions together.
    let output = careerbot(data.path(), content.path())
        .args(["unanswered", "--json"])
        .output()
        .expect("careerbot unanswered runs");
    assert!(output.status.success(), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let groups = report["groups"].as_array().expect("groups");
    let texts = |group: &Value| -> Vec<String> {
        group["questions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|q| q["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let weather = groups
        .iter()
        .find(|group| texts(group).iter().any(|t| t.contains("weather")))
        .expect("a weather group");
    assert_eq!(weather["count"], 2, "{report:#}");
    assert_eq!(texts(weather).len(), 2, "{report:#}");
    assert!(
        groups
            .iter()
            .any(|group| texts(group) == ["can you book me a haircut"]),
        "{report:#}"
    );
    let report_text = report.to_string();
    // As JSON values: a bare "1001" may turn up inside a confidence's digits.
    for user in [
        "\"7\"",
        "1001\"",
        ":1001,",
        ":1001}",
        "telegram:",
        "discord:",
    ] {
        assert!(
            !report_text.contains(user),
            "no user is recorded: {report_text}"
        );
    }
    let output = careerbot(data.path(), content.path())
        .arg("unanswered")
        .output()
        .expect("careerbot unanswered runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("asked 2 times"), "{text}");
}

/// The `.md` file under `dir` whose text contains `needle`.
fn find_file(dir: &Path, needle: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, needle) {
                return Some(found);
            }
        } else if path.extension().is_some_and(|e| e == "md")
            && std::fs::read_to_string(&path).is_ok_and(|text| text.contains(needle))
        {
            return Some(path);
        }
    }
    None
}

/// Runs careerbot to completion (at most `LIMIT`).
fn finish(command: &mut Command) -> Output {
    let mut child = command.spawn().expect("careerbot runs");
    let deadline = Instant::now() + LIMIT;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("careerbot did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn serve_without_a_token_is_a_clear_error() {
    let data = tempfile::tempdir().expect("temp dir");
    let content = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = finish(careerbot(data.path(), &content).arg("serve"));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("TELEGRAM_TOKEN") && stderr.contains("DISCORD_TOKEN"),
        "{stderr}"
    );
}

#[test]
fn a_port_in_use_stops_start_up() {
    let data = tempfile::tempdir().expect("temp dir");
    let content = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address").to_string();
    let output = finish(
        careerbot(data.path(), &content)
            .args(["serve", "--http", &address])
            .env("TELEGRAM_TOKEN", format!("42:{TELEGRAM_SECRET}"))
            .env("TELEGRAM_API_URL", "http://127.0.0.1:9"),
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {address}")),
        "{stderr}"
    );
    assert!(!stderr.contains(TELEGRAM_SECRET), "{stderr}");
}

#[test]
fn config_prints_the_layers_with_secrets_redacted() {
    let data = tempfile::tempdir().expect("temp dir");
    let content = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let file = data.path().join("careerbot.toml");
    std::fs::write(&file, "http = \"127.0.0.1:7001\"\nretention_days = 9\n").expect("write");
    let output = finish(
        careerbot(data.path(), &content)
            .arg("--config")
            .arg(&file)
            .args(["config", "--channel", "12"])
            .env("CAREERBOT_RETENTION_DAYS", "14")
            .env("DISCORD_TOKEN", DISCORD_TOKEN),
    );
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("http = \"127.0.0.1:7001\""), "{printed}");
    assert!(printed.contains("retention_days = 14"), "{printed}");
    assert!(printed.contains("channels = [12]"), "{printed}");
    assert!(
        printed.contains("DISCORD_TOKEN: set ([redacted])"),
        "{printed}"
    );
    assert!(!printed.contains("serve-test-token"), "{printed}");

    std::fs::write(&file, "http = \"127.0.0.1:7001\"\nhttp_port = 9\n").expect("write");
    let output = finish(
        careerbot(data.path(), &content)
            .arg("--config")
            .arg(&file)
            .arg("config"),
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown field `http_port`"), "{stderr}");
}
