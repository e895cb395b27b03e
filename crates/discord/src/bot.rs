//! The network glue: serenity's HTTP client and gateway, the event handler, and sending replies.
//! Decisions are made by `crate::decide`; this module only translates.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use adapter::{Channel as Rendering, Outgoing, Secret, Status};
use engine::{Conversations, Input, StateStore, UserKey};
use serenity::all::{
    ButtonStyle, ChannelId, Client, ClientBuilder, Command, CommandDataOptionValue,
    CommandInteraction, CommandOptionType, ComponentInteraction, ConnectionStage, Context,
    CreateActionRow, CreateAllowedMentions, CreateButton, CreateCommand, CreateCommandOption,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, Event, EventHandler, GatewayIntents, Http, HttpBuilder, Interaction,
    InteractionId, Message, MessageFlags, MessageType, RatelimitInfo, RawEventHandler, Ready,
    ShardStageUpdateEvent, UserId,
};
use serenity::builder::Builder as _;
use tracing::{debug, error, info, warn};

use crate::decide::{self, Incoming, Shards};
use crate::queue::Queues;
use crate::{Config, Error, ShardIds};

/// How long shards get to close after a shutdown request.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Runs the bot until `shutdown` completes, then shuts every shard down cleanly.
/// `conversations` may be shared with other adapters; turn its flood control on for a public
/// bot (`Conversations::with_flood_control`), and purge inactive users in the background
/// (`adapter::Purger`).
pub async fn serve<S, F>(
    config: Config,
    conversations: impl Into<Arc<Conversations<S>>>,
    shutdown: F,
) -> Result<(), Error>
where
    S: StateStore + Send + Sync + 'static,
    F: Future<Output = ()> + Send,
{
    let token = config.token.clone();
    let failed = |error: serenity::Error| Error::Discord(describe(&error, &token));
    let mut client = ClientBuilder::new_with_http(http(&config), intents())
        .event_handler(handler(conversations.into(), &config))
        .raw_event_handler(Unreadable)
        .await
        .map_err(failed)?;
    let manager = Arc::clone(&client.shard_manager);
    let shard_ids = match config.shard_ids {
        Some(ids) => Some(ids.check(config.shards)?),
        None => None,
    };
    let mut running = pin!(start(&mut client, config.shards, shard_ids));
    tokio::select! {
        result = &mut running => return result.map_err(failed),
        () = shutdown => {}
    }
    info!("closing the Discord connection");
    manager.shutdown_all().await;
    match tokio::time::timeout(SHUTDOWN_GRACE, running).await {
        Ok(result) => result.map_err(failed),
        Err(_) => {
            warn!("the shards did not stop within {SHUTDOWN_GRACE:?}");
            Ok(())
        }
    }
}

/// Starts the shards: those in `ids` of `shards`, all `shards` of them, or as many as Discord
/// recommends.
async fn start(
    client: &mut Client,
    shards: Option<u32>,
    ids: Option<ShardIds>,
) -> serenity::Result<()> {
    match (shards, ids) {
        // serenity's range is inclusive of its end: `first..last` starts first to last.
        (Some(total), Some(ids)) => client.start_shard_range(ids.first..ids.last, total).await,
        (Some(count), None) => client.start_shards(count).await,
        (None, _) => client.start_autosharded().await,
    }
}

/// The gateway intents: guild and direct messages, with their content (a privileged intent,
/// enabled in the developer portal).
fn intents() -> GatewayIntents {
    GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::DIRECT_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT
}

/// The HTTP client: the real Discord with serenity's rate limiter, or `api_url` without it
/// (serenity only honours a base URL with its rate limiter off). No mention is allowed by default.
fn http(config: &Config) -> Http {
    let builder = HttpBuilder::new(config.token.expose()).default_allowed_mentions(no_mentions());
    match &config.api_url {
        Some(url) => builder.proxy(url).ratelimiter_disabled(true).build(),
        None => builder.build(),
    }
}

/// Allowed mentions that permit nothing: no @everyone, roles, users or reply pings.
fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new().replied_user(false)
}

/// The state key of a Discord user, the same in every guild and DM.
fn user_key(user: UserId) -> UserKey {
    UserKey::new("discord", &user.get().to_string())
}

/// The event handler. Each message or interaction is queued under its user (`Queues`), so that
/// one user's are answered one after another, in the order they were sent.
struct Handler<S> {
    conversations: Arc<Conversations<S>>,
    channels: Arc<[u64]>,
    token: Secret,
    queues: Arc<Queues>,
    /// Where the bot reports whether every shard is connected.
    status: Status,
    shards: Arc<Mutex<Shards>>,
}

impl<S> Clone for Handler<S> {
    fn clone(&self) -> Self {
        Handler {
            conversations: Arc::clone(&self.conversations),
            channels: Arc::clone(&self.channels),
            token: self.token.clone(),
            queues: Arc::clone(&self.queues),
            status: self.status.clone(),
            shards: Arc::clone(&self.shards),
        }
    }
}

/// Builds the event handler for `conversations` with the settings in `config`.
fn handler<S>(conversations: Arc<Conversations<S>>, config: &Config) -> Handler<S> {
    Handler {
        conversations,
        channels: config.channels.clone().into(),
        token: config.token.clone(),
        queues: Arc::default(),
        status: config.status.clone(),
        shards: Arc::new(Mutex::new(Shards::only(
            config.shard_ids.map(|ids| (ids.first, ids.last)),
        ))),
    }
}

#[serenity::async_trait]
impl<S> EventHandler for Handler<S>
where
    S: StateStore + Send + Sync + 'static,
{
    async fn ready(&self, ctx: Context, ready: Ready) {
        info!(
            bot = %ready.user.name,
            guilds = ready.guilds.len(),
            shard = ?ready.shard.map(|shard| shard.id.0),
            "connected to Discord"
        );
        let (shard, total) = ready
            .shard
            .map_or((0, 1), |shard| (shard.id.0, shard.total));
        self.shard_connected(shard, Some(total), true);
        if shard == 0 {
            self.register_commands(&ctx).await;
        }
    }

    async fn message(&self, ctx: Context, message: Message) {
        let me = ctx.cache.current_user().id;
        let incoming = Incoming {
            author: message.author.id.get(),
            from_bot: message.author.bot || message.author.system || message.webhook_id.is_some(),
            is_chat: matches!(
                message.kind,
                MessageType::Regular | MessageType::InlineReply
            ),
            in_guild: message.guild_id.is_some(),
            channel: message.channel_id.get(),
            mentions_me: message.mentions.iter().any(|user| user.id == me),
            content: &message.content,
        };
        let Some(text) = decide::message_text(&incoming, me.get(), &self.channels) else {
            return;
        };
        debug!(channel = %message.channel_id, chars = text.chars().count(), "message");
        let (handler, input, user, channel) = (
            self.clone(),
            Input::text(text),
            message.author.id,
            message.channel_id,
        );
        self.queues.push(
            user.get(),
            message.id.get(),
            Box::pin(async move {
                if let Some(outgoing) = handler.turn(user, input).await {
                    handler.send(&ctx.http, channel, &outgoing).await;
                }
            }),
        );
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        debug!(shard = event.shard_id.0, stage = %event.new, "shard stage");
        let connected = matches!(event.new, ConnectionStage::Connected);
        self.shard_connected(event.shard_id.0, None, connected);
    }

    async fn ratelimit(&self, data: RatelimitInfo) {
        debug!(wait = ?data.timeout, global = data.global, "waiting for Discord's rate limit");
        adapter::metrics::rate_limit_wait(Rendering::Discord, data.timeout);
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let handler = self.clone();
        match interaction {
            Interaction::Command(command) => self.queues.push(
                command.user.id.get(),
                command.id.get(),
                Box::pin(async move { handler.command(&ctx.http, &command).await }),
            ),
            Interaction::Component(press) => self.queues.push(
                press.user.id.get(),
                press.id.get(),
                Box::pin(async move { handler.press(&ctx.http, &press).await }),
            ),
            other => debug!(kind = ?other.kind(), "interaction ignored"),
        }
    }
}

impl<S> Handler<S>
where
    S: StateStore + Send + Sync + 'static,
{
    /// Notes a shard's connection and reports whether the bot (every shard) is connected.
    fn shard_connected(&self, shard: u32, total: Option<u32>, connected: bool) {
        let mut shards = self.shards.lock().unwrap_or_else(PoisonError::into_inner);
        let up = shards.update(shard, total, connected);
        self.status.set(up);
    }

    /// Replaces the application's global commands with the bot's.
    async fn register_commands(&self, ctx: &Context) {
        let commands = decide::COMMANDS.iter().map(|spec| {
            let command = CreateCommand::new(spec.name).description(spec.description);
            if spec.name == "ask" {
                command.add_option(
                    CreateCommandOption::new(
                        CommandOptionType::String,
                        decide::QUESTION,
                        decide::QUESTION_DESCRIPTION,
                    )
                    .required(true),
                )
            } else {
                command
            }
        });
        match Command::set_global_commands(&ctx.http, commands.collect()).await {
            Ok(registered) => info!(count = registered.len(), "application commands registered"),
            Err(error) => {
                adapter::metrics::adapter_error(Rendering::Discord);
                warn!(
                    "cannot register application commands: {}",
                    self.redact(&error)
                );
            }
        }
    }

    /// Takes one turn for `user`. The engine saves state durably (a blocking fsync), so the turn
    /// runs on tokio's blocking pool and never stalls the gateway.
    async fn turn(&self, user: UserId, input: Input) -> Option<Outgoing> {
        let conversations = Arc::clone(&self.conversations);
        let key = user_key(user);
        let turn = tokio::task::spawn_blocking(move || {
            adapter::respond(
                &conversations,
                &key,
                &input,
                Rendering::Discord,
                adapter::now(),
            )
        });
        match turn.await {
            Ok(Ok(outgoing)) => Some(outgoing),
            Ok(Err(error)) => {
                adapter::metrics::adapter_error(Rendering::Discord);
                error!("cannot take the turn: {error}");
                None
            }
            Err(error) => {
                adapter::metrics::adapter_error(Rendering::Discord);
                error!("the turn failed: {error}");
                None
            }
        }
    }

    /// Sends `outgoing` to `channel`, buttons on the last message.
    async fn send(&self, http: &Http, channel: ChannelId, outgoing: &Outgoing) {
        let last = outgoing.messages.len().saturating_sub(1);
        for (index, text) in outgoing.messages.iter().enumerate() {
            let mut message = CreateMessage::new()
                .content(text)
                .allowed_mentions(no_mentions());
            if index == last && !outgoing.buttons.is_empty() {
                message = message.components(components(&outgoing.buttons));
            }
            if let Err(error) = channel.send_message(http, message).await {
                adapter::metrics::adapter_error(Rendering::Discord);
                warn!(%channel, "cannot send a message: {}", self.redact(&error));
                return;
            }
        }
    }

    /// Answers a slash command.
    async fn command(&self, http: &Http, command: &CommandInteraction) {
        let name = command.data.name.as_str();
        let question = command
            .data
            .options
            .iter()
            .find(|option| option.name == decide::QUESTION)
            .and_then(|option| match &option.value {
                CommandDataOptionValue::String(text) => Some(text.as_str()),
                _ => None,
            });
        let private = decide::command(name).is_some_and(|spec| spec.private);
        let outgoing = match decide::command_text(name, question) {
            Some(text) => self.turn(command.user.id, Input::text(text)).await,
            None => {
                debug!(name, "unknown command");
                None
            }
        };
        let answer = Answer {
            id: command.id,
            token: &command.token,
            private,
            is_command: true,
        };
        self.answer(http, &answer, outgoing.as_ref()).await;
    }

    /// Answers a button press: the button's label is pressed in the engine.
    async fn press(&self, http: &Http, press: &ComponentInteraction) {
        let label = decide::pressed_label(&press.data.custom_id);
        let outgoing = self.turn(press.user.id, Input::press(label)).await;
        let private = press
            .message
            .flags
            .is_some_and(|flags| flags.contains(MessageFlags::EPHEMERAL));
        let answer = Answer {
            id: press.id,
            token: &press.token,
            private,
            is_command: false,
        };
        self.answer(http, &answer, outgoing.as_ref()).await;
    }

    /// Answers an interaction within Discord's three seconds: the first message through the
    /// interaction callback, the rest as follow-ups, buttons on the last. With nothing to say
    /// (flood control, an error) the interaction is acknowledged silently.
    async fn answer(&self, http: &Http, answer: &Answer<'_>, outgoing: Option<&Outgoing>) {
        let Some(outgoing) = outgoing.filter(|outgoing| !outgoing.messages.is_empty()) else {
            self.acknowledge(http, answer).await;
            return;
        };
        let last = outgoing.messages.len() - 1;
        let buttons = |index: usize| {
            (index == last && !outgoing.buttons.is_empty()).then(|| components(&outgoing.buttons))
        };
        for (index, text) in outgoing.messages.iter().enumerate() {
            let sent = if index == 0 {
                let mut message = CreateInteractionResponseMessage::new()
                    .content(text)
                    .allowed_mentions(no_mentions())
                    .ephemeral(answer.private);
                if let Some(rows) = buttons(index) {
                    message = message.components(rows);
                }
                CreateInteractionResponse::Message(message)
                    .execute(http, (answer.id, answer.token))
                    .await
            } else {
                let mut message = CreateInteractionResponseFollowup::new()
                    .content(text)
                    .allowed_mentions(no_mentions())
                    .ephemeral(answer.private);
                if let Some(rows) = buttons(index) {
                    message = message.components(rows);
                }
                message.execute(http, (None, answer.token)).await.map(drop)
            };
            if let Err(error) = sent {
                adapter::metrics::adapter_error(Rendering::Discord);
                warn!("cannot answer an interaction: {}", self.redact(&error));
                return;
            }
        }
    }

    /// Acknowledges an interaction without saying anything: a button press is simply
    /// acknowledged; a command is deferred privately and its placeholder deleted.
    async fn acknowledge(&self, http: &Http, answer: &Answer<'_>) {
        let result = if answer.is_command {
            let defer = CreateInteractionResponseMessage::new().ephemeral(true);
            match CreateInteractionResponse::Defer(defer)
                .execute(http, (answer.id, answer.token))
                .await
            {
                Ok(()) => {
                    http.delete_original_interaction_response(answer.token)
                        .await
                }
                Err(error) => Err(error),
            }
        } else {
            CreateInteractionResponse::Acknowledge
                .execute(http, (answer.id, answer.token))
                .await
        };
        if let Err(error) = result {
            adapter::metrics::adapter_error(Rendering::Discord);
            warn!("cannot acknowledge an interaction: {}", self.redact(&error));
        }
    }

    /// An error's text without the token.
    fn redact(&self, error: &serenity::Error) -> String {
        describe(error, &self.token)
    }
}

/// Logs the gateway events serenity could not read. serenity treats an event missing a field it
/// requires as unknown and drops it silently; a dropped message or interaction means a user got
/// no answer (the sign of a Discord API change serenity does not know yet), so those are warnings.
struct Unreadable;

#[serenity::async_trait]
impl RawEventHandler for Unreadable {
    async fn raw_event(&self, _ctx: Context, event: Event) {
        if let Event::Unknown(unknown) = event {
            if matches!(
                unknown.kind.as_str(),
                "MESSAGE_CREATE" | "INTERACTION_CREATE"
            ) {
                warn!(event = %unknown.kind, "an event serenity could not read was dropped");
            } else {
                debug!(event = %unknown.kind, "an event serenity could not read was dropped");
            }
        }
    }
}

/// Where an interaction's answer goes.
struct Answer<'a> {
    id: InteractionId,
    token: &'a str,
    /// Seen only by the user who interacted.
    private: bool,
    /// A slash command (not a button press).
    is_command: bool,
}

/// The action rows of buttons for `labels`.
fn components(labels: &[String]) -> Vec<CreateActionRow> {
    decide::button_rows(labels)
        .into_iter()
        .map(|row| {
            CreateActionRow::Buttons(
                row.into_iter()
                    .map(|button| {
                        CreateButton::new(button.id)
                            .label(button.label)
                            .style(ButtonStyle::Secondary)
                    })
                    .collect(),
            )
        })
        .collect()
}

/// An error and its causes (serenity's own text is terse: the cause names the URL and the
/// reason), without the token.
fn describe(error: &serenity::Error, token: &Secret) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(error) = cause {
        let more = error.to_string();
        if !text.contains(&more) {
            text.truncate(text.trim_end_matches('.').len());
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = error.source();
    }
    token.redact(&text)
}
