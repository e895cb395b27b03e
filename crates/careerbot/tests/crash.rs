//! Crash safety: `careerbot chat --jsonl` is fed many users' messages and killed with SIGKILL at
//! random (seeded) moments, then restarted on the same data directory. Every turn whose reply was
//! read must be in the store, and every record must still read. SIGTERM and Ctrl-C (SIGINT)
//! instead let the turns under way finish and exit cleanly.

#![cfg(unix)]

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use engine::UserKey;
use serde_json::{Value, json};
use store::{Read, SledStore};

/// How many times the bot is killed.
const KILLS: usize = 6;
const USERS: u64 = 40;
/// Messages written to each run (more than are ever answered before the kill).
const SENT: usize = 600;
const MESSAGES: [&str; 8] = [
    "how do I apply for an NHS job?",
    "what qualifications do I need for that?",
    "tell me more",
    "im 19 and work in a care home, could i train as a nurse?",
    "is the training paid?",
    "which roles are in demand",
    "whats the weather tomorrow",
    "hi",
];

/// splitmix64, seeded: the same moments every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A running `chat --jsonl` with a thread writing `lines` to it.
struct Bot {
    child: Child,
    replies: BufReader<std::process::ChildStdout>,
    writer: JoinHandle<()>,
}

impl Bot {
    fn start(data: &Path, lines: Vec<String>) -> Bot {
        let mut child = Command::new(env!("CARGO_BIN_EXE_careerbot"))
            .arg("--data")
            .arg(data)
            .args(["chat", "--jsonl"])
            .env_remove("CAREERBOT_DATA")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("careerbot runs");
        let mut stdin = child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || {
            for line in lines {
                // The bot may be killed while we write: stop quietly.
                if stdin.write_all(line.as_bytes()).is_err() {
                    return;
                }
            }
            // Keep stdin open: the bot must be stopped by a signal, not by the end of input.
            std::thread::park();
        });
        let replies = BufReader::new(child.stdout.take().expect("stdout"));
        Bot {
            child,
            replies,
            writer,
        }
    }

    /// Reads one reply line; `None` at the end of the output.
    fn reply(&mut self) -> Option<Value> {
        let mut line = String::new();
        match self.replies.read_line(&mut line).expect("readable output") {
            0 => None,
            _ => {
                assert!(line.ends_with('\n'), "a torn line: {line:?}");
                Some(serde_json::from_str(&line).expect("a whole JSON line"))
            }
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    fn finish(mut self) -> std::process::ExitStatus {
        let status = self.child.wait().expect("the bot ends");
        self.writer.thread().unpark();
        drop(self.writer);
        status
    }
}

/// `count` requests from random users.
fn requests(random: &mut Random, count: usize) -> Vec<String> {
    (0..count)
        .map(|_| {
            let user = format!("user{}", random.below(USERS));
            let text = MESSAGES[random.below(MESSAGES.len() as u64) as usize];
            format!("{}\n", json!({"user": user, "text": text}))
        })
        .collect()
}

/// Checks the store after the bot has stopped: every record reads, and every user has at least
/// as many turns as replies were read for them.
fn check_store(data: &Path, answered: &HashMap<String, u64>) {
    let store = SledStore::open(data).expect("the store opens after a crash");
    for key in store.users().expect("users") {
        let (channel, id) = key.split_once(':').expect("channel:id");
        let read = store.read(&UserKey::new(channel, id)).expect("read");
        assert!(matches!(read, Read::Found(_)), "{key}: {read:?}");
    }
    for (user, replies) in answered {
        let read = store.read(&UserKey::new("cli", user)).expect("read");
        let Read::Found(state) = read else {
            panic!("{user}: {replies} replies read, but nothing stored: {read:?}");
        };
        assert!(
            state.turn_count >= *replies,
            "{user}: {replies} replies read, only {} turns stored",
            state.turn_count
        );
    }
}

#[test]
fn every_reply_read_before_a_kill_is_in_the_store() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut random = Random(0x00C0_FFEE);
    let mut answered: HashMap<String, u64> = HashMap::new();
    for _ in 0..KILLS {
        let mut bot = Bot::start(data.path(), requests(&mut random, SENT));
        // Kill after a random number of replies, with more turns under way behind them.
        let wanted = 1 + random.below(200);
        for _ in 0..wanted {
            let reply = bot.reply().expect("a reply before the kill");
            let user = reply["user"].as_str().expect("a user").to_owned();
            *answered.entry(user).or_default() += 1;
        }
        bot.child.kill().expect("SIGKILL");
        let status = bot.finish();
        assert!(!status.success(), "killed: {status}");
        check_store(data.path(), &answered);
    }
    assert!(answered.values().sum::<u64>() >= KILLS as u64);
}

/// Sends `signal` while turns are under way: the replies already under way are written whole,
/// the program exits with 0, and every reply read is in the store.
fn stops_cleanly_on(signal: &str) {
    let data = tempfile::tempdir().expect("temp dir");
    let mut random = Random(0xBEEF);
    let mut bot = Bot::start(data.path(), requests(&mut random, SENT));
    let mut answered: HashMap<String, u64> = HashMap::new();
    let mut count = |reply: Value| {
        let user = reply["user"].as_str().expect("a user").to_owned();
        *answered.entry(user).or_default() += 1;
    };
    for _ in 0..20 {
        count(bot.reply().expect("a reply"));
    }
    bot.signal(signal);
    while let Some(reply) = bot.reply() {
        count(reply);
    }
    let status = bot.finish();
    assert_eq!(status.code(), Some(0), "{signal}: {status}");
    check_store(data.path(), &answered);
}

#[test]
fn sigterm_finishes_the_turns_under_way_and_exits_cleanly() {
    stops_cleanly_on("TERM");
}

#[test]
fn ctrl_c_finishes_the_turns_under_way_and_exits_cleanly() {
    stops_cleanly_on("INT");
}
