//! The adapter's decisions, free of serenity and of the network: whether a message is answered
//! and with what text, how application commands map to engine input, and how button labels fit
//! Discord's limits.

/// The most buttons in one action row.
pub const BUTTONS_PER_ROW: usize = 5;
/// The most action rows on one message.
pub const MAX_ROWS: usize = 5;
/// The longest button label Discord accepts, in characters.
pub const MAX_LABEL: usize = 80;
/// The longest custom id Discord accepts, in characters.
pub const MAX_CUSTOM_ID: usize = 100;

/// What the adapter needs to know about a message to decide whether to answer it.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// The author's user id.
    pub author: u64,
    /// The author is a bot, a webhook or Discord itself.
    pub from_bot: bool,
    /// The message is an ordinary message or a reply (not a join, pin or other system message).
    pub is_chat: bool,
    /// The message was posted in a guild (server), not in a DM.
    pub in_guild: bool,
    /// The channel it was posted in.
    pub channel: u64,
    /// Discord lists this bot among the users the message mentions.
    pub mentions_me: bool,
    /// The message text.
    pub content: &'a str,
}

/// The text to hand the engine for `message`, or `None` when the bot must stay quiet. DMs are
/// always answered; in guilds the bot answers when mentioned, or in one of `channels` when there
/// is text (an image posted there is not a question). Messages from bots (this one included)
/// and system messages are never answered. The bot's own mention is removed from the text.
pub fn message_text(message: &Incoming<'_>, me: u64, channels: &[u64]) -> Option<String> {
    if message.from_bot || message.author == me || !message.is_chat {
        return None;
    }
    let mentioned = message.mentions_me || has_mention(message.content, me);
    let listed = channels.contains(&message.channel) && !message.content.trim().is_empty();
    let answered = !message.in_guild || mentioned || listed;
    answered.then(|| strip_mention(message.content, me))
}

/// The two ways Discord writes a mention of user `id`.
fn mention_forms(id: u64) -> [String; 2] {
    [format!("<@{id}>"), format!("<@!{id}>")]
}

/// Whether `text` mentions user `id`.
pub fn has_mention(text: &str, id: u64) -> bool {
    mention_forms(id).iter().any(|form| text.contains(form))
}

/// `text` without any mention of user `id`, its spaces tidied.
pub fn strip_mention(text: &str, id: u64) -> String {
    let mut text = text.to_owned();
    for form in mention_forms(id) {
        text = text.replace(&form, " ");
    }
    text.split(' ')
        .filter(|piece| !piece.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_owned()
}

/// An application command the bot registers: its name and description, and whether its answer
/// is shown only to the user who ran it (because it is about their stored data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    /// The command's name, typed after `/`.
    pub name: &'static str,
    /// The description Discord shows in its command picker.
    pub description: &'static str,
    /// The answer is ephemeral (seen only by the user).
    pub private: bool,
}

/// The name of `/ask`'s one option.
pub const QUESTION: &str = "question";
/// The description of `/ask`'s option.
pub const QUESTION_DESCRIPTION: &str = "Your question about NHS careers";

/// The application commands, registered at start-up.
pub const COMMANDS: [CommandSpec; 7] = [
    CommandSpec {
        name: "ask",
        description: "Ask a question about NHS careers",
        private: false,
    },
    CommandSpec {
        name: "careers",
        description: "Find NHS careers that suit you",
        private: false,
    },
    CommandSpec {
        name: "roles",
        description: "Browse NHS roles",
        private: false,
    },
    CommandSpec {
        name: "reset",
        description: "Start the conversation again",
        private: true,
    },
    CommandSpec {
        name: "forget",
        description: "Delete everything careerbot stores about you",
        private: true,
    },
    CommandSpec {
        name: "mydata",
        description: "See what careerbot stores about you",
        private: true,
    },
    CommandSpec {
        name: "help",
        description: "What careerbot can do",
        private: false,
    },
];

/// The command named `name`, if the bot registers it.
pub fn command(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|spec| spec.name == name)
}

/// The engine text for application command `name`: `/ask` gives its question as typed (or
/// `/help` without one), `/careers` starts the career finder (`/quiz`), the others are the
/// engine command of the same name. `None` for a command the bot does not know.
pub fn command_text(name: &str, question: Option<&str>) -> Option<String> {
    match command(name)?.name {
        "ask" => Some(match question.map(str::trim) {
            Some(question) if !question.is_empty() => question.to_owned(),
            _ => "/help".to_owned(),
        }),
        "careers" => Some("/quiz".to_owned()),
        other => Some(format!("/{other}")),
    }
}

/// One button: its custom id (the label, cut to Discord's limit; the engine matches a cut label
/// by containment) and its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// The custom id sent back when the button is pressed.
    pub id: String,
    /// The text on the button.
    pub label: String,
}

/// The buttons for `labels`, in rows of at most five, at most five rows. Empty labels are
/// skipped, labels and ids are cut to Discord's limits, and a label whose id repeats an
/// earlier one is dropped (ids must be unique within a message).
pub fn button_rows(labels: &[String]) -> Vec<Vec<Button>> {
    let mut buttons: Vec<Button> = Vec::new();
    for label in labels {
        let label = label.trim();
        let id = cut(label, MAX_CUSTOM_ID);
        if id.is_empty() || buttons.iter().any(|button| button.id == id) {
            continue;
        }
        buttons.push(Button {
            id,
            label: cut(label, MAX_LABEL),
        });
    }
    buttons.truncate(BUTTONS_PER_ROW * MAX_ROWS);
    buttons
        .chunks(BUTTONS_PER_ROW)
        .map(<[Button]>::to_vec)
        .collect()
}

/// The label pressed, from a button's custom id.
pub fn pressed_label(custom_id: &str) -> &str {
    custom_id.trim()
}

/// The first `max` characters of `text`.
fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Which gateway shards are connected: the bot is up once every shard has received READY (or
/// RESUMED) and while none has lost its connection.
#[derive(Debug, Default)]
pub struct Shards {
    /// How many shards run (from READY), once known.
    total: Option<u32>,
    /// The shards connected now.
    connected: std::collections::BTreeSet<u32>,
    /// The shards this process runs, first to last, when it runs only some.
    only: Option<(u32, u32)>,
}

impl Shards {
    /// The shards of a process that runs `only` those (first to last), or all of them.
    pub fn only(only: Option<(u32, u32)>) -> Shards {
        Shards {
            only,
            ..Shards::default()
        }
    }

    /// Notes that `shard` connected (`true`) or lost its connection; `total` when READY tells
    /// how many shards there are. Returns whether every shard is connected.
    pub fn update(&mut self, shard: u32, total: Option<u32>, connected: bool) -> bool {
        if let Some(total) = total {
            self.total = Some(total.max(1));
        }
        if connected {
            self.connected.insert(shard);
        } else {
            self.connected.remove(&shard);
        }
        self.all_connected()
    }

    /// True when the number of shards is known and every one this process runs is connected.
    pub fn all_connected(&self) -> bool {
        match self.only {
            Some((first, last)) => (first..=last).all(|shard| self.connected.contains(&shard)),
            None => self
                .total
                .is_some_and(|total| (0..total).all(|shard| self.connected.contains(&shard))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: u64 = 42;

    fn incoming(content: &str) -> Incoming<'_> {
        Incoming {
            author: 7,
            from_bot: false,
            is_chat: true,
            in_guild: true,
            channel: 100,
            mentions_me: false,
            content,
        }
    }

    fn check(message: Incoming<'_>, channels: &[u64], expect: Option<&str>) {
        assert_eq!(
            message_text(&message, ME, channels).as_deref(),
            expect,
            "{message:?}"
        );
    }

    #[test]
    fn dms_are_always_answered() {
        let dm = Incoming {
            in_guild: false,
            ..incoming("how do I apply?")
        };
        check(dm, &[], Some("how do I apply?"));
        check(Incoming { content: "", ..dm }, &[], Some(""));
    }

    #[test]
    fn guild_messages_need_a_mention_or_a_configured_channel() {
        check(incoming("nice weather"), &[], None);
        check(incoming("nice weather"), &[100], Some("nice weather"));
        check(incoming(" "), &[100], None);
        check(
            incoming("<@42> how do I apply?"),
            &[],
            Some("how do I apply?"),
        );
        check(incoming("hi <@!42>, salary?"), &[], Some("hi , salary?"));
        let listed = Incoming {
            mentions_me: true,
            ..incoming("salary?")
        };
        check(listed, &[], Some("salary?"));
        check(incoming("<@43> hello"), &[], None);
        check(incoming("<@42>"), &[], Some(""));
    }

    #[test]
    fn bots_itself_and_system_messages_are_ignored() {
        let bot = Incoming {
            from_bot: true,
            in_guild: false,
            ..incoming("hello")
        };
        check(bot, &[100], None);
        let me = Incoming {
            author: ME,
            in_guild: false,
            ..incoming("hello")
        };
        check(me, &[100], None);
        let joined = Incoming {
            is_chat: false,
            ..incoming("<@42>")
        };
        check(joined, &[100], None);
    }

    #[test]
    fn mentions_are_stripped() {
        assert_eq!(strip_mention("<@42>hi<@!42>  there <@42>", 42), "hi there");
        assert_eq!(strip_mention("<@420> hi", 42), "<@420> hi");
        assert!(has_mention("x <@!42>", 42));
        assert!(!has_mention("x <@4>", 42));
    }

    #[test]
    fn commands_map_to_engine_text() {
        assert_eq!(
            command_text("ask", Some(" nurse pay? ")).as_deref(),
            Some("nurse pay?")
        );
        assert_eq!(command_text("ask", Some("  ")).as_deref(), Some("/help"));
        assert_eq!(command_text("ask", None).as_deref(), Some("/help"));
        assert_eq!(command_text("careers", None).as_deref(), Some("/quiz"));
        for name in ["roles", "reset", "forget", "mydata", "help"] {
            assert_eq!(command_text(name, None), Some(format!("/{name}")));
        }
        assert_eq!(command_text("start", None), None);
        assert!(command("mydata").is_some_and(|spec| spec.private));
        assert!(command("ask").is_some_and(|spec| !spec.private));
    }

    #[test]
    fn buttons_fit_discord_limits() {
        let labels: Vec<String> = (0..30).map(|i| format!("Option {i}")).collect();
        let rows = button_rows(&labels);
        assert_eq!(rows.len(), MAX_ROWS);
        assert!(rows.iter().all(|row| row.len() == BUTTONS_PER_ROW));
        assert_eq!(rows[1][0].label, "Option 5");

        let long = "é".repeat(150);
        let rows = button_rows(&[long.clone(), long, " ".into(), "Yes".into()]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].len(), 2);
        assert_eq!(rows[0][0].label.chars().count(), MAX_LABEL);
        assert_eq!(rows[0][0].id.chars().count(), MAX_CUSTOM_ID);
        assert_eq!(pressed_label(&rows[0][1].id), "Yes");
        assert!(button_rows(&[]).is_empty());
    }

    #[test]
    fn up_once_every_shard_is_connected_and_down_while_one_is_not() {
        let mut shards = Shards::default();
        assert!(!shards.update(1, None, true), "the count is not known yet");
        assert!(!shards.update(0, Some(3), true));
        assert!(shards.update(2, None, true));
        assert!(!shards.update(1, None, false), "shard 1 reconnecting");
        assert!(shards.update(1, None, true), "resumed");
        let mut one = Shards::default();
        assert!(one.update(0, Some(1), true));
        let mut some = Shards::only(Some((2, 3)));
        assert!(!some.update(2, Some(4), true));
        assert!(
            some.update(3, Some(4), true),
            "shards 0 and 1 are another process's"
        );
    }
}
