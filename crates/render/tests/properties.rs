//! Properties of rendering, on any reply text: every message fits its channel's limit, nothing
//! is lost or reordered by splitting, and escaped text has no live markup.

use proptest::prelude::*;
use render::{Channel, DISCORD_LIMIT, TELEGRAM_LIMIT, escape_discord, escape_html, render};

/// Reply-like text: words, paragraphs and lines, long words, and markup.
fn reply() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => "[a-zA-Z0-9.,]{1,12}",
        4 => Just(" ".to_owned()),
        1 => Just("\n".to_owned()),
        1 => Just("\n\n".to_owned()),
        1 => "[a-z]{100,2500}",
        1 => prop::sample::select(vec!["**", "<b>", "</b>", "&", "\"", "@everyone", "<@123>", "😀", "- "])
            .prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 0..400).prop_map(|pieces| pieces.concat())
}

/// Text with no markup or characters the channels escape: what splitting alone does to it.
fn plain() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => "[a-zA-Z0-9.,]{1,12}",
        4 => Just(" ".to_owned()),
        1 => Just("\n".to_owned()),
        1 => Just("\n\n".to_owned()),
        1 => "[a-z]{100,2500}",
    ];
    prop::collection::vec(piece, 0..300).prop_map(|pieces| pieces.concat())
}

fn visible(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Undoes `escape_html`.
fn unescape_html(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// True when every `&` starts an entity `escape_html` writes, and no `<`, `>` or `"` is bare.
fn no_live_html(text: &str) -> bool {
    let entities = ["&amp;", "&lt;", "&gt;", "&quot;"];
    !text.contains(['<', '>', '"'])
        && text
            .match_indices('&')
            .all(|(at, _)| entities.iter().any(|e| text[at..].starts_with(e)))
}

/// True when every `@` is followed by a zero-width space (no mention can be read).
fn mentions_defused(text: &str) -> bool {
    text.match_indices('@')
        .all(|(at, _)| text[at + 1..].starts_with('\u{200B}'))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_message_fits_its_channel(text in reply()) {
        for (channel, limit) in [(Channel::Discord, DISCORD_LIMIT), (Channel::Telegram, TELEGRAM_LIMIT)] {
            let messages = render(&text, channel);
            prop_assert!(!messages.is_empty());
            for message in &messages {
                prop_assert!(message.chars().count() <= limit, "{} > {limit}", message.chars().count());
            }
        }
        prop_assert_eq!(render(&text, Channel::Cli).len(), 1);
    }

    #[test]
    fn splitting_loses_and_reorders_nothing(text in plain()) {
        for channel in [Channel::Discord, Channel::Telegram] {
            let messages = render(&text, channel);
            prop_assert_eq!(visible(&messages.concat()), visible(&text));
            // Paragraphs that fit are kept whole: joined back, they are the text's paragraphs.
            let limit = channel.limit().unwrap_or(usize::MAX);
            let paragraphs: Vec<&str> = text.split("\n\n").filter(|p| !p.trim().is_empty()).collect();
            if paragraphs.iter().all(|p| p.chars().count() <= limit) {
                prop_assert_eq!(messages.join("\n\n"), paragraphs.join("\n\n"));
            }
        }
    }

    #[test]
    fn escaped_html_has_no_live_markup_and_reads_back(text in reply()) {
        let escaped = escape_html(&text);
        prop_assert!(no_live_html(&escaped), "{escaped:?}");
        prop_assert_eq!(unescape_html(&escaped), text);
    }

    #[test]
    fn telegram_shows_only_the_bold_it_makes(text in reply()) {
        for message in render(&text, Channel::Telegram) {
            let without_bold = message.replace("<b>", "").replace("</b>", "");
            prop_assert!(no_live_html(&without_bold), "{message:?}");
            prop_assert_eq!(message.matches("<b>").count(), message.matches("</b>").count());
        }
    }

    #[test]
    fn discord_never_pings(text in reply()) {
        for message in render(&text, Channel::Discord) {
            prop_assert!(mentions_defused(&message), "{message:?}");
        }
        let escaped = escape_discord(&text);
        prop_assert!(mentions_defused(&escaped), "{escaped:?}");
        let markdown = ['\\', '*', '_', '~', '`', '|', '>', '#', '[', ']', '(', ')'];
        let mut chars = escaped.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                let escaped_char = chars.next();
                prop_assert!(escaped_char.is_some_and(|e| markdown.contains(&e)), "{escaped:?}");
            } else {
                prop_assert!(!markdown.contains(&c), "live {c:?} in {escaped:?}");
            }
        }
    }
}
