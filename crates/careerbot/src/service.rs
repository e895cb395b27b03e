//! The long-running commands: `serve` (every bot whose token is set, and the HTTP listener),
//! `telegram` and `discord`. One process, one engine, one store; SIGHUP reloads the content,
//! Ctrl-C or SIGTERM stops the bots cleanly and flushes the store.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use adapter::{Channel, Health, Secret};
use anyhow::Context as _;
use engine::{Conversations, StateStore as _};
use store::AnyStore;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::http;
use crate::setup::Config;

/// How long the bots and the HTTP listener get to stop after a stop signal.
const STOP_GRACE: Duration = Duration::from_secs(15);

/// Which bots to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bots {
    /// Every bot whose token is set (at least one), with the HTTP listener (`serve`).
    Serve,
    /// The Telegram bot alone (`telegram`).
    Telegram,
    /// The Discord bot alone (`discord`).
    Discord,
}

/// The shared conversations every bot answers through.
type Shared = Arc<Conversations<AnyStore>>;

/// Runs the bots until Ctrl-C or SIGTERM (or until one fails), on a runtime of its own.
pub fn run(config: &Config, bots: Bots) -> anyhow::Result<()> {
    let telegram = match bots {
        Bots::Serve | Bots::Telegram => telegram_config(config, bots == Bots::Telegram)?,
        Bots::Discord => None,
    };
    let discord = match bots {
        Bots::Serve | Bots::Discord => discord_config(config, bots == Bots::Discord)?,
        Bots::Telegram => None,
    };
    if telegram.is_none() && discord.is_none() {
        anyhow::bail!(
            "neither TELEGRAM_TOKEN nor DISCORD_TOKEN is set: set the token of each bot to run \
             (see deploy/README.md)"
        );
    }
    let http = (bots == Bots::Serve).then_some(config.http);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(config, telegram, discord, http))
}

/// The Telegram bot's configuration, when its token is set (`required`: an error otherwise).
fn telegram_config(config: &Config, required: bool) -> anyhow::Result<Option<telegram::Config>> {
    let Some(token) = token(config.telegram.token.as_ref(), "TELEGRAM_TOKEN", required)? else {
        return Ok(None);
    };
    let settings = &config.telegram;
    let mut telegram = telegram::Config::new(token, settings.api_url.as_deref().unwrap_or(""));
    if let Some(url) = &settings.webhook_url {
        telegram.mode = telegram::Mode::Webhook {
            url: url.clone(),
            listen: settings.listen,
            secret: settings.webhook_secret.clone(),
        };
    }
    Ok(Some(telegram))
}

/// The Discord bot's configuration, when its token is set (`required`: an error otherwise).
fn discord_config(config: &Config, required: bool) -> anyhow::Result<Option<discord::Config>> {
    let Some(token) = token(config.discord.token.as_ref(), discord::TOKEN_VAR, required)? else {
        return Ok(None);
    };
    let settings = &config.discord;
    let mut discord = discord::Config::new(token);
    discord.api_url.clone_from(&settings.api_url);
    discord.channels.clone_from(&settings.channels);
    discord.shards = settings.shards;
    discord.shard_ids = settings.shard_ids;
    Ok(Some(discord))
}

/// A bot token checked: `None` when unset and not `required`.
fn token(token: Option<&Secret>, name: &str, required: bool) -> anyhow::Result<Option<Secret>> {
    match token {
        Some(token) => Ok(Some(Secret::parse(name, token.expose())?)),
        None if required => Err(adapter::SecretError::Missing(name.to_owned()).into()),
        None => Ok(None),
    }
}

async fn serve(
    config: &Config,
    telegram: Option<telegram::Config>,
    discord: Option<discord::Config>,
    http: Option<SocketAddr>,
) -> anyhow::Result<()> {
    // Listen for SIGHUP first: until a handler is installed, SIGHUP would end the process.
    let hangups = hangups()?;
    // The HTTP listener before the bots, so that a port in use stops start-up at once.
    let listener =
        match http {
            Some(address) => Some(tokio::net::TcpListener::bind(address).await.with_context(
                || format!("cannot listen on {address} for /healthz and /metrics"),
            )?),
            None => None,
        };
    let metrics = listener
        .as_ref()
        .map(|_| http::install_metrics())
        .transpose()?;
    let conversations: Shared = Arc::new(config.conversations()?.with_flood_control());
    // The retention purge runs on a thread of its own, never inside a turn.
    let _purger = adapter::Purger::start(Arc::clone(&conversations))
        .context("cannot start the retention purge")?;
    let health = Health::default();
    let (stop, stopped) = watch::channel(false);
    let stop_signal = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };

    let mut background = JoinSet::new();
    background.spawn(reload_on_hangup(
        hangups,
        config.clone(),
        Arc::clone(&conversations),
    ));
    let mut server = None;
    if let (Some(listener), Some(metrics)) = (listener, metrics) {
        let address = listener.local_addr()?;
        background.spawn(http::upkeep(metrics.clone()));
        let store = conversations.store().clone();
        let state = http::Http {
            health: health.clone(),
            metrics,
            users: Arc::new(move || store.user_count()),
        };
        let shutdown = stop_signal();
        server = Some(tokio::spawn(async move {
            axum::serve(listener, http::router(state))
                .with_graceful_shutdown(shutdown)
                .await
        }));
        tracing::info!(%address, "HTTP listener on http://{address} (/healthz, /readyz, /metrics)");
    }

    let mut bots: JoinSet<(Channel, anyhow::Result<()>)> = JoinSet::new();
    if let Some(mut settings) = telegram {
        settings.status = health.watch(Channel::Telegram);
        let (conversations, shutdown) = (Arc::clone(&conversations), stop_signal());
        tracing::info!(store = %config.store_description(), "starting the Telegram bot");
        bots.spawn(async move {
            let result = telegram::run(settings, conversations, shutdown).await;
            (Channel::Telegram, result.map_err(anyhow::Error::from))
        });
    }
    if let Some(mut settings) = discord {
        settings.status = health.watch(Channel::Discord);
        let (conversations, shutdown) = (Arc::clone(&conversations), stop_signal());
        tracing::info!(
            store = %config.store_description(),
            channels = settings.channels.len(),
            shards = ?settings.shards,
            shard_ids = ?settings.shard_ids.map(|ids| ids.to_string()),
            "starting the Discord bot"
        );
        bots.spawn(async move {
            let result = discord::serve(settings, conversations, shutdown).await;
            (Channel::Discord, result.map_err(anyhow::Error::from))
        });
    }

    // Run until a stop signal, or until a bot stops of its own accord (a failure).
    let mut outcome = Ok(());
    tokio::select! {
        () = adapter::stop_signal() => {}
        Some(first) = bots.join_next() => outcome = ended(first, false),
    }
    health.stopping();
    let _ = stop.send(true);
    let stopping = async {
        while let Some(done) = bots.join_next().await {
            let result = ended(done, true);
            if outcome.is_ok() {
                outcome = result;
            }
        }
        if let Some(server) = server {
            match server.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!("HTTP listener: {error}"),
                Err(error) => tracing::error!("HTTP listener: {error}"),
            }
        }
    };
    if tokio::time::timeout(STOP_GRACE, stopping).await.is_err() {
        tracing::warn!("the bots did not stop within {STOP_GRACE:?}");
    }
    background.shutdown().await;
    let store = conversations.store().clone();
    tokio::task::spawn_blocking(move || store.flush())
        .await
        .context("flushing the state store")?
        .context("flushing the state store")?;
    tracing::info!("stopped; the state store is flushed");
    outcome
}

/// What a bot's end means: after a stop request, its own result; before one, a failure even if
/// it returned cleanly.
fn ended(
    done: Result<(Channel, anyhow::Result<()>), tokio::task::JoinError>,
    stopping: bool,
) -> anyhow::Result<()> {
    match done {
        Ok((_, Ok(()))) if stopping => Ok(()),
        Ok((channel, Ok(()))) => anyhow::bail!("the {} bot stopped unexpectedly", channel.name()),
        Ok((_, Err(error))) => Err(error),
        Err(error) => Err(anyhow::Error::from(error).context("a bot's task failed")),
    }
}

/// The SIGHUP stream (none on platforms without it).
#[cfg(unix)]
fn hangups() -> anyhow::Result<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::hangup()).context("cannot listen for SIGHUP")
}

#[cfg(not(unix))]
fn hangups() -> anyhow::Result<()> {
    Ok(())
}

/// On each SIGHUP, rebuilds the engine from the configured `knowledge/` and `intents/` folders
/// and swaps it in; content that fails to load is refused (logged with its `file:line`, and
/// counted) and the running engine keeps answering.
#[cfg(unix)]
async fn reload_on_hangup(
    mut hangups: tokio::signal::unix::Signal,
    config: Config,
    conversations: Shared,
) {
    let config = Arc::new(config);
    while hangups.recv().await.is_some() {
        if config.knowledge.is_none() && config.intents.is_none() {
            tracing::warn!(
                "SIGHUP: no --knowledge or --intents folder was given, so the content built \
                 into the binary is reloaded as it is"
            );
        }
        let building = Arc::clone(&config);
        match tokio::task::spawn_blocking(move || building.engine()).await {
            Ok(Ok(engine)) => {
                let (entries, roles) = (
                    engine.knowledge().entries.len(),
                    engine.knowledge().roles.len(),
                );
                let intents = engine.intents().len();
                conversations.replace_engine(engine);
                adapter::metrics::reload(true);
                tracing::info!(
                    entries,
                    roles,
                    intents,
                    "reloaded the knowledge and intents"
                );
            }
            Ok(Err(error)) => {
                adapter::metrics::reload(false);
                tracing::error!(
                    "reload refused, the previous knowledge and intents keep answering: {error:#}"
                );
            }
            Err(error) => {
                adapter::metrics::reload(false);
                tracing::error!("reload failed: {error}");
            }
        }
    }
}

#[cfg(not(unix))]
async fn reload_on_hangup((): (), _config: Config, _conversations: Shared) {}
