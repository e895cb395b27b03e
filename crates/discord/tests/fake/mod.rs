//! A fake Discord on 127.0.0.1: the REST API (a small HTTP/1.1 server) and the gateway (a
//! websocket). It records every REST request and lets a test script gateway dispatches.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message as Frame;

/// The bot's user id in the fake.
pub const BOT_ID: u64 = 900;
/// The bot's application id in the fake.
pub const APP_ID: u64 = 901;
/// How long any wait on the fake may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// One REST request the bot made.
#[derive(Debug, Clone)]
pub struct Request {
    /// GET, POST, PUT, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The JSON body (`null` when there was none).
    pub body: Value,
    /// The Authorization header.
    pub authorization: String,
}

/// What the fake has seen.
#[derive(Debug, Default)]
struct Seen {
    requests: Vec<Request>,
    identify: Option<Value>,
    /// Every IDENTIFY payload, one per shard connected.
    identifies: Vec<Value>,
    heartbeats: usize,
}

/// A running fake Discord.
pub struct FakeDiscord {
    /// The base URL replacing `https://discord.com`.
    pub base_url: String,
    seen: Arc<Mutex<Seen>>,
    changed: watch::Receiver<usize>,
    events: mpsc::UnboundedSender<(String, Value)>,
}

/// Shared by the server tasks.
#[derive(Clone)]
struct Shared {
    seen: Arc<Mutex<Seen>>,
    changed: Arc<watch::Sender<usize>>,
    ws_url: String,
    events: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, Value)>>>,
    next_id: Arc<Mutex<u64>>,
}

impl Shared {
    fn seen(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, update: impl FnOnce(&mut Seen)) {
        update(&mut self.seen());
        self.changed.send_modify(|count| *count += 1);
    }

    fn id(&self) -> u64 {
        let mut next = self.next_id.lock().unwrap_or_else(PoisonError::into_inner);
        *next += 1;
        *next
    }
}

impl FakeDiscord {
    /// Starts the REST API and the gateway on free loopback ports.
    pub async fn start() -> FakeDiscord {
        let rest = TcpListener::bind("127.0.0.1:0").await.expect("bind rest");
        let gateway = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind gateway");
        let base_url = format!("http://{}", rest.local_addr().expect("rest address"));
        let ws_url = format!("ws://{}", gateway.local_addr().expect("gateway address"));
        let (events, receiver) = mpsc::unbounded_channel();
        let (changed_tx, changed) = watch::channel(0);
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = Shared {
            seen: Arc::clone(&seen),
            changed: Arc::new(changed_tx),
            ws_url,
            events: Arc::new(tokio::sync::Mutex::new(receiver)),
            next_id: Arc::new(Mutex::new(5000)),
        };
        tokio::spawn(serve_rest(rest, shared.clone()));
        tokio::spawn(serve_gateway(gateway, shared));
        FakeDiscord {
            base_url,
            seen,
            changed,
            events,
        }
    }

    fn seen(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends a gateway dispatch (op 0) named `event` once the bot has identified.
    pub fn dispatch(&self, event: &str, data: Value) {
        self.events
            .send((event.to_owned(), data))
            .expect("the gateway is running");
    }

    /// Every REST request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.seen().requests.clone()
    }

    /// The IDENTIFY payload, once the bot has sent it.
    pub fn identify(&self) -> Option<Value> {
        self.seen().identify.clone()
    }

    /// Every IDENTIFY payload so far (one per shard).
    pub fn identifies(&self) -> Vec<Value> {
        self.seen().identifies.clone()
    }

    /// Waits (at most `WAIT`) until the bot has sent a heartbeat, and the fake acknowledged it.
    pub async fn wait_heartbeat(&self) {
        let mut changed = self.changed.clone();
        let waited = tokio::time::timeout(WAIT, async {
            while self.seen().heartbeats == 0 {
                changed.changed().await.expect("the fake is running");
            }
        })
        .await;
        waited.expect("a heartbeat in time");
    }

    /// Waits (at most `WAIT`) until `done` holds for the requests so far; returns them.
    pub async fn wait_until(&self, what: &str, done: impl Fn(&[Request]) -> bool) -> Vec<Request> {
        let mut changed = self.changed.clone();
        let waited = tokio::time::timeout(WAIT, async {
            loop {
                changed.borrow_and_update();
                let requests = self.requests();
                if done(&requests) {
                    return requests;
                }
                changed.changed().await.expect("the fake is running");
            }
        })
        .await;
        waited
            .unwrap_or_else(|_| panic!("timed out waiting for {what}; saw {:#?}", self.requests()))
    }

    /// Waits until the bot has identified on the gateway and registered its commands.
    pub async fn wait_ready(&self) {
        self.wait_until("the commands to be registered", |requests| {
            requests
                .iter()
                .any(|r| r.method == "PUT" && r.path.ends_with("/commands"))
        })
        .await;
        assert!(self.identify().is_some(), "identified before the commands");
    }
}

/// The messages the bot sent: channel messages, interaction callbacks carrying a message
/// (type 4) and follow-ups.
pub fn sent(requests: &[Request]) -> Vec<&Request> {
    requests
        .iter()
        .filter(|r| r.method == "POST")
        .filter(|r| {
            r.path.ends_with("/messages")
                || (r.path.ends_with("/callback") && r.body["type"] == 4)
                || r.path.starts_with(&format!("/api/v10/webhooks/{APP_ID}/"))
        })
        .collect()
}

/// The content of a sent message (interaction callbacks carry it under `data`).
pub fn content(request: &Request) -> &str {
    message_body(request)
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The message part of a sent message's body.
pub fn message_body(request: &Request) -> &Value {
    if request.path.ends_with("/callback") {
        &request.body["data"]
    } else {
        &request.body
    }
}

/// The button labels and custom ids on a sent message.
pub fn buttons(request: &Request) -> Vec<(String, String)> {
    let rows = message_body(request)["components"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    rows.iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .map(|button| {
            (
                button["label"].as_str().unwrap_or_default().to_owned(),
                button["custom_id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// A Discord user object.
pub fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({
        "id": id.to_string(),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": null,
        "bot": bot,
    })
}

/// A message object as Discord sends it in MESSAGE_CREATE (`guild` for a guild message).
pub fn message(id: u64, channel: u64, guild: Option<u64>, author: Value, content: &str) -> Value {
    let mentions: Vec<Value> = if content.contains(&format!("<@{BOT_ID}>")) {
        vec![user(BOT_ID, "careerbot", true)]
    } else {
        Vec::new()
    };
    let mut message = json!({
        "id": id.to_string(),
        "channel_id": channel.to_string(),
        "author": author,
        "content": content,
        "timestamp": "2026-11-01T12:00:00.000000+00:00",
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": mentions,
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": false,
        "type": 0,
    });
    if let Some(guild) = guild {
        message["guild_id"] = json!(guild.to_string());
    }
    message
}

/// The fields every interaction has, for a DM from `user` in `channel`.
fn interaction(id: u64, kind: u8, channel: u64, user: Value) -> Value {
    json!({
        "id": id.to_string(),
        "application_id": APP_ID.to_string(),
        "type": kind,
        "channel_id": channel.to_string(),
        "user": user,
        "token": format!("interaction-token-{id}"),
        "version": 1,
        "locale": "en-GB",
        "entitlements": [],
        "app_permissions": "0",
        "attachment_size_limit": 8_388_608,
    })
}

/// A slash command interaction in a DM.
pub fn command(id: u64, channel: u64, user: Value, name: &str, options: Value) -> Value {
    let mut interaction = interaction(id, 2, channel, user);
    interaction["data"] = json!({
        "id": "700",
        "name": name,
        "type": 1,
        "options": options,
    });
    interaction
}

/// A button press in a DM, on `message` (a message object).
pub fn press(id: u64, channel: u64, user: Value, custom_id: &str, message: Value) -> Value {
    let mut interaction = interaction(id, 3, channel, user);
    interaction["data"] = json!({ "custom_id": custom_id, "component_type": 2 });
    interaction["message"] = message;
    interaction
}

async fn serve_rest(listener: TcpListener, shared: Shared) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(rest_connection(stream, shared.clone()));
    }
}

/// Serves HTTP/1.1 requests on one keep-alive connection.
async fn rest_connection(stream: TcpStream, shared: Shared) {
    let mut stream = BufReader::new(stream);
    loop {
        let Some(request) = read_request(&mut stream).await else {
            return;
        };
        let (status, body) = route(&shared, &request);
        shared.record(|seen| seen.requests.push(request));
        let reason = if status == 204 { "No Content" } else { "OK" };
        let mut response = format!("HTTP/1.1 {status} {reason}\r\n");
        let body = match body {
            Some(body) => body.to_string(),
            None => String::new(),
        };
        if status != 204 {
            response.push_str("content-type: application/json\r\n");
            response.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        response.push_str("\r\n");
        response.push_str(&body);
        if stream
            .get_mut()
            .write_all(response.as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}

/// Reads one request (request line, headers, a body of `content-length` bytes).
async fn read_request(stream: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if stream.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?;
    let path = target.split('?').next().unwrap_or(target).to_owned();
    let mut length = 0;
    let mut authorization = String::new();
    loop {
        let mut header = String::new();
        if stream.read_line(&mut header).await.ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "authorization" => value.trim().clone_into(&mut authorization),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.ok()?;
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Some(Request {
        method,
        path,
        body,
        authorization,
    })
}

/// Answers one REST request: a status and a JSON body.
fn route(shared: &Shared, request: &Request) -> (u16, Option<Value>) {
    let path = request.path.trim_start_matches("/api/v10");
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["gateway"]) => (200, Some(json!({ "url": shared.ws_url }))),
        ("GET", ["gateway", "bot"]) => (
            200,
            Some(json!({
                "url": shared.ws_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1
                },
            })),
        ),
        ("GET", ["users", "@me"]) => (200, Some(user(BOT_ID, "careerbot", true))),
        ("PUT", ["applications", _, "commands"]) => (200, Some(commands(&request.body))),
        ("POST", ["channels", channel, "messages"]) => {
            let channel = channel.parse().unwrap_or(0);
            (200, Some(echo(shared, channel, message_body(request))))
        }
        ("POST", ["interactions", _, _, "callback"]) => (204, None),
        ("POST", ["webhooks", _, _]) => (200, Some(echo(shared, 1, &request.body))),
        ("DELETE", ["webhooks", _, _, "messages", _]) => (204, None),
        _ => (404, Some(json!({ "message": "404: Not Found", "code": 0 }))),
    }
}

/// The message Discord would create from a sent body.
fn echo(shared: &Shared, channel: u64, body: &Value) -> Value {
    let content = body["content"].as_str().unwrap_or_default();
    let mut created = message(
        shared.id(),
        channel,
        None,
        user(BOT_ID, "careerbot", true),
        content,
    );
    created["components"] = body.get("components").cloned().unwrap_or(json!([]));
    created
}

/// The commands Discord would register from a PUT body.
fn commands(body: &Value) -> Value {
    let list = body.as_array().cloned().unwrap_or_default();
    let registered: Vec<Value> = list
        .iter()
        .enumerate()
        .map(|(index, command)| {
            json!({
                "id": (800 + index).to_string(),
                "type": 1,
                "application_id": APP_ID.to_string(),
                "name": command["name"],
                "description": command["description"],
                "options": command.get("options").cloned().unwrap_or(json!([])),
                "default_member_permissions": null,
                "version": "1",
            })
        })
        .collect();
    Value::Array(registered)
}

async fn serve_gateway(listener: TcpListener, shared: Shared) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(gateway_connection(stream, shared.clone()));
    }
}

/// One gateway session: HELLO, READY after IDENTIFY, heartbeat ACKs, then scripted dispatches.
async fn gateway_connection(stream: TcpStream, shared: Shared) {
    let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let hello = json!({ "op": 10, "d": { "heartbeat_interval": 1000 } });
    if socket.send(Frame::text(hello.to_string())).await.is_err() {
        return;
    }
    // Scripted dispatches go to the first shard that identifies; other shards only heartbeat.
    let mut events: Option<tokio::sync::OwnedMutexGuard<mpsc::UnboundedReceiver<(String, Value)>>> =
        None;
    let mut sequence = 0_u64;
    let mut identified = false;
    loop {
        tokio::select! {
            frame = socket.next() => {
                let Some(Ok(frame)) = frame else { return };
                let Ok(text) = frame.to_text() else { continue };
                let Ok(payload) = serde_json::from_str::<Value>(text) else { continue };
                let reply = match payload["op"].as_u64() {
                    Some(1) => {
                        shared.record(|seen| seen.heartbeats += 1);
                        json!({ "op": 11 })
                    }
                    Some(2) => {
                        shared.record(|seen| {
                            seen.identify = Some(payload["d"].clone());
                            seen.identifies.push(payload["d"].clone());
                        });
                        identified = true;
                        events = Arc::clone(&shared.events).try_lock_owned().ok();
                        sequence += 1;
                        let shard = payload["d"]["shard"].clone();
                        json!({ "op": 0, "t": "READY", "s": sequence, "d": ready(&shared, shard) })
                    }
                    _ => continue,
                };
                if socket.send(Frame::text(reply.to_string())).await.is_err() {
                    return;
                }
            }
            event = async { events.as_mut()?.recv().await }, if identified && events.is_some() => {
                let Some((name, data)) = event else { return };
                sequence += 1;
                let dispatch = json!({ "op": 0, "t": name, "s": sequence, "d": data });
                if socket.send(Frame::text(dispatch.to_string())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The READY dispatch's data, for `shard` (`[id, total]`, as identified).
fn ready(shared: &Shared, shard: Value) -> Value {
    let shard = if shard.is_array() {
        shard
    } else {
        json!([0, 1])
    };
    json!({
        "v": 10,
        "user": user(BOT_ID, "careerbot", true),
        "guilds": [],
        "session_id": "fake-session",
        "resume_gateway_url": shared.ws_url,
        "shard": shard,
        "application": { "id": APP_ID.to_string(), "flags": 0 },
    })
}
