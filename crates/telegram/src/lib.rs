//! The Telegram adapter: the only crate that imports teloxide.
//!
//! `run` registers the bot's commands, then takes updates by long polling (or a webhook behind a
//! reverse proxy) and answers each through `adapter::respond`: rendered as HTML, split to
//! Telegram's 4096 characters, suggestions as inline buttons. Which messages to answer and what
//! text reaches the engine is decided by the plain functions in `policy`; `handler` is the thin
//! glue between teloxide and the engine.

mod handler;
pub mod policy;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use adapter::{Channel, Secret, Status};
use engine::{Conversations, StateStore};
use teloxide::adaptors::throttle::{Settings, Throttle};
use teloxide::dispatching::Dispatcher;
use teloxide::payloads::SetWebhookSetters as _;
use teloxide::prelude::{Bot, Requester};
use teloxide::types::BotCommand;
use teloxide::update_listeners::{Polling, UpdateListener, webhooks};
use tokio::task::JoinHandle;

pub use handler::schema;
pub use teloxide::adaptors::throttle::Limits;

/// The client the handlers use: the Bot API client behind Telegram's rate limits.
pub type Client = Throttle<Bot>;

/// Telegram's own Bot API.
pub const DEFAULT_API_URL: &str = "https://api.telegram.org";

/// How long a long poll waits for updates on the server.
const POLL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the webhook server may take to remove the webhook and close, after the last update.
const SERVER_STOP: Duration = Duration::from_secs(20);
/// How often the connection is checked (getMe) while it is up, and while it is down.
const PROBE_UP: Duration = Duration::from_secs(60);
const PROBE_DOWN: Duration = Duration::from_secs(5);

/// How the adapter is configured.
#[derive(Debug, Clone)]
pub struct Config {
    /// The bot token from BotFather.
    pub token: Secret,
    /// Base URL of the Bot API (no trailing slash).
    pub api_url: String,
    /// Long polling, or a webhook.
    pub mode: Mode,
    /// Telegram's rate limits, kept by delaying sends.
    pub limits: Limits,
    /// Where the bot reports whether it is connected (the Bot API answers getMe).
    pub status: Status,
}

/// How updates arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The bot asks for updates (getUpdates); works anywhere, no public address needed.
    Polling,
    /// Telegram posts updates to `url`, which a reverse proxy forwards to `listen`.
    Webhook {
        /// The public HTTPS URL registered with setWebhook; its path is the path served.
        url: String,
        /// The local address the webhook server listens on.
        listen: SocketAddr,
        /// The secret Telegram sends with each update (`TELEGRAM_WEBHOOK_SECRET`), the same
        /// for every instance behind the proxy. With it, several instances serve one webhook:
        /// each registers it and none removes it when it stops. Without it, one instance makes
        /// up a secret and removes the webhook when it stops.
        secret: Option<Secret>,
    },
}

/// What can stop the adapter.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is unusable.
    #[error("invalid Telegram configuration: {0}")]
    Config(String),
    /// The Bot API refused a request or could not be reached (token redacted).
    #[error("Telegram Bot API request failed: {0}")]
    Api(String),
    /// The state store failed.
    #[error("state store: {0}")]
    Store(#[from] engine::StoreError),
    /// A turn's worker thread failed.
    #[error("turn failed: {0}")]
    Turn(String),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[from] std::io::Error),
    /// The retention purge's thread could not start.
    #[error("cannot start the retention purge: {0}")]
    Purge(std::io::Error),
}

impl Config {
    /// Reads `TELEGRAM_TOKEN` (required) and `TELEGRAM_API_URL` (optional) from the
    /// environment; long polling, Telegram's default limits.
    pub fn from_env() -> Result<Config, Error> {
        let token = Secret::from_env("TELEGRAM_TOKEN").map_err(|e| Error::Config(e.to_string()))?;
        let api_url = std::env::var("TELEGRAM_API_URL").unwrap_or_default();
        Ok(Config::new(token, &api_url))
    }

    /// A configuration for `token` and the Bot API at `api_url` (empty for Telegram's).
    pub fn new(token: Secret, api_url: &str) -> Config {
        let api_url = api_url.trim().trim_end_matches('/');
        Config {
            token,
            api_url: if api_url.is_empty() {
                DEFAULT_API_URL.to_owned()
            } else {
                api_url.to_owned()
            },
            mode: Mode::Polling,
            limits: Limits::default(),
            status: Status::default(),
        }
    }
}

/// Runs the bot until Ctrl-C or SIGTERM, on a runtime of its own, inactive users purged in the
/// background: the entry point for programs that are not async.
pub fn serve<S>(config: Config, conversations: Conversations<S>) -> Result<(), Error>
where
    S: StateStore + Send + Sync + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let conversations = Arc::new(conversations);
    let _purger = adapter::Purger::start(Arc::clone(&conversations)).map_err(Error::Purge)?;
    runtime.block_on(run(config, conversations, adapter::stop_signal()))
}

/// Runs the bot until `shutdown` resolves (see `adapter::stop_signal`), then stops taking updates,
/// finishes the turns under way and returns. Purging inactive users is the caller's
/// (`adapter::Purger`).
///
/// Updates are handled per user: one user's in the order they came, one after another (so their
/// turns and replies never interleave), different users' at the same time, even in one group.
pub async fn run<S>(
    config: Config,
    conversations: Arc<Conversations<S>>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error>
where
    S: StateStore + Send + Sync + 'static,
{
    let secret = config.token.clone();
    let api_url = url::Url::parse(&config.api_url)
        .map_err(|e| Error::Config(format!("TELEGRAM_API_URL {}: {e}", config.api_url)))?;
    // Sends keep under Telegram's limits; a 429 is waited out by `handler::send`, which counts
    // the wait, rather than inside the throttle.
    let settings = Settings::default().limits(config.limits).no_retry();
    let client =
        Throttle::spawn_with_settings(Bot::new(secret.expose()).set_api_url(api_url), settings);
    let status = config.status.clone();
    let conversations_for_webhook = Arc::clone(&conversations);
    let me = client.get_me().await.map_err(|e| {
        adapter::metrics::adapter_error(Channel::Telegram);
        api_error(&secret, &e)
    })?;
    tracing::info!(bot = %me.username(), "Telegram Bot API answered getMe");
    status.set(true);
    let _probe = AbortOnDrop(tokio::spawn(probe(client.clone(), status.clone())));
    register_commands(&client, &secret).await?;
    let mut dispatcher = Dispatcher::builder(client.clone(), schema::<S>())
        .distribution_function(|update| update.from().map(|user| user.id))
        .dependencies(teloxide::dptree::deps![handler::App::new(conversations)])
        .default_handler(|_| async {})
        .error_handler(handler::error_handler(secret.clone()))
        .build();
    let token = dispatcher.shutdown_token();
    let dispatch = async {
        match &config.mode {
            Mode::Polling => {
                let listener = Polling::builder(client.clone())
                    .timeout(POLL_TIMEOUT)
                    .delete_webhook()
                    .await
                    .build();
                dispatcher
                    .try_dispatch_with_listener(listener, listener_errors(&secret, &status))
                    .await
            }
            Mode::Webhook {
                url,
                listen,
                secret: shared,
            } => {
                let store = Arc::clone(&conversations_for_webhook);
                let first: Deliveries =
                    Arc::new(move |id: &str, now| store.store().first_delivery(id, now));
                let (listener, server) =
                    webhook(&client, &secret, url, *listen, shared.as_ref(), first).await?;
                let result = dispatcher
                    .try_dispatch_with_listener(listener, listener_errors(&secret, &status))
                    .await;
                // Once the listener stops, the server removes the webhook and closes.
                if tokio::time::timeout(SERVER_STOP, server).await.is_err() {
                    tracing::warn!("the webhook server did not stop in time");
                }
                result
            }
        }
        .map_err(|e| api_error(&secret, &e))
    };
    let mut dispatch = pin!(dispatch);
    tokio::select! {
        result = &mut dispatch => return result,
        () = shutdown => {}
    }
    tracing::info!("shutting down: finishing the turns under way");
    match token.shutdown() {
        Ok(stopped) => {
            let (result, ()) = tokio::join!(dispatch, stopped);
            result
        }
        // Not dispatching yet (still starting up): nothing is under way.
        Err(_) => Ok(()),
    }
}

/// Binds `listen`, registers `url` with setWebhook (with the shared secret, or one made up)
/// and serves the updates posted to its path until the listener stops. Each update is handled
/// once: its `update_id` is recorded in the store (`first`), shared by every instance, and an
/// update seen before (Telegram retrying through another instance) is acknowledged and dropped.
/// Without a shared secret, the webhook is removed when the listener stops. Returns the
/// listener and the server's task.
async fn webhook(
    client: &Client,
    secret: &Secret,
    url: &str,
    listen: SocketAddr,
    shared: Option<&Secret>,
    first: Deliveries,
) -> Result<
    (
        impl UpdateListener<Err = Infallible> + use<>,
        JoinHandle<()>,
    ),
    Error,
> {
    let url = url::Url::parse(url).map_err(|e| Error::Config(format!("webhook URL {url}: {e}")))?;
    let mut options = webhooks::Options::new(listen, url.clone());
    if let Some(shared) = shared {
        let token = shared.expose();
        let valid = (1..=256).contains(&token.len())
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(Error::Config(
                "TELEGRAM_WEBHOOK_SECRET must be 1 to 256 letters, digits, _ or -".into(),
            ));
        }
        options = options.secret_token(token.to_owned());
    }
    let token = options.get_or_gen_secret_token().to_owned();
    let socket = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::Config(format!("cannot listen on {listen}: {e}")))?;
    client
        .set_webhook(url)
        .secret_token(token.clone())
        .await
        .map_err(|e| api_error(secret, &e))?;
    let (listener, stopped, router) = webhooks::axum_no_setup(options);
    let once = Once {
        token: Arc::from(token),
        first,
    };
    let router = router.layer(axum::middleware::from_fn_with_state(once, handle_once));
    let remove = shared.is_none().then(|| client.clone());
    let api_secret = secret.clone();
    let server = tokio::spawn(async move {
        let served = axum::serve(socket, router)
            .with_graceful_shutdown(stopped)
            .await;
        if let Err(error) = served {
            tracing::error!("webhook server: {error}");
        }
        // Several instances share a webhook: only a lone one removes it.
        if let Some(client) = remove
            && let Err(error) = client.delete_webhook().await
        {
            tracing::error!(
                "cannot remove the webhook: {}",
                api_secret.redact(&error.to_string())
            );
        }
    });
    tracing::info!(%listen, shared = shared.is_some(), "webhook registered");
    Ok((listener, server))
}

/// The store's record of deliveries: true the first time an id is recorded.
type Deliveries = Arc<dyn Fn(&str, u64) -> Result<bool, engine::StoreError> + Send + Sync>;

/// What the webhook's deduplication needs: the secret updates must carry, and the store's
/// record of deliveries.
#[derive(Clone)]
struct Once {
    token: Arc<str>,
    first: Deliveries,
}

/// The largest update body read (Telegram's are far smaller).
const MAX_UPDATE_BYTES: usize = 1 << 20;

/// Passes an update on only the first time its `update_id` is seen by any instance sharing the
/// store. Updates without the right secret pass untouched (teloxide refuses them), so that a
/// stranger cannot mark ids as seen. A store that cannot be reached answers 503: Telegram
/// delivers the update again later.
async fn handle_once(
    axum::extract::State(once): axum::extract::State<Once>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse as _;
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_UPDATE_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let authentic = parts
        .headers
        .get("x-telegram-bot-api-secret-token")
        .is_some_and(|value| value.as_bytes() == once.token.as_bytes());
    if let Some(id) = authentic.then(|| policy::update_id(&bytes)).flatten() {
        let first = Arc::clone(&once.first);
        let seen =
            tokio::task::spawn_blocking(move || first(&format!("telegram:{id}"), adapter::now()))
                .await;
        match seen {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => {
                tracing::debug!(
                    update = id,
                    "update already handled by an instance; dropped"
                );
                return StatusCode::OK.into_response();
            }
            Ok(Err(error)) => {
                tracing::error!("cannot record update {id} in the state store: {error}");
                adapter::metrics::adapter_error(Channel::Telegram);
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            Err(error) => {
                tracing::error!("recording update {id}: {error}");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        }
    }
    next.run(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(bytes),
    ))
    .await
}

/// Registers the command menu (setMyCommands).
async fn register_commands(client: &Client, secret: &Secret) -> Result<(), Error> {
    let commands = policy::COMMANDS
        .iter()
        .map(|(name, description)| BotCommand::new(*name, *description));
    client
        .set_my_commands(commands)
        .await
        .map_err(|e| api_error(secret, &e))?;
    Ok(())
}

/// Errors taking updates (getUpdates failing): logged without the token, counted, and the bot
/// reported down until the probe reaches the Bot API again.
fn listener_errors<E>(
    secret: &Secret,
    status: &Status,
) -> Arc<impl teloxide::error_handlers::ErrorHandler<E> + Send + Sync + use<E>>
where
    E: std::fmt::Display + Send + 'static,
{
    let (secret, status) = (secret.clone(), status.clone());
    Arc::new(move |error: E| {
        let text = secret.redact(&error.to_string());
        status.set(false);
        adapter::metrics::adapter_error(Channel::Telegram);
        async move { tracing::error!("telegram: taking updates: {text}") }
    })
}

/// Checks the connection now and then with getMe: the bot is up while the Bot API answers.
async fn probe(client: Client, status: Status) {
    loop {
        let wait = if status.is_connected() {
            PROBE_UP
        } else {
            PROBE_DOWN
        };
        tokio::time::sleep(wait).await;
        let up = client.get_me().await.is_ok();
        if !up {
            adapter::metrics::adapter_error(Channel::Telegram);
        }
        status.set(up);
    }
}

/// Aborts a background task when dropped (when `run` returns).
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A Bot API error as text with the token removed.
fn api_error(secret: &Secret, error: &impl std::fmt::Display) -> Error {
    Error::Api(secret.redact(&error.to_string()))
}
