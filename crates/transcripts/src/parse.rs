//! Reading `.convo` files.

use adapter::Channel;
use regex::Regex;

/// A parsed transcript file: one or more conversations.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// The file, as given.
    pub path: String,
    /// The first comment line, or the file name.
    pub title: String,
    /// The conversations, separated by `---` in the file.
    pub conversations: Vec<Conversation>,
}

impl Transcript {
    /// How many expectations the transcript holds.
    pub fn checks(&self) -> usize {
        self.conversations
            .iter()
            .flat_map(|c| &c.steps)
            .filter(|line| matches!(line.step, Step::Check(_)))
            .count()
    }
}

/// One conversation: its steps in order, each with its line number.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    /// The steps.
    pub steps: Vec<Line>,
}

/// A step and the 1-based line it was written on.
#[derive(Debug, Clone)]
pub struct Line {
    /// The line number.
    pub number: usize,
    /// What the line does.
    pub step: Step,
}

/// What one line of a transcript does.
#[derive(Debug, Clone)]
pub enum Step {
    /// `user: TEXT`: the current user sends TEXT.
    Say(String),
    /// `@press LABEL`: the current user presses a button of the last reply.
    Press(String),
    /// `@user NAME`: later lines are about user NAME.
    User(String),
    /// `@channel NAME`: replies are rendered for this channel.
    Channel(Channel),
    /// `@restart`: the bot closes and reopens its store.
    Restart,
    /// An expectation on the current user's last reply.
    Check(Check),
}

/// An expectation on a reply.
#[derive(Debug, Clone)]
pub enum Check {
    /// `bot: TEXT`: the reply contains TEXT (case and runs of white space ignored).
    Contains(String),
    /// `bot!: TEXT`: the reply does not contain TEXT.
    Lacks(String),
    /// `bot~: REGEX`: the reply matches REGEX.
    Matches(Regex),
    /// `bot!~: REGEX`: the reply does not match REGEX (an extension of the spec).
    Unmatched(Regex),
    /// `topic: ID`: the reply came from this intent or entry.
    Topic(String),
    /// `fallback: yes|no`.
    Fallback(bool),
    /// `button: LABEL`: a button's label contains LABEL.
    Button(String),
    /// `source: TEXT`: a source link contains TEXT.
    Source(String),
}

/// A line that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct ParseError {
    /// The file.
    pub file: String,
    /// The 1-based line.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Parses the text of the transcript file `path`.
pub fn parse(path: &str, text: &str) -> Result<Transcript, ParseError> {
    let mut title = None;
    let mut conversations = vec![Conversation::default()];
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            title.get_or_insert_with(|| comment.trim().to_owned());
            continue;
        }
        if line == "---" {
            conversations.push(Conversation::default());
            continue;
        }
        let step = step(line).map_err(|reason| ParseError {
            file: path.to_owned(),
            line: number,
            reason,
        })?;
        if let Some(current) = conversations.last_mut() {
            current.steps.push(Line { number, step });
        }
    }
    conversations.retain(|c| !c.steps.is_empty());
    if conversations.is_empty() {
        return Err(ParseError {
            file: path.to_owned(),
            line: 1,
            reason: "the transcript has no conversation in it".to_owned(),
        });
    }
    let title = title.unwrap_or_else(|| path.rsplit('/').next().unwrap_or(path).to_owned());
    Ok(Transcript {
        path: path.to_owned(),
        title,
        conversations,
    })
}

/// One line (trimmed, not blank, not a comment).
fn step(line: &str) -> Result<Step, String> {
    if let Some(directive) = line.strip_prefix('@') {
        return directive_step(directive);
    }
    let Some((key, value)) = line.split_once(':') else {
        return Err(format!(
            "not a transcript line: '{line}' (see shared/spec/transcripts.md)"
        ));
    };
    let value = value.trim();
    let needs_value = |what: &str| {
        if value.is_empty() {
            Err(format!("'{key}:' needs {what}"))
        } else {
            Ok(value.to_owned())
        }
    };
    let check = match key.trim() {
        "user" => return Ok(Step::Say(value.to_owned())),
        "bot" => Check::Contains(plain_text(needs_value("the text the reply must contain")?)?),
        "bot!" => Check::Lacks(plain_text(needs_value(
            "the text the reply must not contain",
        )?)?),
        "bot~" => Check::Matches(regex(needs_value("a regular expression")?)?),
        "bot!~" => Check::Unmatched(regex(needs_value("a regular expression")?)?),
        "topic" => Check::Topic(needs_value("an intent or entry id")?),
        "fallback" => match value {
            "yes" => Check::Fallback(true),
            "no" => Check::Fallback(false),
            _ => return Err(format!("'fallback:' takes yes or no, not '{value}'")),
        },
        "button" => Check::Button(needs_value("a button label")?),
        "source" => Check::Source(needs_value("part of a source link")?),
        other => {
            return Err(format!(
                "unknown line type '{other}:' (see shared/spec/transcripts.md)"
            ));
        }
    };
    Ok(Step::Check(check))
}

/// A `@directive` line, without the `@`.
/// A check's regular expression, read.
/// The text of a `bot:` or `bot!:` check, which is matched as written: a regular expression's
/// flags there would make a check that can never fail ("bot!: (?i)samaritans").
fn plain_text(text: String) -> Result<String, String> {
    if text.starts_with("(?") {
        return Err(format!(
            "'{text}' is a regular expression: use 'bot~:' or 'bot!~:' for one"
        ));
    }
    Ok(text)
}

fn regex(pattern: String) -> Result<Regex, String> {
    Regex::new(&pattern).map_err(|e| format!("bad regular expression: {e}"))
}

fn directive_step(directive: &str) -> Result<Step, String> {
    let (name, argument) = directive
        .split_once(char::is_whitespace)
        .map_or((directive, ""), |(n, a)| (n, a.trim()));
    let needs = |what: &str| {
        if argument.is_empty() {
            Err(format!("'@{name}' needs {what}"))
        } else {
            Ok(argument.to_owned())
        }
    };
    match name {
        "user" => Ok(Step::User(needs("a user name")?)),
        "press" => Ok(Step::Press(needs("a button label")?)),
        "channel" => Channel::from_name(&needs("a channel")?)
            .map(Step::Channel)
            .ok_or_else(|| format!("unknown channel '{argument}' (use cli, discord or telegram)")),
        "restart" if argument.is_empty() => Ok(Step::Restart),
        "restart" => Err("'@restart' takes nothing after it".to_owned()),
        other => Err(format!(
            "unknown directive '@{other}' (see shared/spec/transcripts.md)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_line_type() {
        let text = "# Title here\n# another comment\n@user sam\n@channel telegram\nuser: hi\nbot: hello\nbot!: goodbye\nbot~: (?i)h(i|ello)\nbot!~: (?i)bye\ntopic: smalltalk.greeting\nfallback: no\nbutton: apply\nsource: nhs.uk\n@press apply\n@restart\n---\n\nuser: weather?\nfallback: yes\n";
        let transcript = parse("t.convo", text).expect("valid");
        assert_eq!(transcript.title, "Title here");
        assert_eq!(transcript.conversations.len(), 2);
        let first = &transcript.conversations[0].steps;
        assert_eq!(first.len(), 13);
        assert_eq!(first[0].number, 3);
        assert!(matches!(first[1].step, Step::Channel(Channel::Telegram)));
        assert!(matches!(&first[6].step, Step::Check(Check::Unmatched(re)) if re.is_match("BYE")));
        assert!(matches!(&first[11].step, Step::Press(l) if l == "apply"));
        assert!(matches!(first[12].step, Step::Restart));
        assert_eq!(transcript.conversations[1].steps[0].number, 18);
    }

    #[test]
    fn malformed_lines_are_errors_with_their_line() {
        for (text, line, reason) in [
            ("user: hi\nbot hello", 2, "not a transcript line"),
            ("user: hi\nbott: hello", 2, "unknown line type 'bott:'"),
            ("user: hi\nfallback: maybe", 2, "yes or no"),
            ("user: hi\nbot~: (unclosed", 2, "bad regular expression"),
            ("user: hi\nbot!~: (unclosed", 2, "bad regular expression"),
            ("user: hi\nbot:", 2, "needs the text"),
            (
                "user: hi\nbot!: (?i)samaritans",
                2,
                "is a regular expression",
            ),
            ("user: hi\nbot: (?i)hello", 2, "is a regular expression"),
            ("@channel slack", 1, "unknown channel 'slack'"),
            ("@teleport", 1, "unknown directive"),
            ("@restart now", 1, "takes nothing"),
            ("# only a comment", 1, "no conversation"),
        ] {
            let error = parse("bad.convo", text).expect_err(text);
            assert_eq!(error.line, line, "{text}");
            assert!(error.reason.contains(reason), "{text}: {}", error.reason);
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("bad.convo:{line}: "))
            );
        }
    }
}
