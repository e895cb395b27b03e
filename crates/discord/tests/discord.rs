//! End to end: the real serenity client, driven by the adapter, against a fake Discord REST API
//! and gateway on 127.0.0.1 (see `fake`), with the real content and a real sled store.

mod fake;

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use adapter::Secret;
use engine::{Content, Conversations, Engine, StateStore as _, UserKey};
use fake::{APP_ID, BOT_ID, FakeDiscord, Request, WAIT, buttons, content, message, user};
use serde_json::{Value, json};
use store::SledStore;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const TOKEN: &str = "MTAx.fake-bot-token.for-tests-only";
/// GUILD_MESSAGES | DIRECT_MESSAGES | MESSAGE_CONTENT.
const INTENTS: u64 = (1 << 9) | (1 << 12) | (1 << 15);
const GUILD: u64 = 300;

/// Everything logged by any test, at every level.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buffer);
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_ansi(false)
            .with_writer(move || LogWriter(Arc::clone(&writer)))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        buffer
    })
}

/// Writes log lines into the shared buffer.
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut buffer = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logged() -> String {
    let buffer = logs().lock().unwrap_or_else(PoisonError::into_inner);
    String::from_utf8_lossy(&buffer).into_owned()
}

/// Waits (at most `WAIT`, checking every 10 ms) for a warning with `text` and "could not read".
async fn wait_for_log(text: &str) {
    let found = tokio::time::timeout(WAIT, async {
        while !logged().lines().any(|line| {
            line.contains(text) && line.contains("WARN") && line.contains("could not read")
        }) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    found.expect("the unreadable event was logged");
}

fn assert_no_token(text: &str) {
    assert!(!text.contains(TOKEN), "the token leaked");
    assert!(!text.contains("fake-bot-token"), "part of the token leaked");
}

/// The content of the repository, read from disk.
fn content_files() -> Content {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Content {
        knowledge: knowledge::read_dir(&root.join("knowledge"), "knowledge").expect("knowledge"),
        intents: knowledge::read_dir(&root.join("intents"), "intents").expect("intents"),
    }
}

/// The adapter running against a fake Discord.
struct Bot {
    fake: FakeDiscord,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), discord::Error>>,
    store: SledStore,
    _dir: tempfile::TempDir,
}

impl Bot {
    /// Starts a fake Discord and the adapter, and waits until it is connected.
    async fn start(channels: Vec<u64>) -> Bot {
        logs();
        let fake = FakeDiscord::start().await;
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = SledStore::open(dir.path()).expect("store");
        let engine = Engine::new(&content_files()).expect("content");
        let conversations = Conversations::new(engine, store.clone()).with_flood_control();
        let config = discord::Config {
            token: Secret::new(TOKEN),
            api_url: Some(fake.base_url.clone()),
            channels,
            shards: None,
            shard_ids: None,
            status: Default::default(),
        };
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(discord::serve(config, conversations, async {
            stopped.await.ok();
        }));
        fake.wait_ready().await;
        Bot {
            fake,
            stop,
            task,
            store,
            _dir: dir,
        }
    }

    /// Stops the adapter and checks it shut down cleanly and in time.
    async fn stop(self) {
        self.stop.send(()).expect("the bot is running");
        let result = tokio::time::timeout(WAIT, self.task)
            .await
            .expect("shut down in time")
            .expect("no panic");
        if let Err(error) = result {
            panic!("stopped with an error: {error}");
        }
    }
}

/// Messages sent to `channel` (channel messages only).
fn to_channel(requests: &[Request], channel: u64) -> Vec<&Request> {
    let path = format!("/api/v10/channels/{channel}/messages");
    requests
        .iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .collect()
}

/// Interaction callbacks carrying a message, for interaction `id`.
fn callbacks(requests: &[Request], id: u64) -> Vec<&Request> {
    let prefix = format!("/api/v10/interactions/{id}/");
    requests
        .iter()
        .filter(|r| r.method == "POST" && r.path.starts_with(&prefix))
        .filter(|r| r.body["type"] == 4)
        .collect()
}

/// Checks that every message the bot sent allows no mentions at all.
fn assert_nothing_pings(requests: &[Request]) {
    let sent = fake::sent(requests);
    assert!(!sent.is_empty());
    for request in sent {
        let body = fake::message_body(request);
        let allowed = &body["allowed_mentions"];
        assert_eq!(allowed["parse"], json!([]), "{} {body}", request.path);
        assert_eq!(allowed["users"], json!([]), "{} {body}", request.path);
        assert_eq!(allowed["roles"], json!([]), "{} {body}", request.path);
        assert_eq!(
            allowed["replied_user"],
            json!(false),
            "{} {body}",
            request.path
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_in_dms_and_guilds() {
    let bot = Bot::start(vec![60]).await;
    let fake = &bot.fake;
    let alice = user(1001, "alice", false);
    let dm = |id, channel, author: &Value, text: &str| {
        fake.dispatch(
            "MESSAGE_CREATE",
            message(id, channel, None, author.clone(), text),
        );
    };
    let guild = |id, channel, author: &Value, text: &str| {
        fake.dispatch(
            "MESSAGE_CREATE",
            message(id, channel, Some(GUILD), author.clone(), text),
        );
    };

    guild(1, 20, &alice, "anyone know a good pizza place? @everyone");
    dm(
        2,
        30,
        &user(1002, "otherbot", true),
        "how do I apply for NHS jobs?",
    );
    dm(3, 10, &alice, "how do I apply for NHS jobs?");
    guild(
        4,
        40,
        &user(1003, "bob", false),
        &format!("<@{BOT_ID}> what does a paramedic do?"),
    );
    guild(
        5,
        60,
        &user(1004, "carol", false),
        "what does a nurse earn?",
    );
    let huge = "how do I become a nurse? ".repeat(1200);
    dm(6, 50, &user(1005, "dave", false), &huge);

    let requests = fake
        .wait_until("answers in channels 10, 40, 60 and 50", |requests| {
            [10, 40, 60, 50]
                .iter()
                .all(|channel| !to_channel(requests, *channel).is_empty())
        })
        .await;

    let answer = to_channel(&requests, 10);
    let text: String = answer.iter().map(|r| content(r)).collect();
    assert!(text.contains("NHS Jobs"), "{text}");
    let pressed = buttons(answer.last().expect("an answer"));
    assert!(!pressed.is_empty(), "the answer offers buttons");
    assert!(
        answer[..answer.len() - 1]
            .iter()
            .all(|r| buttons(r).is_empty())
    );
    for (label, id) in &pressed {
        assert!(label.chars().count() <= 80 && id.chars().count() <= 100);
    }

    assert!(to_channel(&requests, 20).is_empty(), "chatter is ignored");
    assert!(to_channel(&requests, 30).is_empty(), "bots are ignored");
    assert!(!content(to_channel(&requests, 40)[0]).is_empty());
    assert!(!content(to_channel(&requests, 60)[0]).is_empty());
    for part in to_channel(&requests, 50) {
        assert!(content(part).chars().count() <= 2000);
    }
    assert_nothing_pings(&requests);
    for request in &requests {
        assert_eq!(request.authorization, format!("Bot {TOKEN}"));
    }

    fake.wait_heartbeat().await;
    let identify = fake.identify().expect("identified");
    assert_eq!(identify["intents"], json!(INTENTS));
    let alice_key = UserKey::new("discord", "1001");
    assert!(bot.store.load(&alice_key).expect("load").is_some());
    bot.stop().await;
    assert_no_token(&logged());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_commands_and_buttons() {
    let bot = Bot::start(Vec::new()).await;
    let fake = &bot.fake;
    let erin = || user(2001, "erin", false);

    let registered = fake.requests();
    let put = registered
        .iter()
        .find(|r| r.method == "PUT")
        .expect("commands registered");
    assert_eq!(put.path, format!("/api/v10/applications/{APP_ID}/commands"));
    let names: Vec<&str> = put
        .body
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|command| command["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "ask", "careers", "roles", "reset", "forget", "mydata", "help"
        ]
    );
    let question = &put.body[0]["options"][0];
    assert_eq!(question["name"], "question");
    assert_eq!(question["type"], 3);
    assert_eq!(question["required"], true);

    let ask = json!([{ "name": "question", "type": 3, "value": "how do I apply for NHS jobs?" }]);
    fake.dispatch(
        "INTERACTION_CREATE",
        fake::command(1, 11, erin(), "ask", ask),
    );
    let requests = fake
        .wait_until("the /ask callback", |r| !callbacks(r, 1).is_empty())
        .await;
    let answer = callbacks(&requests, 1)[0];
    assert_eq!(
        answer.path,
        "/api/v10/interactions/1/interaction-token-1/callback"
    );
    assert!(content(answer).contains("NHS Jobs"), "{}", content(answer));

    // Press the first button offered on the answer (it may be on a follow-up).
    let offered = fake::sent(&requests)
        .into_iter()
        .flat_map(buttons)
        .next()
        .expect("buttons offered");
    let shown = message(900, 11, None, user(BOT_ID, "careerbot", true), "…");
    fake.dispatch(
        "INTERACTION_CREATE",
        fake::press(2, 11, erin(), &offered.1, shown),
    );
    // An interaction serenity cannot read (no `attachment_size_limit`) is logged, not lost.
    let mut unreadable = fake::command(99, 11, erin(), "help", json!([]));
    unreadable
        .as_object_mut()
        .expect("an object")
        .remove("attachment_size_limit");
    fake.dispatch("INTERACTION_CREATE", unreadable);
    wait_for_log("INTERACTION_CREATE").await;

    // One at a time, as a person would: serenity handles events concurrently.
    fake.wait_until("the press answered", |r| !callbacks(r, 2).is_empty())
        .await;
    let commands = [(3, "help"), (4, "mydata"), (5, "roles"), (6, "forget")];
    for (id, name) in commands {
        fake.dispatch(
            "INTERACTION_CREATE",
            fake::command(id, 11, erin(), name, json!([])),
        );
        fake.wait_until(name, |r| !callbacks(r, id).is_empty())
            .await;
    }
    let requests = fake.requests();
    let answer = |id| content(callbacks(&requests, id)[0]);
    assert!(!answer(2).is_empty());
    assert!(answer(3).contains("apprenticeships"), "{}", answer(3));
    assert!(answer(5).contains("14 categories"), "{}", answer(5));
    let private = |id| callbacks(&requests, id)[0].body["data"]["flags"] == 64;
    assert!(!private(3) && !private(5), "/help and /roles are public");
    assert!(private(4) && private(6), "/mydata and /forget are private");
    let forget = callbacks(&requests, 6)[0];
    let labels: Vec<String> = buttons(forget)
        .into_iter()
        .map(|(label, _)| label)
        .collect();
    assert_eq!(labels, ["Yes, forget me", "No, keep it"]);

    // Pressing "Yes, forget me" deletes everything stored about erin.
    let erin_key = UserKey::new("discord", "2001");
    assert!(bot.store.load(&erin_key).expect("load").is_some());
    let mut shown = message(901, 11, None, user(BOT_ID, "careerbot", true), "…");
    shown["flags"] = json!(64);
    fake.dispatch(
        "INTERACTION_CREATE",
        fake::press(7, 11, erin(), &buttons(forget)[0].1, shown),
    );
    let requests = fake
        .wait_until("the answer to Yes", |r| !callbacks(r, 7).is_empty())
        .await;
    let yes = callbacks(&requests, 7)[0];
    assert!(
        content(yes).contains("deleted everything"),
        "{}",
        content(yes)
    );
    assert_eq!(
        yes.body["data"]["flags"], 64,
        "answered privately, as asked"
    );
    assert!(bot.store.load(&erin_key).expect("load").is_none());

    // /careers starts the career finder.
    fake.dispatch(
        "INTERACTION_CREATE",
        fake::command(8, 11, erin(), "careers", json!([])),
    );
    let requests = fake
        .wait_until("/careers", |r| !callbacks(r, 8).is_empty())
        .await;
    let careers = content(callbacks(&requests, 8)[0]);
    assert!(careers.contains("Question 1 of 5"), "{careers}");
    assert_nothing_pings(&requests);

    // Flood control: of ten commands at once, eight are answered, one asks to slow down, and
    // the last is still acknowledged (privately deferred, then deleted) so Discord never shows
    // "interaction failed".
    for id in 100..110 {
        fake.dispatch(
            "INTERACTION_CREATE",
            fake::command(id, 12, user(2002, "fred", false), "help", json!([])),
        );
    }
    let answered = |r: &[Request], id: u64| {
        let prefix = format!("/api/v10/interactions/{id}/");
        r.iter().any(|r| r.path.starts_with(&prefix))
    };
    let requests = fake
        .wait_until("every flooding command acknowledged", |r| {
            (100..110).all(|id| answered(r, id)) && r.iter().any(|r| r.method == "DELETE")
        })
        .await;
    let messages = (100..110)
        .filter(|id| !callbacks(&requests, *id).is_empty())
        .count();
    assert_eq!(messages, 9);
    let deferred: Vec<&Request> = requests.iter().filter(|r| r.body["type"] == 5).collect();
    assert_eq!(deferred.len(), 1);
    assert_eq!(deferred[0].body["data"]["flags"], 64);
    let deleted: Vec<&Request> = requests.iter().filter(|r| r.method == "DELETE").collect();
    assert_eq!(deleted.len(), 1);
    assert!(deleted[0].path.ends_with("/messages/@original"));
    bot.stop().await;
    assert_no_token(&logged());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_never_show_the_token() {
    logs();
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SledStore::open(dir.path()).expect("store");
    let engine = Engine::new(&content_files()).expect("content");
    let config = discord::Config {
        token: Secret::new(TOKEN),
        api_url: Some(url),
        channels: Vec::new(),
        shards: None,
        shard_ids: None,
        status: Default::default(),
    };
    assert_no_token(&format!("{config:?}"));
    let conversations = Conversations::new(engine, store);
    let outcome = tokio::time::timeout(
        WAIT,
        discord::serve(config, conversations, std::future::pending()),
    )
    .await
    .expect("gives up in time");
    let error = outcome.expect_err("no Discord to talk to");
    let text = format!("{error} {error:?}");
    assert!(text.contains("/api/v10/gateway/bot"), "{text}");
    assert_no_token(&text);
    assert_no_token(&logged());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_users_messages_are_answered_in_the_order_they_were_sent() {
    let bot = Bot::start(vec![]).await;
    let fake = &bot.fake;
    let questions = [
        ("how do I apply for NHS jobs?", "NHS Jobs"),
        ("what apprenticeships are there?", "pprentice"),
        ("how much annual leave do nhs staff get?", "27 days"),
    ];
    // Alice's and Bob's messages come in one burst, interleaved: serenity hands each event to a
    // task of its own, so without a queue per user they could be answered in any order.
    let (alice, bob) = (user(2001, "alice", false), user(2002, "bob", false));
    for (n, (question, _)) in questions.iter().enumerate() {
        let id = 100 + 2 * n as u64;
        fake.dispatch(
            "MESSAGE_CREATE",
            message(id, 71, None, alice.clone(), question),
        );
        fake.dispatch(
            "MESSAGE_CREATE",
            message(id + 1, 72, None, bob.clone(), question),
        );
    }
    let last = questions[questions.len() - 1].1;
    let requests = fake
        .wait_until("the last answers to Alice and Bob", |requests| {
            [71, 72].iter().all(|channel| {
                to_channel(requests, *channel)
                    .iter()
                    .any(|r| content(r).contains(last))
            })
        })
        .await;
    for (channel, id) in [(71, "2001"), (72, "2002")] {
        let bodies: Vec<&str> = to_channel(&requests, channel)
            .into_iter()
            .map(content)
            .collect();
        let order: Vec<Option<usize>> = questions
            .iter()
            .map(|(_, keyword)| bodies.iter().position(|b| b.contains(keyword)))
            .collect();
        assert!(
            order.iter().all(Option::is_some) && order.windows(2).all(|w| w[0] < w[1]),
            "answers out of order in {channel}: {order:?}\n{bodies:#?}"
        );
        let state = bot
            .store
            .load(&UserKey::new("discord", id))
            .expect("load")
            .expect("stored");
        let said: Vec<&str> = state.turns.iter().map(|t| t.text.as_str()).collect();
        let asked: Vec<&str> = questions.iter().map(|(q, _)| *q).collect();
        assert_eq!(said, asked, "turns taken in order");
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_given_a_range_of_shards_identifies_only_those() {
    logs();
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SledStore::open(dir.path()).expect("store");
    let engine = Engine::new(&content_files()).expect("content");
    let status = adapter::Status::default();
    let config = discord::Config {
        token: Secret::new(TOKEN),
        api_url: Some(fake.base_url.clone()),
        channels: Vec::new(),
        shards: Some(4),
        shard_ids: Some(discord::ShardIds::parse("2..4").expect("valid")),
        status: status.clone(),
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(discord::serve(
        config,
        Conversations::new(engine, store),
        async {
            stopped.await.ok();
        },
    ));
    // serenity waits 5 s between two shards' IDENTIFYs.
    let deadline = tokio::time::Instant::now() + WAIT + Duration::from_secs(10);
    while fake.identifies().len() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Long enough for a third shard, if one were wrongly started, to identify too.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let shards: Vec<Value> = fake
        .identifies()
        .iter()
        .map(|identify| identify["shard"].clone())
        .collect();
    assert_eq!(
        shards,
        [json!([2, 4]), json!([3, 4])],
        "only shards 2 and 3 of 4"
    );
    assert!(status.is_connected(), "ready once its own shards are");
    stop.send(()).expect("running");
    let result = tokio::time::timeout(WAIT, task)
        .await
        .expect("stops in time")
        .expect("no panic");
    assert!(result.is_ok(), "{result:?}");
}
