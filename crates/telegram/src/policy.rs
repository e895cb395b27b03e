//! Platform-free decisions: which messages the bot answers, what text reaches the engine, and
//! what fits in Telegram's fields. No teloxide types here.

/// Telegram's limit on a button's `callback_data`, in bytes.
pub const CALLBACK_DATA_LIMIT: usize = 64;

/// The commands shown in Telegram's menu (registered with setMyCommands): name without the
/// slash, and the menu description.
pub const COMMANDS: [(&str, &str); 6] = [
    ("start", "Welcome and a menu of topics"),
    ("help", "What I can help with"),
    ("quiz", "Find a career that suits you"),
    ("reset", "Start the conversation again"),
    ("forget", "Delete what I have stored about you"),
    ("mydata", "Show what I have stored about you"),
];

/// Where a message was sent, as far as deciding whether to answer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context<'a> {
    /// A private chat with the bot (every message is for the bot).
    pub private: bool,
    /// The bot's username, without the `@`.
    pub bot_username: &'a str,
    /// The message replies to one of the bot's messages.
    pub reply_to_bot: bool,
}

/// The text to hand to the engine for a text message, or `None` when the bot should stay
/// quiet. In private chats every message is answered; in groups only commands (for this bot),
/// messages that mention the bot and replies to the bot. Commands become `/name args` with the
/// name lowercased and any `@botname` suffix removed; mentions of the bot are removed.
pub fn engine_text(text: &str, context: Context<'_>) -> Option<String> {
    if let Some(command) = command(text) {
        return match command.target {
            Some(target) if !target.eq_ignore_ascii_case(context.bot_username) => None,
            _ => Some(command.text),
        };
    }
    if context.private {
        return Some(strip_mention(text, context.bot_username));
    }
    if mentions(text, context.bot_username) {
        return Some(strip_mention(text, context.bot_username));
    }
    context.reply_to_bot.then(|| text.to_owned())
}

/// A command as typed: `/Name@target args`.
#[derive(Debug, PartialEq, Eq)]
struct Command<'a> {
    /// `/name args`, the name lowercased.
    text: String,
    /// The bot named after `@`, if any.
    target: Option<&'a str>,
}

/// Parses a message that starts with a command (`/` then letters, digits or `_`).
fn command(text: &str) -> Option<Command<'_>> {
    let rest = text.trim_start().strip_prefix('/')?;
    let (head, args) = match rest.split_once(char::is_whitespace) {
        Some((head, args)) => (head, args.trim()),
        None => (rest, ""),
    };
    let (name, target) = match head.split_once('@') {
        Some((name, target)) => (name, Some(target)),
        None => (head, None),
    };
    let valid = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.is_empty() || !valid(name) || target.is_some_and(|t| t.is_empty() || !valid(t)) {
        return None;
    }
    let mut text = format!("/{}", name.to_ascii_lowercase());
    if !args.is_empty() {
        text.push(' ');
        text.push_str(args);
    }
    Some(Command { text, target })
}

/// True when `text` mentions `@username` (case-insensitive, as a whole word).
pub fn mentions(text: &str, username: &str) -> bool {
    !mention_spans(text, username).is_empty()
}

/// `text` without its mentions of `@username`, white space tidied.
pub fn strip_mention(text: &str, username: &str) -> String {
    let spans = mention_spans(text, username);
    if spans.is_empty() {
        return text.trim().to_owned();
    }
    let mut kept = String::with_capacity(text.len());
    let mut from = 0;
    for (start, end) in spans {
        kept.push_str(&text[from..start]);
        kept.push(' ');
        from = end;
    }
    kept.push_str(&text[from..]);
    let words: Vec<&str> = kept.split_whitespace().collect();
    let mut joined = words.join(" ");
    // "@bot, how do I apply?" leaves a leading comma or colon behind.
    while joined.starts_with([',', ':', ';']) {
        joined = joined[1..].trim_start().to_owned();
    }
    joined
}

/// Byte ranges of each `@username` mention in `text`.
fn mention_spans(text: &str, username: &str) -> Vec<(usize, usize)> {
    if username.is_empty() {
        return Vec::new();
    }
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut spans = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = at + 1;
        let Some(candidate) = text.get(start..start + username.len()) else {
            continue;
        };
        let end = start + username.len();
        let whole = !text[end..].starts_with(word) && !text[..at].ends_with(word);
        if whole && candidate.eq_ignore_ascii_case(username) {
            spans.push((at, end));
        }
    }
    spans
}

/// A button's `callback_data`: its label cut to Telegram's 64 bytes at a character boundary.
/// The engine matches a press by containment, so a cut label still selects the button.
pub fn callback_data(label: &str) -> String {
    let mut end = label.len().min(CALLBACK_DATA_LIMIT);
    while !label.is_char_boundary(end) {
        end -= 1;
    }
    label[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(reply_to_bot: bool) -> Context<'static> {
        Context {
            private: false,
            bot_username: "CareerBot",
            reply_to_bot,
        }
    }

    const PRIVATE: Context<'static> = Context {
        private: true,
        bot_username: "CareerBot",
        reply_to_bot: false,
    };

    #[test]
    fn private_chats_answer_everything() {
        assert_eq!(engine_text("hello", PRIVATE).as_deref(), Some("hello"));
        assert_eq!(engine_text("", PRIVATE).as_deref(), Some(""));
        assert_eq!(
            engine_text("@careerbot how do I apply?", PRIVATE).as_deref(),
            Some("how do I apply?")
        );
    }

    #[test]
    fn groups_answer_commands_mentions_and_replies() {
        assert_eq!(engine_text("anyone for lunch?", group(false)), None);
        assert_eq!(
            engine_text("@CareerBot, how do I apply?", group(false)).as_deref(),
            Some("how do I apply?")
        );
        assert_eq!(
            engine_text("what about nursing @careerbot", group(false)).as_deref(),
            Some("what about nursing")
        );
        assert_eq!(
            engine_text("and pay?", group(true)).as_deref(),
            Some("and pay?")
        );
        assert_eq!(
            engine_text("/start", group(false)).as_deref(),
            Some("/start")
        );
        // Someone else's bot, or a longer name that merely starts with ours.
        assert_eq!(engine_text("/start@OtherBot", group(false)), None);
        assert_eq!(engine_text("hi @CareerBot2", group(false)), None);
        assert_eq!(engine_text("mail me@CareerBot", group(false)), None);
    }

    #[test]
    fn commands_are_normalised() {
        let text = |s| engine_text(s, group(false));
        assert_eq!(text("/START@careerbot").as_deref(), Some("/start"));
        assert_eq!(
            text("/roles@CareerBot  nursing  ").as_deref(),
            Some("/roles nursing")
        );
        assert_eq!(text("  /help").as_deref(), Some("/help"));
        // Not commands: a lone slash, a path, markup.
        assert_eq!(text("/"), None);
        assert_eq!(
            engine_text("/usr/bin", PRIVATE).as_deref(),
            Some("/usr/bin")
        );
        assert_eq!(engine_text("</b>", PRIVATE).as_deref(), Some("</b>"));
    }

    #[test]
    fn callback_data_fits_in_64_bytes() {
        assert_eq!(callback_data("Tell me more"), "Tell me more");
        let long = "é".repeat(40); // 80 bytes
        let data = callback_data(&long);
        assert_eq!(data.len(), 64);
        assert!(long.starts_with(&data));
        let odd = format!("a{long}");
        assert_eq!(callback_data(&odd).len(), 63);
    }

    #[test]
    fn commands_are_valid_for_telegram() {
        for (name, description) in COMMANDS {
            assert!(name.len() <= 32 && name.chars().all(|c| c.is_ascii_lowercase()));
            assert!((3..=256).contains(&description.len()));
        }
    }
}

/// The `update_id` of an update's JSON body, if it has one.
pub fn update_id(body: &[u8]) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Head {
        update_id: i64,
    }
    serde_json::from_slice::<Head>(body)
        .ok()
        .map(|head| head.update_id)
}

#[cfg(test)]
mod update_id_tests {
    #[test]
    fn update_ids() {
        assert_eq!(
            super::update_id(br#"{"update_id": 42, "message": {}}"#),
            Some(42)
        );
        assert_eq!(super::update_id(b"{}"), None);
        assert_eq!(super::update_id(b"junk"), None);
    }
}
