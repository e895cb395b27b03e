//! The handler tree: messages and button presses in, the engine's rendered replies out.

use std::fmt::Display;
use std::sync::Arc;

use std::time::Duration;

use adapter::{Channel, Outgoing, Secret};
use engine::{Conversations, Input, StateStore, UserKey};
use teloxide::RequestError;
use teloxide::dispatching::UpdateHandler;
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::requests::Output;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Me, MessageKind, ParseMode,
    ThreadId,
};

use crate::policy::{self, Context};
use crate::{Client, Error};

/// How many times one message waits out Telegram's `retry_after` before giving up.
const MAX_WAITS: usize = 3;

/// What the handlers share: the conversations, behind an `Arc` so turns can run on the
/// blocking pool.
pub(crate) struct App<S> {
    conversations: Arc<Conversations<S>>,
}

impl<S> App<S> {
    /// Wraps the conversations for the dispatcher's dependency map.
    pub(crate) fn new(conversations: Arc<Conversations<S>>) -> Arc<App<S>> {
        Arc::new(App { conversations })
    }
}

/// The handler tree: messages, and callback queries (button presses). Every other update is
/// ignored.
pub fn schema<S>() -> UpdateHandler<Error>
where
    S: StateStore + Send + Sync + 'static,
{
    dptree::entry()
        .branch(Update::filter_message().endpoint(on_message::<S>))
        .branch(Update::filter_callback_query().endpoint(on_press::<S>))
}

/// Where a reply goes: the chat, and the forum topic if any.
#[derive(Debug, Clone, Copy)]
struct Destination {
    chat: ChatId,
    thread: Option<ThreadId>,
}

/// A message: text goes to the engine if the bot should answer it; anything else (a sticker,
/// photo, voice note…) sent to the bot gets the engine's "text only" sentence.
async fn on_message<S>(bot: Client, msg: Message, me: Me, app: Arc<App<S>>) -> Result<(), Error>
where
    S: StateStore + Send + Sync + 'static,
{
    let Some(user) = msg.from.as_ref().filter(|user| !user.is_bot) else {
        return Ok(());
    };
    if !matches!(msg.kind, MessageKind::Common(_)) {
        return Ok(()); // Service messages: members joining, pins, topic changes…
    }
    let reply_to_bot = msg
        .reply_to_message()
        .and_then(|replied| replied.from.as_ref())
        .is_some_and(|author| author.id == me.id);
    let context = Context {
        private: msg.chat.is_private(),
        bot_username: me.username(),
        reply_to_bot,
    };
    let to = Destination {
        chat: msg.chat.id,
        thread: msg.thread_id.filter(|_| msg.is_topic_message),
    };
    let key = UserKey::new("telegram", &user.id.to_string());
    match msg.text() {
        Some(text) => match policy::engine_text(text, context) {
            Some(text) => answer(&bot, &app, key, Input::text(text), to).await,
            None => Ok(()),
        },
        None if context.private || reply_to_bot => {
            let sentence = app.conversations.engine().messages().non_text.clone();
            send(&bot, to, &[render::escape_html(&sentence)], &[]).await
        }
        None => Ok(()),
    }
}

/// A button press: acknowledged at once (answerCallbackQuery stops the button's spinner), then
/// answered in the chat the button was in.
async fn on_press<S>(bot: Client, query: CallbackQuery, app: Arc<App<S>>) -> Result<(), Error>
where
    S: StateStore + Send + Sync + 'static,
{
    bot.answer_callback_query(query.id.clone())
        .await
        .map_err(|e| Error::Api(e.to_string()))?;
    let Some(data) = query.data.as_deref() else {
        return Ok(());
    };
    let to = Destination {
        chat: query
            .message
            .as_ref()
            .map_or(ChatId::from(query.from.id), |message| message.chat().id),
        thread: None,
    };
    let key = UserKey::new("telegram", &query.from.id.to_string());
    answer(&bot, &app, key, Input::press(data), to).await
}

/// Takes one turn and sends the reply. The turn runs on the blocking pool: it writes the
/// user's state to the store and flushes it to disk.
async fn answer<S>(
    bot: &Client,
    app: &Arc<App<S>>,
    key: UserKey,
    input: Input,
    to: Destination,
) -> Result<(), Error>
where
    S: StateStore + Send + Sync + 'static,
{
    let conversations = Arc::clone(&app.conversations);
    let outgoing: Outgoing = tokio::task::spawn_blocking(move || {
        adapter::respond(
            &conversations,
            &key,
            &input,
            Channel::Telegram,
            adapter::now(),
        )
    })
    .await
    .map_err(|e| Error::Turn(e.to_string()))??;
    tracing::debug!(
        topic = ?outgoing.reply.topic,
        parts = outgoing.messages.len(),
        micros = outgoing.reply.micros,
        "answered"
    );
    send(bot, to, &outgoing.messages, &outgoing.buttons).await
}

/// Sends the messages in order (HTML), with the buttons under the last one.
async fn send(
    bot: &Client,
    to: Destination,
    messages: &[String],
    buttons: &[String],
) -> Result<(), Error> {
    let last = messages.len().saturating_sub(1);
    for (index, text) in messages.iter().enumerate() {
        let mut request = bot
            .send_message(to.chat, text)
            .parse_mode(ParseMode::Html)
            .link_preview_options(no_preview());
        if let Some(thread) = to.thread {
            request = request.message_thread_id(thread);
        }
        if index == last && !buttons.is_empty() {
            request = request.reply_markup(keyboard(buttons));
        }
        waiting_out_limits(request)
            .await
            .map_err(|e| Error::Api(e.to_string()))?;
    }
    Ok(())
}

/// Sends a request; when Telegram answers 429 ("retry after N seconds"), waits that long and
/// sends it again, at most `MAX_WAITS` times. Each wait is counted in the metrics.
async fn waiting_out_limits<R>(request: R) -> Result<Output<R>, RequestError>
where
    R: Request<Err = RequestError>,
{
    let mut waits = 0;
    loop {
        match request.send_ref().await {
            Err(RequestError::RetryAfter(after)) if waits < MAX_WAITS => {
                waits += 1;
                let wait = after.duration().max(Duration::from_millis(100));
                adapter::metrics::rate_limit_wait(Channel::Telegram, wait);
                tracing::warn!(
                    seconds = wait.as_secs(),
                    "Telegram asked to wait before sending"
                );
                tokio::time::sleep(wait).await;
            }
            result => return result,
        }
    }
}

/// One button per row: labels are often whole questions.
fn keyboard(buttons: &[String]) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(buttons.iter().map(|label| {
        [InlineKeyboardButton::callback(
            label.clone(),
            policy::callback_data(label),
        )]
    }))
}

/// Source links stay links, without a large preview under every answer.
fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

/// Logs errors from the handlers or the update listener, with the token removed.
pub(crate) fn error_handler<E>(secret: Secret) -> Arc<impl ErrorHandler<E> + Send + Sync>
where
    E: Display + Send + 'static,
{
    Arc::new(move |error: E| {
        let text = secret.redact(&error.to_string());
        adapter::metrics::adapter_error(Channel::Telegram);
        async move { tracing::error!("telegram: {text}") }
    })
}
