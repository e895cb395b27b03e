//! HTML, Markdown and mention injection: user text the bot repeats (its record of what was said,
//! shown by "what do you know about me") goes through `adapter::respond` like every reply, and
//! comes out with no live markup of the user's and no mention that could ping anyone.

use std::path::Path;
use std::sync::OnceLock;

use adapter::{Channel, respond};
use engine::{Content, Conversations, Engine, Input, MemoryStore, UserKey};

fn conversations() -> &'static Conversations<MemoryStore> {
    static CONVERSATIONS: OnceLock<Conversations<MemoryStore>> = OnceLock::new();
    CONVERSATIONS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let content =
            Content::from_dirs(&root.join("knowledge"), &root.join("intents")).expect("content");
        Conversations::new(
            Engine::new(&content).expect("engine"),
            MemoryStore::default(),
        )
    })
}

const HOSTILE: [&str; 6] = [
    "<b>bold</b> <script>alert(1)</script> <a href=\"http://evil.example\">x</a> & nursing?",
    "@everyone @here <@123> <@&456> <#789> how do i apply?",
    "**bold** __under__ ~~strike~~ `code` ||spoiler|| [click](http://evil.example) > quote",
    "</b><i>unclosed <b>",
    "&amp; &lt;b&gt; &#60;b&#62;",
    "\u{202e}\u{200b}@\u{200b}everyone",
];

/// Every message `user` gets for `text` on `channel`, after the hostile messages.
fn replies(user: &str, channel: Channel) -> Vec<String> {
    let key = UserKey::new(channel.name(), user);
    let mut messages = Vec::new();
    for text in HOSTILE.iter().chain(&["what do you know about me"]) {
        let sent =
            respond(conversations(), &key, &Input::text(*text), channel, 1).expect("a reply");
        messages.extend(sent.messages);
    }
    messages
}

/// The text with the markup the bot itself writes on Telegram removed: bold, and source links.
fn without_own_telegram_markup(message: &str) -> String {
    let mut text = message
        .replace("<b>", "")
        .replace("</b>", "")
        .replace("</a>", "");
    while let Some(start) = text.find("<a href=\"") {
        let end = text[start..]
            .find("\">")
            .map_or(text.len(), |e| start + e + 2);
        text.replace_range(start..end, "");
    }
    text
}

#[test]
fn telegram_shows_none_of_the_users_html() {
    let messages = replies("1", Channel::Telegram);
    let all = messages.join("\n");
    assert!(
        all.contains("&lt;script&gt;"),
        "the record is shown, escaped: {all}"
    );
    for message in &messages {
        let rest = without_own_telegram_markup(message);
        assert!(!rest.contains(['<', '>']), "live HTML in {message:?}");
        for (at, _) in rest.match_indices('&') {
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;"]
                    .iter()
                    .any(|e| rest[at..].starts_with(e)),
                "a bare & in {message:?}"
            );
        }
        assert!(!message.contains("http://evil.example\">"), "{message:?}");
    }
}

#[test]
fn discord_never_pings_anyone() {
    let messages = replies("2", Channel::Discord);
    let all = messages.join("\n");
    assert!(all.contains("everyone"), "the record is shown: {all}");
    for message in &messages {
        for (at, _) in message.match_indices('@') {
            assert!(
                message[at + 1..].starts_with('\u{200B}'),
                "a live mention in {message:?}"
            );
        }
    }
}

#[test]
fn the_cli_shows_text_as_it_is() {
    let messages = replies("3", Channel::Cli);
    assert!(messages.join("\n").contains("<script>alert(1)</script>"));
}
