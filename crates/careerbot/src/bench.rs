//! `careerbot bench`: simulated users holding conversations through the real engine and a real
//! sled store, durable as in production (the pipeline of `chat --jsonl`: turns in parallel, each
//! reply given only once its state is durable). Prints the engine's time per turn, turns per
//! second on one and two worker threads, the store's share on its own, start-up time and peak
//! memory. Everything it writes goes in a temporary directory, removed however the run ends.
//! Given a Redis store (`--store redis://…`), it runs the same turns on Redis too, under a
//! prefix of its own that it deletes afterwards, and prints both.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use engine::{
    Commit, Conversations, Engine, Input, MAX_TURN_TEXT, MAX_TURNS, Reply, StateStore, StoreError,
    Turn, UserKey,
};
use serde::Serialize;
use store::{AnyStore, RedisOptions, RedisStore, SledStore, StoreUrl};

use crate::eval::percentile;
use crate::pipeline::{self, Control, Done, Item, Turns};
use crate::setup::Config;

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Simulated users.
    pub users: usize,
    /// Turns in all, shared between the users.
    pub turns: usize,
    /// Print one JSON object instead of a table.
    pub json: bool,
}

/// Conversations the simulated users hold, as people write: each user goes from one to another
/// at random (seeded), so that follow-ups land on a topic of their own earlier turns.
const CONVERSATIONS: &[&[&str]] = &[
    &[
        "hiya",
        "how do i apply for an nhs job",
        "what do i need for that?",
        "tell me more",
        "ty",
    ],
    &[
        "im 19 and work in a care home, could i train as a nurse?",
        "is the training paid?",
        "how long does it take",
        "cheers x",
    ],
    &[
        "@careerbot quick q what apprenticeships are there",
        "do they take people my age?",
        "are there many jobs in that?",
    ],
    &[
        "wat qualificatons do i need for nursng",
        "and for midwfery?",
        "thx",
    ],
    &[
        "the people who do scans, what are they called",
        "how do u become one",
        "is it hard to get in tbh",
    ],
    &[
        "someone who takes blood",
        "ive always fancied being an OT",
        "compare nursing and physiotherapy",
    ],
    &[
        "how much holiday do nhs staff get",
        "whats the pension like",
        "do u get sick pay",
    ],
    &[
        "what leadership programmes are there",
        "what is the nye bevan programme",
        "who can apply for it",
    ],
    &[
        "what is healthcare science",
        "the heart monitor person",
        "what a levels do i need",
    ],
    &[
        "i live in glasgow, can i apply for nhs jobs in scotland?",
        "asking for my son, hes 16",
        "what do you know about me",
    ],
    &[
        "whats the weather like tomorrow",
        "can u book me a gp appointment",
        "who won the football last night",
    ],
    &[
        "morning all, which roles are in demand rn",
        "ngl idk what suits me",
        "find my career",
        "stop",
    ],
    &["my chest really hurts and my arm is numb"],
    &["i feel hopeless and cant go on"],
    &["", "   ", "😀😀😀", "<b>hi</b> @everyone"],
];

/// The figures, as `--json` prints them (`shared/spec/cli.md`).
#[derive(Debug, Serialize)]
struct Figures {
    /// The store of the figures below (`sled`).
    store: &'static str,
    /// Simulated users.
    users: usize,
    /// Turns taken in each run.
    turns: usize,
    /// The engine's time per turn (`micros`), over the run on one worker thread.
    p50_us: u64,
    p99_us: u64,
    max_us: u64,
    /// Turns per second, each reply durable before it is given, on one and two worker threads.
    turns_per_sec_1: f64,
    turns_per_sec_2: f64,
    /// The store alone (load, write, group commit; no engine), on one and two worker threads.
    store_turns_per_sec_1: f64,
    store_turns_per_sec_2: f64,
    /// Turns made durable by one flush, on average, in the run on two worker threads.
    turns_per_flush: f64,
    /// Process start to the first reply of `chat --jsonl` (median of `STARTS`).
    startup_ms: f64,
    /// Peak resident memory of this process (the engine, the four stores of the runs above
    /// and the simulation), if known.
    peak_rss_mb: Option<f64>,
    /// Peak resident memory of this program serving as `chat --jsonl`, once it holds the state
    /// of `SERVED_USERS` users, if known.
    serving_rss_mb: Option<f64>,
    /// The same turns on Redis, when a Redis store is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    redis: Option<RedisFigures>,
}

/// Turns per second on Redis, beside sled's.
#[derive(Debug, Serialize)]
struct RedisFigures {
    /// The store (`redis`).
    store: &'static str,
    /// The server, `host:port/db`.
    server: String,
    turns_per_sec_1: f64,
    turns_per_sec_2: f64,
    store_turns_per_sec_1: f64,
    store_turns_per_sec_2: f64,
}

/// How many times start-up is measured.
const STARTS: usize = 5;
/// How many users' state the serving process holds when its memory is read.
const SERVED_USERS: usize = 10_000;

/// `careerbot bench`.
pub fn run(config: &Config, options: Options) -> anyhow::Result<()> {
    anyhow::ensure!(options.users > 0, "--users must be at least 1");
    // Removed when dropped, on success and on error alike; every store in it is closed first.
    let dir = tempfile::Builder::new()
        .prefix("careerbot-bench-")
        .tempdir()
        .context("cannot make a temporary directory")?;
    let engine: Arc<Engine> = Arc::new(config.engine()?);
    let sled = |name: &str| -> anyhow::Result<AnyStore> {
        Ok(AnyStore::Sled(SledStore::open(&dir.path().join(name))?))
    };
    let one = with_engine(&engine, sled("engine-1")?, 1, options)?;
    let two = with_engine(&engine, sled("engine-2")?, 2, options)?;
    let store_one = store_alone(sled("store-1")?, 1, options)?;
    let store_two = store_alone(sled("store-2")?, 2, options)?;
    let redis = match &config.store {
        StoreUrl::Sled => None,
        StoreUrl::Redis(url) => Some(on_redis(&engine, url, options)?),
    };
    let startup = startup(config, dir.path())?;
    let mut micros = one.micros;
    micros.sort_unstable();
    let figures = Figures {
        users: options.users,
        turns: options.turns,
        p50_us: percentile(&micros, 0.5),
        p99_us: percentile(&micros, 0.99),
        max_us: micros.last().copied().unwrap_or(0),
        turns_per_sec_1: one.per_sec,
        turns_per_sec_2: two.per_sec,
        store_turns_per_sec_1: store_one.per_sec,
        store_turns_per_sec_2: store_two.per_sec,
        turns_per_flush: two.per_flush,
        startup_ms: round(startup.as_secs_f64() * 1000.0),
        peak_rss_mb: peak_rss_mb(),
        serving_rss_mb: serving_rss_mb(config, dir.path())?,
        store: "sled",
        redis,
    };
    drop(dir);
    let mut out = std::io::stdout().lock();
    if options.json {
        serde_json::to_writer(&mut out, &figures)?;
        writeln!(out)?;
    } else {
        print(&mut out, &figures)?;
    }
    Ok(())
}

fn print(out: &mut impl std::io::Write, f: &Figures) -> anyhow::Result<()> {
    writeln!(
        out,
        "{} turns from {} simulated users, each reply durable before it is given",
        f.turns, f.users
    )?;
    writeln!(
        out,
        "engine time per turn: p50 {} µs, p99 {} µs, max {} µs",
        f.p50_us, f.p99_us, f.max_us
    )?;
    writeln!(
        out,
        "turns per second: {:.0} on 1 worker thread, {:.0} on 2 ({:.1} turns per flush)",
        f.turns_per_sec_1, f.turns_per_sec_2, f.turns_per_flush
    )?;
    writeln!(
        out,
        "the store alone: {:.0} turns per second on 1 worker thread, {:.0} on 2",
        f.store_turns_per_sec_1, f.store_turns_per_sec_2
    )?;
    if let Some(redis) = &f.redis {
        writeln!(
            out,
            "on Redis ({}): {:.0} turns per second on 1 worker thread, {:.0} on 2; the store \
             alone {:.0} on 1, {:.0} on 2",
            redis.server,
            redis.turns_per_sec_1,
            redis.turns_per_sec_2,
            redis.store_turns_per_sec_1,
            redis.store_turns_per_sec_2
        )?;
    }
    writeln!(out, "start-up to the first reply: {} ms", f.startup_ms)?;
    match f.serving_rss_mb {
        Some(mb) => writeln!(
            out,
            "peak resident memory serving {SERVED_USERS} users (chat --jsonl): {mb} MB"
        )?,
        None => writeln!(out, "peak resident memory serving: unknown on this system")?,
    }
    match f.peak_rss_mb {
        Some(mb) => writeln!(out, "peak resident memory of the bench: {mb} MB")?,
        None => writeln!(
            out,
            "peak resident memory of the bench: unknown on this system"
        )?,
    }
    Ok(())
}

/// What one run measured.
struct Run {
    /// The engine's time for each turn.
    micros: Vec<u64>,
    per_sec: f64,
    per_flush: f64,
}

/// The same runs on the Redis server at `url`, each under a prefix of its own, deleted after.
fn on_redis(engine: &Arc<Engine>, url: &str, options: Options) -> anyhow::Result<RedisFigures> {
    let open = |run: &str| -> anyhow::Result<Emptied> {
        let prefix = format!("careerbot-bench:{}:{run}:", std::process::id());
        let store = RedisStore::open(
            url,
            RedisOptions {
                prefix,
                ..RedisOptions::default()
            },
        )?;
        store.clear()?;
        Ok(Emptied(store))
    };
    let (a, b, c, d) = (
        open("engine-1")?,
        open("engine-2")?,
        open("store-1")?,
        open("store-2")?,
    );
    let server = a.0.address().to_owned();
    Ok(RedisFigures {
        store: "redis",
        server,
        turns_per_sec_1: with_engine(engine, AnyStore::Redis(a.0.clone()), 1, options)?.per_sec,
        turns_per_sec_2: with_engine(engine, AnyStore::Redis(b.0.clone()), 2, options)?.per_sec,
        store_turns_per_sec_1: store_alone(AnyStore::Redis(c.0.clone()), 1, options)?.per_sec,
        store_turns_per_sec_2: store_alone(AnyStore::Redis(d.0.clone()), 2, options)?.per_sec,
    })
}

/// A Redis store whose keys are deleted when it is dropped, however the run ends.
struct Emptied(RedisStore);

impl Drop for Emptied {
    fn drop(&mut self) {
        if let Err(error) = self.0.clear() {
            tracing::warn!("the bench's keys were not all deleted: {error}");
        }
    }
}

/// What a store's counters say of grouped flushes: writes per flush (1 where every write is
/// durable on its own).
fn per_flush(store: &AnyStore) -> f64 {
    match store {
        AnyStore::Sled(sled) => {
            let stats = sled.stats();
            round(stats.writes as f64 / stats.flushes.max(1) as f64)
        }
        AnyStore::Redis(_) => 1.0,
    }
}

/// Runs the simulated conversations through the engine and `store` (new and empty).
fn with_engine(
    engine: &Arc<Engine>,
    store: AnyStore,
    workers: usize,
    options: Options,
) -> anyhow::Result<Run> {
    let conversations = Conversations::new(Arc::clone(engine), store);
    let mut micros = Vec::with_capacity(options.turns);
    let started = Instant::now();
    pipeline::run(
        &conversations,
        workers,
        Simulation::new(options),
        &Control::default(),
        |done| -> anyhow::Result<()> {
            if let Done::Reply((), reply) = done {
                micros.push(reply.micros);
            }
            Ok(())
        },
    )?;
    let elapsed = started.elapsed();
    Ok(Run {
        per_sec: per_sec(micros.len(), elapsed),
        per_flush: per_flush(conversations.store()),
        micros,
    })
}

/// Runs the same turns through `store` (new and empty) with no engine: the store's share.
fn store_alone(store: AnyStore, workers: usize, options: Options) -> anyhow::Result<Run> {
    let store = StoreAlone(store);
    let mut turns = 0;
    let started = Instant::now();
    pipeline::run(
        &store,
        workers,
        Simulation::new(options),
        &Control::default(),
        |_| -> anyhow::Result<()> {
            turns += 1;
            Ok(())
        },
    )?;
    let elapsed = started.elapsed();
    Ok(Run {
        micros: Vec::new(),
        per_sec: per_sec(turns, elapsed),
        per_flush: per_flush(&store.0),
    })
}

/// A turn without the engine: the state is loaded, the message remembered, the state written
/// if unchanged since it was loaded (as `Conversations` does); settling waits for the group
/// commit.
struct StoreAlone(AnyStore);

impl Turns for StoreAlone {
    type Taken = Commit;

    fn take(&self, user: &UserKey, input: &Input, now: u64) -> Result<Commit, StoreError> {
        let (state, version) = self.0.load_versioned(user)?;
        let mut state = state.unwrap_or_default();
        state.turn_count += 1;
        state.updated_at = now;
        state.turns.push(Turn {
            text: input.text.chars().take(MAX_TURN_TEXT).collect(),
            topic: None,
            fallback: false,
        });
        let excess = state.turns.len().saturating_sub(MAX_TURNS);
        state.turns.drain(..excess);
        self.0.write_if(user, &state, version)
    }

    fn settle(&self, commit: Commit) -> Result<Reply, StoreError> {
        self.0.sync(commit)?;
        Ok(Reply::default())
    }
}

/// The simulated users' messages, in the order they arrive: round after round, each user
/// sends their next message, users in a different (seeded) order each round.
struct Simulation {
    users: Vec<Cursor>,
    order: Vec<usize>,
    /// Where in `order` the round is.
    next: usize,
    left: usize,
    random: u64,
    now: u64,
}

/// Where a user is in their conversations.
struct Cursor {
    conversation: usize,
    step: usize,
    random: u64,
}

impl Simulation {
    fn new(options: Options) -> Simulation {
        let users = (0..options.users)
            .map(|user| {
                let mut random = 0x5EED ^ user as u64;
                Cursor {
                    conversation: (next_random(&mut random) % CONVERSATIONS.len() as u64) as usize,
                    step: 0,
                    random,
                }
            })
            .collect();
        Simulation {
            users,
            order: (0..options.users).collect(),
            next: options.users,
            left: options.turns,
            random: 0xC0FFEE,
            now: adapter::now(),
        }
    }
}

impl Iterator for Simulation {
    type Item = Item<(), ()>;

    fn next(&mut self) -> Option<Item<(), ()>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        if self.next == self.order.len() {
            // A new round: shuffle (Fisher–Yates).
            for i in (1..self.order.len()).rev() {
                let j = (next_random(&mut self.random) % (i as u64 + 1)) as usize;
                self.order.swap(i, j);
            }
            self.next = 0;
        }
        let user = self.order[self.next];
        self.next += 1;
        let cursor = &mut self.users[user];
        let conversation = CONVERSATIONS[cursor.conversation];
        let text = conversation[cursor.step];
        cursor.step += 1;
        if cursor.step == conversation.len() {
            cursor.step = 0;
            cursor.conversation =
                (next_random(&mut cursor.random) % CONVERSATIONS.len() as u64) as usize;
        }
        Some(Item::Turn {
            user: UserKey::new("bench", &user.to_string()),
            input: Input::text(text),
            now: self.now,
            tag: (),
        })
    }
}

/// splitmix64: a small, good, seeded sequence.
fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// This program run as `chat --jsonl` on a new store in `data`, its input and output piped.
fn chat(config: &Config, data: &Path) -> anyhow::Result<std::process::Child> {
    let program = std::env::current_exe().context("cannot find this program")?;
    let mut command = Command::new(&program);
    command.arg("--data").arg(data);
    if let Some(knowledge) = &config.knowledge {
        command.arg("--knowledge").arg(knowledge);
    }
    if let Some(intents) = &config.intents {
        command.arg("--intents").arg(intents);
    }
    command
        .args(["chat", "--jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command.spawn().context("cannot start careerbot")
}

/// Process start to the first reply: this program run as `chat --jsonl` on a new store, asked
/// "hi"; the median of `STARTS` runs.
fn startup(config: &Config, dir: &Path) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(STARTS);
    for n in 0..STARTS {
        let started = Instant::now();
        let mut child = chat(config, &dir.join(format!("start-{n}")))?;
        let mut stdin = child.stdin.take().context("no standard input")?;
        let stdout = child.stdout.take().context("no standard output")?;
        stdin.write_all(b"hi\n")?;
        stdin.flush()?;
        let mut first = String::new();
        BufReader::new(stdout).read_line(&mut first)?;
        times.push(started.elapsed());
        drop(stdin);
        let status = child.wait()?;
        anyhow::ensure!(
            status.success() && first.contains("\"reply\""),
            "careerbot chat --jsonl did not answer: {status}"
        );
    }
    times.sort_unstable();
    Ok(times[times.len() / 2])
}

/// The peak resident memory, in MB, of this program run as `chat --jsonl` on a new store once
/// it has answered the first two messages of a conversation for each of `SERVED_USERS` users,
/// read while it still runs (Linux `VmHWM`; `None` elsewhere).
fn serving_rss_mb(config: &Config, dir: &Path) -> anyhow::Result<Option<f64>> {
    let mut child = chat(config, &dir.join("serving"))?;
    let stdin = child.stdin.take().context("no standard input")?;
    let stdout = child.stdout.take().context("no standard output")?;
    // Written on a thread of its own, so that neither side waits on a full pipe; standard
    // input is handed back open, so that the process is still running when it is measured.
    let writer = std::thread::spawn(move || -> std::io::Result<std::process::ChildStdin> {
        let mut input = std::io::BufWriter::new(stdin);
        for step in 0..2 {
            for user in 0..SERVED_USERS {
                let conversation = CONVERSATIONS[user % CONVERSATIONS.len()];
                let text = conversation.get(step).copied().unwrap_or("thanks");
                let line = serde_json::json!({ "user": format!("user-{user}"), "text": text });
                writeln!(input, "{line}")?;
            }
        }
        input
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)
    });
    let mut replies = BufReader::new(stdout).lines();
    for _ in 0..2 * SERVED_USERS {
        let line = replies
            .next()
            .context("careerbot chat --jsonl stopped answering")??;
        anyhow::ensure!(line.contains("\"reply\""), "not a reply: {line}");
    }
    let stdin = (writer.join())
        .map_err(|_| anyhow::anyhow!("the writing thread panicked"))?
        .context("cannot write to careerbot chat --jsonl")?;
    let peak = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        .ok()
        .and_then(|status| vm_hwm_mb(&status));
    drop(stdin);
    let status = child.wait()?;
    anyhow::ensure!(status.success(), "careerbot chat --jsonl failed: {status}");
    Ok(peak)
}

/// The peak resident memory of this process in MB, from `/proc/self/status` (Linux).
fn peak_rss_mb() -> Option<f64> {
    vm_hwm_mb(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// The peak resident memory in MB in a `/proc/PID/status` text: its `VmHWM` line.
fn vm_hwm_mb(status: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(round(kb / 1024.0))
}

fn per_sec(turns: usize, elapsed: Duration) -> f64 {
    round(turns as f64 / elapsed.as_secs_f64().max(f64::EPSILON))
}

/// Rounded to one decimal place.
fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulation_gives_each_user_their_share_of_turns_in_conversation_order() {
        let options = Options {
            users: 7,
            turns: 100,
            json: true,
        };
        let mut sent: Vec<Vec<String>> = vec![Vec::new(); 7];
        for item in Simulation::new(options) {
            let Item::Turn { user, input, .. } = item else {
                panic!("only turns")
            };
            let n: usize = user.as_str()["bench:".len()..].parse().expect("number");
            sent[n].push(input.text);
        }
        assert_eq!(sent.iter().map(Vec::len).sum::<usize>(), 100);
        assert!(sent.iter().all(|s| (14..=15).contains(&s.len())));
        for messages in &sent {
            // Each user starts at the beginning of a conversation and follows it.
            let first = CONVERSATIONS
                .iter()
                .find(|c| c[0] == messages[0])
                .expect("a conversation's first message");
            let n = first.len().min(messages.len());
            assert_eq!(&messages[..n], &first[..n]);
        }
        let again: Vec<String> = Simulation::new(options)
            .map(|item| match item {
                Item::Turn { input, .. } => input.text,
                Item::Pass(()) => String::new(),
            })
            .collect();
        let once: Vec<String> = Simulation::new(options)
            .map(|item| match item {
                Item::Turn { input, .. } => input.text,
                Item::Pass(()) => String::new(),
            })
            .collect();
        assert_eq!(again, once, "seeded: the same every time");
    }
}
