//! Rendering replies for each channel: the content's light markup (`**bold**`, `- ` bullets)
//! turned into what the platform shows, text escaped for the platform's markup, mentions
//! defused, and long replies split on paragraph boundaries to fit the platform's limit.
//! Pure functions: no I/O.

/// Where a reply is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Channel {
    /// The terminal and the JSON command line: plain text, no length limit.
    #[default]
    Cli,
    /// Discord: Markdown, 2000 characters a message.
    Discord,
    /// Telegram: HTML parse mode, 4096 characters a message.
    Telegram,
}

/// Discord's limit on a message's length, in characters.
pub const DISCORD_LIMIT: usize = 2000;
/// Telegram's limit on a message's length, in characters.
pub const TELEGRAM_LIMIT: usize = 4096;

impl Channel {
    /// The channel with this name (`cli`, `discord`, `telegram`).
    pub fn from_name(name: &str) -> Option<Channel> {
        match name {
            "cli" => Some(Channel::Cli),
            "discord" => Some(Channel::Discord),
            "telegram" => Some(Channel::Telegram),
            _ => None,
        }
    }

    /// The channel's name, as used in user keys.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Cli => "cli",
            Channel::Discord => "discord",
            Channel::Telegram => "telegram",
        }
    }

    /// The most characters one message may have, if there is a limit.
    pub fn limit(self) -> Option<usize> {
        match self {
            Channel::Cli => None,
            Channel::Discord => Some(DISCORD_LIMIT),
            Channel::Telegram => Some(TELEGRAM_LIMIT),
        }
    }
}

/// Renders a reply (in the content's markup) for `channel` as the messages to send, in order.
/// Every message fits the channel's limit; the split falls between paragraphs where it can,
/// then between lines, then between words.
pub fn render(text: &str, channel: Channel) -> Vec<String> {
    let format = |piece: &str| format(piece, channel);
    match channel.limit() {
        None => vec![format(text)],
        Some(limit) => split(text, limit, &format),
    }
}

/// Renders an answer with the links it rests on: the text as `render` gives it, then a last
/// paragraph naming the sources as links the platform shows (Telegram `<a>` tags, Discord
/// `<url>` without embeds, plain URLs elsewhere). The sources join the last message when they
/// fit, and make a message of their own when they do not.
pub fn render_answer(text: &str, sources: &[String], channel: Channel) -> Vec<String> {
    let mut messages = render(text, channel);
    if sources.is_empty() {
        return messages;
    }
    let links = source_links(sources, channel);
    let limit = channel.limit().unwrap_or(usize::MAX);
    match messages.last_mut() {
        Some(last) if last.trim().is_empty() => *last = links,
        Some(last) if last.chars().count() + 2 + links.chars().count() <= limit => {
            last.push_str("\n\n");
            last.push_str(&links);
        }
        _ => messages.push(links),
    }
    messages
}

/// The sources paragraph, formatted for `channel`.
fn source_links(sources: &[String], channel: Channel) -> String {
    let links: Vec<String> = sources
        .iter()
        .map(|url| match channel {
            Channel::Cli => url.clone(),
            Channel::Discord => format!("<{}>", defuse_mentions(url)),
            Channel::Telegram => {
                let url = escape_html(url);
                format!("<a href=\"{url}\">{url}</a>")
            }
        })
        .collect();
    format!("Source: {}", links.join(", "))
}

/// One piece of markup text rendered for a channel, without splitting.
fn format(text: &str, channel: Channel) -> String {
    match channel {
        Channel::Cli => bold(text, &|s| s.to_owned(), "", ""),
        // The content is written in Discord-compatible Markdown: only mentions are defused, so
        // that links (which may hold `_`) stay links. User text must go through `escape_discord`.
        Channel::Discord => defuse_mentions(text),
        Channel::Telegram => bold(text, &escape_html, "<b>", "</b>"),
    }
}

/// Renders `**bold**` spans with `open`/`close`, escaping all text with `escape`. An unpaired
/// `**` is shown as it is (escaped).
fn bold(text: &str, escape: &dyn Fn(&str) -> String, open: &str, close: &str) -> String {
    let parts: Vec<&str> = text.split("**").collect();
    let pairs = (parts.len() - 1) / 2 * 2;
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        if i > pairs {
            out.push_str(&escape("**"));
        } else if i > 0 {
            out.push_str(if i % 2 == 1 { open } else { close });
        }
        out.push_str(&escape(part));
    }
    out
}

/// Escapes text for Telegram's HTML parse mode.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for Discord Markdown and defuses mentions (`@everyone`, `@here`, `<@id>`):
/// a zero-width space after every `@` stops Discord from reading a mention.
pub fn escape_discord(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    defuse_mentions(&out)
}

/// Stops Discord from reading `@everyone`, `@here` or `<@id>` as a mention.
pub fn defuse_mentions(text: &str) -> String {
    text.replace('@', "@\u{200B}")
}

/// Splits markup text into messages whose rendered form fits `limit` characters.
fn split(text: &str, limit: usize, format: &dyn Fn(&str) -> String) -> Vec<String> {
    let fits = |piece: &str| format(piece).chars().count() <= limit;
    let mut messages: Vec<String> = Vec::new();
    let mut current = String::new();
    for paragraph in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
        let joined = if current.is_empty() {
            paragraph.to_owned()
        } else {
            format!("{current}\n\n{paragraph}")
        };
        if fits(&joined) {
            current = joined;
            continue;
        }
        if !current.is_empty() {
            messages.push(format(&current));
        }
        if fits(paragraph) {
            current = paragraph.to_owned();
            continue;
        }
        let mut pieces = split_long(paragraph, &fits);
        current = pieces.pop().unwrap_or_default();
        messages.extend(pieces.iter().map(|p| format(p)));
    }
    if !current.is_empty() || messages.is_empty() {
        messages.push(format(&current));
    }
    messages
}

/// Splits one paragraph that is too long: between lines, then words, then characters.
fn split_long(paragraph: &str, fits: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    let tokens = paragraph.split_inclusive(['\n', ' ']);
    for token in tokens.flat_map(|t| chunks(t, fits)) {
        let joined = format!("{current}{token}");
        if fits(joined.trim_end()) {
            current = joined;
        } else {
            if !current.trim().is_empty() {
                pieces.push(current.trim_end().to_owned());
            }
            current = token;
        }
    }
    if !current.trim().is_empty() {
        pieces.push(current.trim_end().to_owned());
    }
    pieces
}

/// A word too long for one message, cut into pieces that fit.
fn chunks(token: &str, fits: &dyn Fn(&str) -> bool) -> Vec<String> {
    if fits(token.trim_end()) {
        return vec![token.to_owned()];
    }
    let mut pieces = Vec::new();
    let mut current = String::new();
    for c in token.chars() {
        current.push(c);
        if !fits(&current) {
            current.pop();
            pieces.push(std::mem::take(&mut current));
            current.push(c);
        }
    }
    pieces.push(current);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_per_channel() {
        let text = "Use **NHS Jobs** & <trust> sites";
        assert_eq!(render(text, Channel::Cli), ["Use NHS Jobs & <trust> sites"]);
        assert_eq!(
            render(text, Channel::Telegram),
            ["Use <b>NHS Jobs</b> &amp; &lt;trust&gt; sites"]
        );
        assert_eq!(
            render(text, Channel::Discord),
            ["Use **NHS Jobs** & <trust> sites"]
        );
        assert_eq!(render("a ** b", Channel::Telegram), ["a ** b"]);
        assert_eq!(
            render("a ** b @everyone", Channel::Discord),
            ["a ** b @\u{200B}everyone"]
        );
    }

    #[test]
    fn answers_end_with_their_sources_as_links() {
        let sources = ["https://example.org/a?b=1&c=2".to_owned()];
        let telegram = render_answer("Use **NHS Jobs**", &sources, Channel::Telegram);
        assert_eq!(
            telegram,
            [
                "Use <b>NHS Jobs</b>\n\nSource: <a href=\"https://example.org/a?b=1&amp;c=2\">https://example.org/a?b=1&amp;c=2</a>"
            ]
        );
        let discord = render_answer("Hi", &sources, Channel::Discord);
        assert_eq!(discord, ["Hi\n\nSource: <https://example.org/a?b=1&c=2>"]);
        assert_eq!(render_answer("Hi", &[], Channel::Cli), ["Hi"]);
        let full = "x".repeat(DISCORD_LIMIT);
        let split = render_answer(&full, &sources, Channel::Discord);
        assert_eq!(split.len(), 2);
        assert!(split[1].starts_with("Source: "));
    }

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(
            escape_html("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(escape_html("<b>x</b> & y"), "&lt;b&gt;x&lt;/b&gt; &amp; y");
        assert_eq!(
            escape_discord("@everyone *hi*"),
            "@\u{200B}everyone \\*hi\\*"
        );
        assert!(!escape_discord("<@123> @here").contains("@here"));
    }

    #[test]
    fn long_replies_split_on_paragraphs() {
        let paragraph = "word ".repeat(300).trim_end().to_owned(); // 1499 characters
        let text = [paragraph.as_str(); 5].join("\n\n");
        let messages = render(&text, Channel::Discord);
        assert_eq!(messages.len(), 5);
        assert!(messages.iter().all(|m| m == &paragraph));
        let messages = render(&text, Channel::Telegram);
        assert_eq!(messages.len(), 3); // two paragraphs fit in 4096
        assert!(messages.iter().all(|m| m.chars().count() <= TELEGRAM_LIMIT));
        assert_eq!(messages.join("\n\n"), text);
    }

    #[test]
    fn huge_paragraphs_and_words_still_fit() {
        for channel in [Channel::Discord, Channel::Telegram] {
            let limit = channel.limit().unwrap_or(usize::MAX);
            let huge = format!("{} {} <&>", "x".repeat(30_000), "word ".repeat(3000));
            let messages = render(&huge, channel);
            assert!(messages.len() > 1);
            for m in &messages {
                assert!(
                    m.chars().count() <= limit,
                    "{} > {limit}",
                    m.chars().count()
                );
            }
            let visible: usize = messages.iter().map(|m| m.matches('x').count()).sum();
            assert_eq!(visible, 30_000, "nothing is lost");
        }
        assert_eq!(render("", Channel::Telegram), [""]);
    }
}
