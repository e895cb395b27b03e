//! Several careerbot processes on one Redis store (issue 16): two `careerbot chat --jsonl`
//! processes share one user's conversation. Follow-ups resolve across processes, and when both
//! take that user's turns as fast as they go, every turn is recorded once: none lost, none
//! applied twice.
//!
//! Needs a Redis server: `CAREERBOT_TEST_REDIS=redis://127.0.0.1:6390/0` (`.ci/run` starts one
//! and sets it); without it the test prints a notice and passes.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The whole test gives up after this long (a process that hangs fails it, never blocks CI).
const DEADLINE: Duration = Duration::from_secs(180);
/// Turns each process takes for the shared user in the race.
const RACE_TURNS: usize = 60;

fn redis_url() -> Option<String> {
    let url = std::env::var("CAREERBOT_TEST_REDIS")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "CAREERBOT_TEST_REDIS is not set: skipping the two-process test (.ci/run sets it)"
            );
        }
    }
    url
}

/// One `careerbot chat --jsonl` process on the shared store: lines in, replies out.
struct Instance {
    child: Child,
    stdin: Option<ChildStdin>,
    replies: mpsc::Receiver<Value>,
    name: &'static str,
}

impl Instance {
    fn start(name: &'static str, url: &str, prefix: &str, data: &std::path::Path) -> Instance {
        let mut child = Command::new(env!("CARGO_BIN_EXE_careerbot"))
            .args([
                "--store",
                url,
                "--store-prefix",
                prefix,
                "--log",
                "engine=debug",
            ])
            .arg("--data")
            .arg(data)
            .args(["chat", "--jsonl"])
            .env_remove("CAREERBOT_DATA")
            .env_remove("CAREERBOT_CONFIG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("careerbot runs");
        let stdout = child.stdout.take().expect("stdout");
        let (send, replies) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value = serde_json::from_str(&line).expect("each line is JSON");
                if send.send(value).is_err() {
                    break;
                }
            }
        });
        Instance {
            stdin: child.stdin.take(),
            child,
            replies,
            name,
        }
    }

    fn send(&mut self, user: &str, text: &str) {
        let stdin = self.stdin.as_mut().expect("open");
        writeln!(stdin, "{}", json!({ "user": user, "text": text })).expect("write");
        stdin.flush().expect("flush");
    }

    fn reply(&self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        let reply = self
            .replies
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("{}: no reply in time: {e}", self.name));
        assert!(reply.get("error").is_none(), "{}: {reply}", self.name);
        reply
    }

    /// Closes standard input, waits for the process to exit, and returns its standard error.
    fn finish(mut self) -> String {
        drop(self.stdin.take());
        let output = self.child.wait_with_output().expect("exits");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{}: {stderr}", self.name);
        stderr
    }
}

fn export(url: &str, prefix: &str, user: &str) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_careerbot"))
        .args([
            "--store",
            url,
            "--store-prefix",
            prefix,
            "export",
            "--user",
            user,
        ])
        .output()
        .expect("careerbot export runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

fn text(reply: &Value) -> String {
    reply["reply"].as_str().unwrap_or_default().to_lowercase()
}

#[test]
fn two_processes_share_one_users_conversation_and_lose_no_turn() {
    let Some(url) = redis_url() else { return };
    let prefix = format!("instances:{}:", std::process::id());
    let dirs = [
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    ];
    let deadline = Instant::now() + DEADLINE;
    let mut one = Instance::start("one", &url, &prefix, dirs[0].path());
    let mut two = Instance::start("two", &url, &prefix, dirs[1].path());

    // Follow-ups across processes: the topic set by one is read by the other.
    one.send("follow", "tell me about physiotherapy");
    let first = one.reply(deadline);
    assert!(text(&first).contains("physio"), "{first}");
    two.send("follow", "how long does that take?");
    let follow_up = two.reply(deadline);
    assert!(
        text(&follow_up).contains("physiotherap") && text(&follow_up).contains("year"),
        "the follow-up on the other process answers about physiotherapy training: {follow_up}"
    );
    two.send("follow", "what does a paramedic do?");
    let paramedic = two.reply(deadline);
    assert!(text(&paramedic).contains("paramedic") || text(&paramedic).contains("ambulance"));
    one.send("follow", "how long does that take?");
    let back = one.reply(deadline);
    assert!(
        text(&back).contains("paramedic") && text(&back).contains("year"),
        "and back the other way: {back}"
    );
    let follow = export(&url, &prefix, "follow");
    assert_eq!(follow["state"]["turn_count"], 4, "{follow}");

    // The race: both processes take the same user's turns at once, as fast as they go.
    let messages = [
        "what apprenticeships are there",
        "how do i apply for an nhs job",
        "what is agenda for change",
        "tell me more",
        "which roles are in demand",
        "ty",
    ];
    let line =
        |process: usize, n: usize| format!("{} ({process}-{n})", messages[n % messages.len()]);
    for n in 0..RACE_TURNS {
        one.send("race", &line(1, n));
        two.send("race", &line(2, n));
    }
    for n in 0..RACE_TURNS {
        for instance in [&one, &two] {
            let reply = instance.reply(deadline);
            assert_eq!(
                reply["user"], "race",
                "{} reply {n}: {reply}",
                instance.name
            );
        }
    }
    let logs = [one.finish(), two.finish()];
    let retaken: usize = logs
        .iter()
        .map(|log| log.matches("retaking the turn").count())
        .sum();
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "{} turns for one user from two processes; {retaken} retaken after a conflict",
            2 * RACE_TURNS
        );
    }
    let race = export(&url, &prefix, "race");
    assert_eq!(
        race["state"]["turn_count"],
        2 * RACE_TURNS,
        "every turn recorded exactly once: {race}"
    );
    let mut recent: Vec<&str> = race["state"]["turns"]
        .as_array()
        .expect("turns")
        .iter()
        .map(|turn| turn["text"].as_str().expect("text"))
        .collect();
    assert_eq!(recent.len(), engine::MAX_TURNS);
    let sent: Vec<String> = (0..RACE_TURNS)
        .flat_map(|n| [line(1, n), line(2, n)])
        .collect();
    assert!(
        recent.iter().all(|t| sent.iter().any(|s| s == t)),
        "{recent:?}"
    );
    recent.sort_unstable();
    recent.dedup();
    assert_eq!(recent.len(), engine::MAX_TURNS, "no turn recorded twice");

    // Clean up this test's keys.
    let store = store::RedisStore::open(
        &url,
        store::RedisOptions {
            prefix,
            ..store::RedisOptions::default()
        },
    )
    .expect("Redis");
    store.clear().expect("clear");
}
