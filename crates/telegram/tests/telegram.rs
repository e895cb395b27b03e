//! End to end: the real adapter and teloxide client against a fake Bot API on 127.0.0.1.
//!
//! Each test starts its own fake and bot (real engine and content, a sled store in a temporary
//! directory), scripts updates, and checks the requests the bot makes. Every wait is bounded.

mod fake_api;

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use adapter::Secret;
use engine::{Content, Conversations, Engine, UserKey};
use fake_api::{FakeApi, press, reply_to_bot, text};
use serde_json::{Value, json};
use store::SledStore;
use telegram::{Config, Limits, Mode};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The secret part of every test token; it must never reach a log line or an error.
const SECRET: &str = "AAH-very-secret-token-part";
/// Bounds starting up and shutting down.
const LIMIT: Duration = Duration::from_secs(10);

/// Everything written by `tracing` (and teloxide's `log` records) in this test binary.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buffer);
        // `try_init` also forwards `log` records (teloxide's) to tracing.
        tracing_subscriber::fmt()
            .with_env_filter("trace")
            .with_ansi(false)
            .with_writer(move || LogWriter(Arc::clone(&writer)))
            .try_init()
            .expect("one global subscriber");
        buffer
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_secret_not_logged() {
    let logs = logs().lock().expect("log buffer");
    let text = String::from_utf8_lossy(&logs);
    assert!(!text.is_empty(), "the log capture works");
    assert!(!text.contains(SECRET), "the token reached the logs");
}

/// The repository's content, plus one very long entry (no real entry passes 4096 characters,
/// so this one shows splitting on the wire).
fn content() -> Content {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut content = Content::from_dirs(&root.join("knowledge"), &root.join("intents"))
        .expect("repository content");
    let paragraph =
        "Zebras cross the savannah in **great herds** & follow the rains <b>north</b>. ".repeat(4);
    let body = vec![paragraph; 40].join("\n\n");
    let entry = format!(
        "+++\nid = \"test.zebras\"\ntitle = \"Zebra migration\"\nsubject = \"zebras\"\n\
         questions = [\"how do zebras migrate\", \"zebra migration\", \"where do zebras go\", \
         \"when do zebras migrate\", \"why do zebras migrate\", \"zebra herds\"]\n\
         check = [\"tell me about zebra migration\"]\n\
         sources = [\"https://www.jobs.nhs.uk\"]\nrelated = [\"apply.nhs-jobs\"]\n+++\n{body}\n"
    );
    content.knowledge.push(knowledge::SourceFile {
        path: "knowledge/test/zebras.md".to_owned(),
        text: entry,
    });
    content
}

fn conversations(dir: &Path) -> Arc<Conversations<SledStore>> {
    let content = content();
    let engine = Engine::new(&content).expect("engine builds");
    let store = SledStore::open(dir).expect("store opens");
    Arc::new(Conversations::new(engine, store).with_flood_control())
}

/// A running bot against a running fake.
struct Bot {
    fake: FakeApi,
    conversations: Arc<Conversations<SledStore>>,
    stop: oneshot::Sender<()>,
    running: JoinHandle<Result<(), telegram::Error>>,
    _dir: tempfile::TempDir,
}

impl Bot {
    /// Starts the fake and the bot, and waits until the bot is polling.
    async fn start() -> Bot {
        Bot::start_in(Mode::Polling).await
    }

    /// Starts the fake and the bot in `mode`, and waits until updates can flow.
    async fn start_in(mode: Mode) -> Bot {
        logs();
        let fake = FakeApi::start().await;
        let dir = tempfile::tempdir().expect("temporary directory");
        let conversations = conversations(dir.path());
        let mut config = Config::new(Secret::new(format!("123:{SECRET}")), &fake.url);
        // Telegram's limits would space a 30 KB answer's parts a second apart: keep the
        // throttle, with room for a fast test.
        config.limits = Limits {
            messages_per_sec_chat: 100,
            messages_per_min_chat: 1000,
            messages_per_min_channel_or_supergroup: 1000,
            messages_per_sec_overall: 100,
        };
        let ready = match mode {
            Mode::Polling => "getupdates",
            Mode::Webhook { .. } => "setwebhook",
        };
        config.mode = mode;
        let (stop, stopped) = oneshot::channel::<()>();
        let running = tokio::spawn(telegram::run(
            config,
            Arc::clone(&conversations),
            async move {
                let _ = stopped.await;
            },
        ));
        let up = tokio::time::timeout(
            LIMIT,
            fake.wait_until(LIMIT, |requests| requests.iter().any(|r| r.method == ready)),
        );
        let mut running = running;
        tokio::select! {
            _ = up => {}
            result = &mut running => panic!("the bot stopped: {result:?}"),
        }
        Bot {
            fake,
            conversations,
            stop,
            running,
            _dir: dir,
        }
    }

    /// Stops the bot (as on SIGTERM) and checks it returned cleanly and logged no secret.
    async fn stop(self) -> FakeApi {
        let _ = self.stop.send(());
        let result = tokio::time::timeout(LIMIT, self.running)
            .await
            .expect("the bot stops within the limit")
            .expect("the bot task did not panic");
        assert!(result.is_ok(), "clean shutdown: {result:?}");
        assert_secret_not_logged();
        self.fake
    }
}

fn texts(messages: &[Value]) -> Vec<&str> {
    messages
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default())
        .collect()
}

fn buttons(message: &Value) -> Vec<(String, String)> {
    let rows = message["reply_markup"]["inline_keyboard"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    rows.iter()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .map(|b| {
            (
                b["text"].as_str().unwrap_or_default().to_owned(),
                b["callback_data"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_registers_commands_and_polls() {
    let bot = Bot::start().await;
    let fake = bot.stop().await;
    let requests = fake.requests();
    assert!(requests.iter().all(|r| r.token.ends_with(SECRET)));
    let commands = fake.calls("setMyCommands");
    assert_eq!(commands.len(), 1);
    let names: Vec<&str> = commands[0].body["commands"]
        .as_array()
        .expect("a command list")
        .iter()
        .map(|c| c["command"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        ["start", "help", "quiz", "reset", "forget", "mydata"]
    );
    let polls = fake.calls("getUpdates");
    let allowed = &polls[0].body["allowed_updates"];
    assert!(allowed.to_string().contains("callback_query"), "{allowed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_question_is_answered_with_facts_and_buttons() {
    let bot = Bot::start().await;
    bot.fake.push(text(11, 11, "how do I apply for NHS jobs?"));
    let sent = bot.fake.wait_for_messages(11, 1).await;
    let answer = &sent[0];
    assert_eq!(answer["parse_mode"], "HTML");
    let body = answer["text"].as_str().unwrap_or_default();
    assert!(body.contains("NHS Jobs"), "{body}");
    let offered = buttons(sent.last().expect("a message"));
    assert!(!offered.is_empty(), "suggestions become inline buttons");
    for (label, data) in &offered {
        assert!(data.len() <= 64 && label.starts_with(data.as_str()));
    }
    let state = bot
        .conversations
        .export(&UserKey::new("telegram", "11"))
        .expect("store readable");
    assert!(state.is_some(), "state kept under telegram:<user id>");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_markup_is_escaped() {
    let bot = Bot::start().await;
    let hostile = "<b>bold</b> & <script>alert(1)</script> nursing?";
    bot.fake.push(text(12, 12, hostile));
    let sent = bot.fake.wait_for_messages(12, 1).await;
    for message in &sent {
        assert_eq!(message["parse_mode"], "HTML");
        let body = message["text"].as_str().unwrap_or_default();
        assert!(!body.contains("<script"), "{body}");
        assert!(!body.contains("<b>bold"), "{body}");
        let bare_ampersand = body.match_indices('&').any(|(at, _)| {
            !body[at..].starts_with("&amp;")
                && !body[at..].starts_with("&lt;")
                && !body[at..].starts_with("&gt;")
                && !body[at..].starts_with("&quot;")
                && !body[at..].starts_with("&#")
        });
        assert!(!bare_ampersand, "{body}");
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_message_is_answered_in_parts_within_the_limit() {
    let bot = Bot::start().await;
    let huge = "how do I apply for NHS jobs? ".repeat(1100); // about 30 KB
    assert!(huge.len() > 30_000);
    bot.fake.push(text(13, 13, &huge));
    let sent = bot.fake.wait_for_messages(13, 1).await;
    for body in texts(&sent) {
        assert!(
            body.chars().count() <= 4096,
            "{} chars",
            body.chars().count()
        );
        assert!(!body.is_empty());
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_answer_is_split_with_buttons_on_the_last_part() {
    let bot = Bot::start().await;
    bot.fake.push(text(18, 18, "how do zebras migrate?"));
    // Parts are sent one after another: wait for the one carrying the buttons.
    bot.fake
        .wait_until(LIMIT, |requests| {
            requests
                .iter()
                .any(|r| r.method == "sendmessage" && !r.body["reply_markup"].is_null())
        })
        .await;
    let sent = bot.fake.sent_to(18);
    assert!(sent.len() >= 3, "{} parts", sent.len());
    for (i, part) in sent.iter().enumerate() {
        let body = part["text"].as_str().unwrap_or_default();
        assert!(
            body.chars().count() <= 4096,
            "part {i}: {} chars",
            body.chars().count()
        );
        assert!(body.contains("<b>great herds</b> &amp; follow the rains &lt;b&gt;north"));
        assert_eq!(
            buttons(part).is_empty(),
            i + 1 < sent.len(),
            "buttons on the last part only"
        );
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_answer_only_mentions_commands_and_replies() {
    let bot = Bot::start().await;
    let group = -100;
    bot.fake.push(text(group, 21, "anyone fancy lunch?"));
    bot.fake
        .push(text(group, 21, "@CareerBot how do I apply for NHS jobs?"));
    // Updates in one chat are handled in order: once the mention is answered, the chatter
    // before it has been seen and ignored.
    let sent = bot.fake.wait_for_messages(group, 1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("NHS Jobs")
    );
    bot.fake
        .push(reply_to_bot(group, 21, "what apprenticeships are there?"));
    bot.fake.push(text(group, 22, "/help@OtherBot"));
    bot.fake.push(text(group, 22, "/help@CareerBot"));
    let sent = bot.fake.wait_for_messages(group, 3).await;
    assert_eq!(
        sent.len(),
        3,
        "reply and /help@CareerBot answered: {sent:?}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_button_press_is_acknowledged_and_answered() {
    let bot = Bot::start().await;
    bot.fake.push(text(14, 14, "how do I apply for NHS jobs?"));
    let sent = bot.fake.wait_for_messages(14, 1).await;
    let (label, data) = buttons(sent.last().expect("a message"))
        .into_iter()
        .next()
        .expect("a button");
    bot.fake.push(press(14, 14, &data));
    let after = bot.fake.wait_for_messages(14, sent.len() + 1).await;
    let acknowledged = bot.fake.calls("answerCallbackQuery");
    assert_eq!(acknowledged.len(), 1);
    assert_eq!(acknowledged[0].body["callback_query_id"], "query-1");
    let reply = after[sent.len()]["text"].as_str().unwrap_or_default();
    assert!(!reply.is_empty(), "a reply to pressing {label:?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_reach_the_engine_and_forget_deletes_the_state() {
    let bot = Bot::start().await;
    let chat = 15;
    let key = UserKey::new("telegram", "15");
    bot.fake.push(text(chat, chat, "/start"));
    let sent = bot.fake.wait_for_messages(chat, 1).await;
    assert!(
        !buttons(&sent[0]).is_empty(),
        "a menu of topics: {}",
        sent[0]
    );
    bot.fake.push(text(chat, chat, "/reset"));
    let sent = bot.fake.wait_for_messages(chat, 2).await;
    assert!(
        sent[1]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("afresh")
    );
    bot.fake.push(text(chat, chat, "/forget"));
    let sent = bot.fake.wait_for_messages(chat, 3).await;
    let labels: Vec<String> = buttons(&sent[2])
        .into_iter()
        .map(|(label, _)| label)
        .collect();
    assert_eq!(labels, ["Yes, forget me", "No, keep it"]);
    assert!(bot.conversations.export(&key).expect("readable").is_some());
    bot.fake.push(press(chat, chat, "Yes, forget me"));
    let sent = bot.fake.wait_for_messages(chat, 4).await;
    assert!(
        sent[3]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("deleted")
    );
    assert!(
        bot.conversations.export(&key).expect("readable").is_none(),
        "state deleted after pressing yes"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_text_messages_get_the_text_only_reply() {
    let bot = Bot::start().await;
    let chat = 19;
    bot.fake.push(fake_api::message(
        chat,
        chat,
        json!({"photo": [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]}),
    ));
    // In a group, a photo that is not a reply to the bot is chatter.
    bot.fake.push(fake_api::message(
        -chat,
        chat,
        json!({"voice": {"file_id": "v", "file_unique_id": "w", "duration": 1}}),
    ));
    bot.fake.push(text(-chat, chat, "/help"));
    let sent = bot.fake.wait_for_messages(chat, 1).await;
    let non_text = bot.conversations.engine().messages().non_text.clone();
    assert_eq!(
        sent[0]["text"].as_str(),
        Some(render::escape_html(&non_text).as_str())
    );
    let in_group = bot.fake.wait_for_messages(-chat, 1).await;
    assert_eq!(in_group.len(), 1, "only /help answered: {in_group:?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_is_retried_after_the_wait() {
    let bot = Bot::start().await;
    bot.fake.refuse_sends(1);
    bot.fake.push(text(16, 16, "hello"));
    bot.fake
        .wait_until(LIMIT, |requests| {
            requests
                .iter()
                .filter(|r| r.method == "sendmessage")
                .count()
                >= 2
        })
        .await;
    let sends = bot.fake.calls("sendMessage");
    assert_eq!(
        sends[0].body["text"], sends[1].body["text"],
        "the same message again"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_never_show_the_token() {
    logs();
    // A port that was free a moment ago: connecting is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = closed.local_addr().expect("address");
    drop(closed);
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = Config::new(
        Secret::new(format!("123:{SECRET}")),
        &format!("http://{address}"),
    );
    let result = tokio::time::timeout(
        LIMIT,
        telegram::run(
            config.clone(),
            conversations(dir.path()),
            std::future::pending(),
        ),
    )
    .await
    .expect("fails fast");
    let error = result.expect_err("the API cannot be reached");
    let shown = format!("{error} {error:?} {config:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert_secret_not_logged();
}

/// A free loopback address (bound, then released).
fn free_address() -> SocketAddr {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    socket.local_addr().expect("address")
}

/// POSTs `body` to the webhook at `address` the way Telegram does; returns the status line.
async fn post_update(address: SocketAddr, path: &str, secret: &str, body: &Value) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         X-Telegram-Bot-Api-Secret-Token: {secret}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("read");
        response
    };
    let response = tokio::time::timeout(LIMIT, exchange)
        .await
        .expect("webhook answers");
    response.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_registers_serves_and_removes_the_webhook() {
    let listen = free_address();
    let url = "https://bots.example.org/telegram/update".to_owned();
    let bot = Bot::start_in(Mode::Webhook {
        url: url.clone(),
        listen,
        secret: None,
    })
    .await;
    let registered = bot.fake.calls("setWebhook");
    assert_eq!(registered[0].body["url"], url.as_str());
    let secret = registered[0].body["secret_token"]
        .as_str()
        .expect("a secret token")
        .to_owned();
    let mut update = text(17, 17, "how do I apply for NHS jobs?");
    update["update_id"] = json!(1);
    let refused = post_update(listen, "/telegram/update", "wrong", &update).await;
    assert!(refused.contains("401"), "{refused}");
    let accepted = post_update(listen, "/telegram/update", &secret, &update).await;
    assert!(accepted.contains("200"), "{accepted}");
    let sent = bot.fake.wait_for_messages(17, 1).await;
    assert_eq!(
        sent.len(),
        1,
        "only the update with the right secret is answered"
    );
    assert!(
        sent[0]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("NHS Jobs")
    );
    let fake = bot.stop().await;
    assert!(fake.calls("getUpdates").is_empty());
    assert_eq!(
        fake.calls("deleteWebhook").len(),
        1,
        "removed before run returns"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_user_is_asked_to_slow_down_then_ignored() {
    let bot = Bot::start().await;
    let group = -300;
    for _ in 0..12 {
        bot.fake.push(text(group, 31, "/help"));
    }
    // Updates are handled per user (one user's in order, different users' side by side, even
    // in one group): wait for the other user's answer and for the flooding user's eight answers
    // and one warning; the three after the warning are ignored, so nothing more may come.
    bot.fake
        .push(text(group, 32, "@CareerBot how do I apply for NHS jobs?"));
    bot.fake
        .wait_until(LIMIT, |requests| {
            let to_group: Vec<&Value> = requests
                .iter()
                .filter(|r| r.method == "sendmessage" && r.body["chat_id"] == json!(group))
                .map(|r| &r.body)
                .collect();
            to_group.len() >= 10
                && to_group
                    .iter()
                    .any(|b| b["text"].as_str().is_some_and(|t| t.contains("NHS Jobs")))
        })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = bot.fake.sent_to(group);
    assert_eq!(
        sent.len(),
        10,
        "8 answers, one warning, the other user's answer"
    );
    let flood: Vec<&str> = texts(&sent)
        .into_iter()
        .filter(|t| !t.contains("NHS Jobs"))
        .collect();
    assert_eq!(flood.len(), 9, "{flood:#?}");
    let warning = flood[8];
    assert!(warning.contains("faster than I can answer"), "{warning}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_users_messages_are_answered_in_the_order_they_came() {
    let bot = Bot::start().await;
    let (alice, bob) = (41, 42);
    let questions = [
        ("how do I apply for NHS jobs?", "NHS Jobs"),
        ("what apprenticeships are there?", "pprentice"),
        ("how much annual leave do nhs staff get?", "27 days"),
    ];
    // Alice's and Bob's messages arrive interleaved, in one batch of updates.
    for (question, _) in questions {
        bot.fake.push(text(alice, alice, question));
        bot.fake.push(text(bob, bob, question));
    }
    let last = questions[questions.len() - 1].1;
    for chat in [alice, bob] {
        bot.fake
            .wait_until(LIMIT, |requests| {
                requests.iter().any(|r| {
                    r.method == "sendmessage"
                        && r.body["chat_id"] == json!(chat)
                        && r.body["text"].as_str().unwrap_or_default().contains(last)
                })
            })
            .await;
        let sent = bot.fake.sent_to(chat);
        let bodies = texts(&sent);
        let first_with = |needle: &str| bodies.iter().position(|b| b.contains(needle));
        let order: Vec<Option<usize>> = questions.iter().map(|(_, k)| first_with(k)).collect();
        assert!(
            order.iter().all(Option::is_some) && order.windows(2).all(|w| w[0] < w[1]),
            "replies out of order: {order:?}\n{bodies:#?}"
        );
        let state = bot
            .conversations
            .export(&UserKey::new("telegram", &chat.to_string()))
            .expect("store readable")
            .expect("state stored");
        let said: Vec<&str> = state.turns.iter().map(|t| t.text.as_str()).collect();
        let asked: Vec<&str> = questions.iter().map(|(q, _)| *q).collect();
        assert_eq!(said, asked, "turns taken in order");
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_webhook_instances_on_one_store_answer_each_update_once_and_keep_the_webhook() {
    let shared = "shared-webhook-secret_1";
    let url = "https://bots.example.org/telegram/update".to_owned();
    let (one, two) = (free_address(), free_address());
    let bot = Bot::start_in(Mode::Webhook {
        url: url.clone(),
        listen: one,
        secret: Some(Secret::new(shared)),
    })
    .await;
    // A second instance behind the same proxy, on the same store (here, the same process's).
    let mut config = Config::new(Secret::new(format!("123:{SECRET}")), &bot.fake.url);
    config.mode = Mode::Webhook {
        url: url.clone(),
        listen: two,
        secret: Some(Secret::new(shared)),
    };
    let (stop_two, stopped_two) = oneshot::channel::<()>();
    let second = tokio::spawn(telegram::run(
        config,
        Arc::clone(&bot.conversations),
        async move {
            let _ = stopped_two.await;
        },
    ));
    bot.fake
        .wait_until(LIMIT, |requests| {
            requests.iter().filter(|r| r.method == "setwebhook").count() == 2
        })
        .await;
    for call in bot.fake.calls("setWebhook") {
        assert_eq!(
            call.body["secret_token"], shared,
            "both register the shared secret"
        );
    }
    let mut update = text(23, 23, "how do I apply for NHS jobs?");
    update["update_id"] = json!(77);
    // Telegram retries (a slow answer, a lost acknowledgement), through either instance.
    for address in [one, two, one] {
        let status = post_update(address, "/telegram/update", shared, &update).await;
        assert!(status.contains("200"), "{status}");
    }
    let mut other = text(23, 23, "what apprenticeships are there?");
    other["update_id"] = json!(78);
    post_update(two, "/telegram/update", shared, &other).await;
    let sent = bot.fake.wait_for_messages(23, 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent_after = bot.fake.wait_for_messages(23, 2).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(
        sent_after.len(),
        2,
        "update 77 answered once, 78 once: {sent_after:?}"
    );
    let _ = stop_two.send(());
    tokio::time::timeout(LIMIT, second)
        .await
        .expect("the second instance stops")
        .expect("no panic")
        .expect("stopped cleanly");
    let fake = bot.stop().await;
    assert!(
        fake.calls("deleteWebhook").is_empty(),
        "no instance removes a webhook the others serve"
    );
}
