//! A fake Telegram Bot API on 127.0.0.1: it records every request (method and JSON body),
//! serves scripted updates through getUpdates and answers the rest like Telegram would.
//!
//! teloxide POSTs JSON to `{base}/bot{token}/{Method}` with PascalCase method names, so methods
//! are matched case-insensitively. An empty long poll is answered within about a second, so the
//! bot shuts down quickly.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};

/// The bot's user id and username.
pub const BOT_ID: i64 = 4242;
/// The bot's username (without `@`).
pub const BOT_USERNAME: &str = "CareerBot";
/// How long an empty long poll is held.
const EMPTY_POLL: Duration = Duration::from_millis(800);

/// One request the bot made.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method, lowercased (`sendmessage`).
    pub method: String,
    /// The JSON body.
    pub body: Value,
    /// The token from the URL path.
    pub token: String,
}

#[derive(Default)]
struct Inner {
    requests: Vec<Request>,
    updates: VecDeque<Value>,
    next_update: i64,
    next_message: i64,
    /// How many sendMessage calls to refuse with 429 before accepting.
    refuse_sends: usize,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    new_update: Arc<Notify>,
    recorded: Arc<watch::Sender<usize>>,
}

/// A running fake Bot API.
pub struct FakeApi {
    /// The base URL to give the bot (`http://127.0.0.1:port`).
    pub url: String,
    shared: Shared,
    _server: tokio::task::JoinHandle<()>,
}

impl FakeApi {
    /// Starts the fake on a free loopback port.
    pub async fn start() -> FakeApi {
        let shared = Shared {
            inner: Arc::new(Mutex::new(Inner {
                next_update: 1,
                next_message: 1000,
                ..Inner::default()
            })),
            new_update: Arc::new(Notify::new()),
            recorded: Arc::new(watch::channel(0).0),
        };
        let app = Router::new()
            .route("/{bot}/{method}", post(handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let address = listener.local_addr().expect("local address");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake API serves");
        });
        FakeApi {
            url: format!("http://{address}/"),
            shared,
            _server: server,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.shared.inner.lock().expect("fake API lock")
    }

    /// Queues an update (its `update_id` is filled in) for the next getUpdates.
    pub fn push(&self, update: Value) {
        let mut inner = self.lock();
        let mut update = update;
        update["update_id"] = json!(inner.next_update);
        inner.next_update += 1;
        inner.updates.push_back(update);
        drop(inner);
        self.shared.new_update.notify_waiters();
    }

    /// Makes the next `count` sendMessage calls fail with 429 and `retry_after: 1`.
    pub fn refuse_sends(&self, count: usize) {
        self.lock().refuse_sends = count;
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    /// The requests to `method` (any case) so far.
    pub fn calls(&self, method: &str) -> Vec<Request> {
        let method = method.to_ascii_lowercase();
        self.requests()
            .into_iter()
            .filter(|r| r.method == method)
            .collect()
    }

    /// The sendMessage bodies for `chat` so far.
    pub fn sent_to(&self, chat: i64) -> Vec<Value> {
        self.calls("sendMessage")
            .into_iter()
            .map(|r| r.body)
            .filter(|body| body["chat_id"] == json!(chat))
            .collect()
    }

    /// Waits (at most `limit`) until `done` holds for the requests so far; panics on time-out.
    pub async fn wait_until(&self, limit: Duration, done: impl Fn(&[Request]) -> bool) {
        let mut recorded = self.shared.recorded.subscribe();
        let waiting = async {
            loop {
                if done(&self.requests()) {
                    return;
                }
                recorded.changed().await.expect("fake API alive");
            }
        };
        if tokio::time::timeout(limit, waiting).await.is_err() {
            let methods: Vec<String> = self
                .requests()
                .iter()
                .map(|r| format!("{} {}", r.method, r.body))
                .collect();
            panic!("timed out; requests so far:\n{}", methods.join("\n"));
        }
    }

    /// Waits until `count` messages have been sent to `chat` and returns them.
    pub async fn wait_for_messages(&self, chat: i64, count: usize) -> Vec<Value> {
        self.wait_until(Duration::from_secs(10), |requests| {
            requests
                .iter()
                .filter(|r| r.method == "sendmessage" && r.body["chat_id"] == json!(chat))
                .count()
                >= count
        })
        .await;
        self.sent_to(chat)
    }
}

/// Answers one Bot API call.
async fn handle(
    State(shared): State<Shared>,
    Path((bot, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let method = method.to_ascii_lowercase();
    let body = parse_body(&headers, &body);
    let request = Request {
        method: method.clone(),
        body: body.clone(),
        token: bot.strip_prefix("bot").unwrap_or(&bot).to_owned(),
    };
    let answer = match method.as_str() {
        "getupdates" => get_updates(&shared, &body).await,
        "getme" => ok(me()),
        "getwebhookinfo" => ok(json!({"url": "", "has_custom_certificate": false,
            "pending_update_count": 0})),
        "sendmessage" => send_message(&shared, &body),
        _ => ok(json!(true)),
    };
    shared
        .inner
        .lock()
        .expect("fake API lock")
        .requests
        .push(request);
    shared.recorded.send_modify(|count| *count += 1);
    Json(answer)
}

/// A JSON body, or a multipart form (teloxide sends setWebhook as one) as an object of strings.
fn parse_body(headers: &HeaderMap, body: &[u8]) -> Value {
    let kind = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(boundary) = kind.split("boundary=").nth(1) else {
        return serde_json::from_slice(body).unwrap_or(Value::Null);
    };
    let text = String::from_utf8_lossy(body);
    let mut form = serde_json::Map::new();
    for part in text.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|n| n.split('"').next())
        else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        form.insert(name.to_owned(), json!(value));
    }
    Value::Object(form)
}

fn ok(result: Value) -> Value {
    json!({"ok": true, "result": result})
}

/// Queued updates at once, or an empty list after a short long poll.
async fn get_updates(shared: &Shared, body: &Value) -> Value {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let take = |shared: &Shared| {
        let mut inner = shared.inner.lock().expect("fake API lock");
        inner
            .updates
            .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
        inner.updates.iter().cloned().collect::<Vec<_>>()
    };
    let notified = shared.new_update.notified();
    let updates = take(shared);
    if !updates.is_empty() || body["timeout"].as_u64().unwrap_or(0) == 0 {
        return ok(json!(updates));
    }
    let _ = tokio::time::timeout(EMPTY_POLL, notified).await;
    ok(json!(take(shared)))
}

/// A sent message, or a 429 when told to refuse.
fn send_message(shared: &Shared, body: &Value) -> Value {
    let mut inner = shared.inner.lock().expect("fake API lock");
    if inner.refuse_sends > 0 {
        inner.refuse_sends -= 1;
        return json!({"ok": false, "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1}});
    }
    inner.next_message += 1;
    let chat_id = body["chat_id"].as_i64().unwrap_or(0);
    ok(json!({
        "message_id": inner.next_message,
        "date": 1_700_000_000,
        "chat": chat(chat_id),
        "from": bot_user(),
        "text": body["text"],
    }))
}

/// The bot, as getMe answers.
fn me() -> Value {
    let mut me = bot_user();
    me["can_join_groups"] = json!(true);
    me["can_read_all_group_messages"] = json!(false);
    me["supports_inline_queries"] = json!(false);
    me["can_connect_to_business"] = json!(false);
    me["has_main_web_app"] = json!(false);
    me
}

fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "Career Bot", "username": BOT_USERNAME})
}

/// A chat: private for positive ids, a group for negative ones.
pub fn chat(id: i64) -> Value {
    if id < 0 {
        json!({"id": id, "type": "group", "title": "Jobseekers"})
    } else {
        json!({"id": id, "type": "private", "first_name": "Sam"})
    }
}

/// A person.
pub fn user(id: i64) -> Value {
    json!({"id": id, "is_bot": false, "first_name": "Sam"})
}

/// A message update from `user` in `chat` with the given extra fields (`text`, `photo`, …).
pub fn message(chat_id: i64, user_id: i64, fields: Value) -> Value {
    let mut message = json!({
        "message_id": 1,
        "date": 1_700_000_000,
        "chat": chat(chat_id),
        "from": user(user_id),
    });
    if let (Some(message), Some(fields)) = (message.as_object_mut(), fields.as_object()) {
        message.extend(fields.clone());
    }
    json!({"message": message})
}

/// A text message update.
pub fn text(chat_id: i64, user_id: i64, text: &str) -> Value {
    message(chat_id, user_id, json!({"text": text}))
}

/// A text message replying to one of the bot's messages.
pub fn reply_to_bot(chat_id: i64, user_id: i64, text: &str) -> Value {
    let replied = json!({"message_id": 7, "date": 1_700_000_000, "chat": chat(chat_id),
        "from": bot_user(), "text": "an earlier answer"});
    message(
        chat_id,
        user_id,
        json!({"text": text, "reply_to_message": replied}),
    )
}

/// A button press by `user_id` on a bot message in `chat_id`.
pub fn press(chat_id: i64, user_id: i64, data: &str) -> Value {
    json!({"callback_query": {
        "id": "query-1",
        "from": user(user_id),
        "message": {"message_id": 1001, "date": 1_700_000_000, "chat": chat(chat_id),
            "from": bot_user(), "text": "an answer with buttons"},
        "chat_instance": "instance-1",
        "data": data,
    }})
}
