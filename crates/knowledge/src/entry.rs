//! One knowledge entry: a Markdown file with TOML front matter.

use serde::Deserialize;

use crate::{Error, check_source};

/// The fewest alternate questions an entry may have.
pub const MIN_QUESTIONS: usize = 6;
/// The longest a button label may be.
pub const MAX_LABEL: usize = 30;

/// A knowledge entry: one answer to one kind of question.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Unique id, `folder.name`.
    pub id: String,
    /// What the entry answers.
    pub title: String,
    /// Text for a button that leads here.
    pub label: String,
    /// What "it" or "that" means in a follow-up, if it differs from the title.
    pub subject: String,
    /// Ways people ask for this entry.
    pub questions: Vec<String>,
    /// Further typical questions that a test expects to reach this entry.
    pub check: Vec<String>,
    /// Words and phrases that point here.
    pub keywords: Vec<String>,
    /// Topic labels.
    pub tags: Vec<String>,
    /// Links of the pages the entry rests on.
    pub sources: Vec<String>,
    /// Ids of entries to offer next.
    pub related: Vec<String>,
    /// The chat-sized answer.
    pub answer: String,
    /// The longer part, shown on "tell me more"; empty when there is none.
    pub more: String,
    /// The file the entry came from.
    pub file: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    label: Option<String>,
    #[serde(default)]
    subject: String,
    questions: Vec<String>,
    check: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    sources: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
}

const FENCE: &str = "+++";
const MORE: &str = "## More";

impl Entry {
    /// Parses an entry; errors name `file` and the line.
    pub fn parse(file: &str, text: &str) -> Result<Entry, Error> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.split_inclusive('\n');
        if lines.next().map(str::trim_end) != Some(FENCE) {
            return Err(Error::invalid(
                file,
                1,
                "an entry must start with a line '+++'",
            ));
        }
        let start = text.find('\n').map_or(text.len(), |n| n + 1);
        let close = text[start..]
            .split_inclusive('\n')
            .scan(start, |offset, line| {
                let at = *offset;
                *offset += line.len();
                Some((at, line))
            })
            .find(|(_, line)| line.trim_end() == FENCE)
            .map(|(at, _)| at)
            .ok_or_else(|| Error::invalid(file, 1, "the settings block has no closing '+++'"))?;
        let front = &text[start..close];
        let front: FrontMatter = toml::from_str(front).map_err(|e| {
            let line = e.span().map_or(0, |s| matcher::line_of(front, s.start));
            Error::invalid(file, line + 1, crate::toml_message(&e))
        })?;
        let body_start = close
            + text[close..]
                .find('\n')
                .map_or(text.len() - close, |n| n + 1);
        let body = &text[body_start..];
        let (answer, more) = split_more(body);
        let entry = Entry {
            label: front.label.clone().unwrap_or_else(|| front.title.clone()),
            id: front.id,
            title: front.title,
            subject: front.subject,
            questions: front.questions,
            check: front.check,
            keywords: front.keywords,
            tags: front.tags,
            sources: front.sources,
            related: front.related,
            answer: answer.trim().to_owned(),
            more: more.trim().to_owned(),
            file: file.to_owned(),
        };
        entry.check(text)?;
        Ok(entry)
    }

    /// What a follow-up's "it" or "that" refers to.
    pub fn subject(&self) -> &str {
        if self.subject.is_empty() {
            &self.title
        } else {
            &self.subject
        }
    }

    fn check(&self, text: &str) -> Result<(), Error> {
        let line_of = |needle: &str| text.find(needle).map_or(1, |at| matcher::line_of(text, at));
        let fail = |setting: &str, message: String| {
            Err(Error::invalid(&self.file, line_of(setting), message))
        };
        let valid_id = !self.id.is_empty()
            && self.id.contains('.')
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c));
        if !valid_id {
            return fail(
                "id",
                format!("id '{}' must look like 'folder.name' in lowercase", self.id),
            );
        }
        if self.title.trim().is_empty() {
            return fail("title", "the title is empty".to_owned());
        }
        if self.label.chars().count() > MAX_LABEL {
            let message = format!("the label is longer than {MAX_LABEL} characters");
            return fail(
                if text.contains("label") {
                    "label"
                } else {
                    "title"
                },
                message,
            );
        }
        if self.questions.len() < MIN_QUESTIONS {
            let message = format!(
                "give at least {MIN_QUESTIONS} questions, not {}",
                self.questions.len()
            );
            return fail("questions", message);
        }
        if self.check.is_empty() {
            return fail("check", "give at least one check question".to_owned());
        }
        if self.sources.is_empty() {
            return fail("sources", "give at least one source link".to_owned());
        }
        for source in &self.sources {
            check_source(&self.file, line_of(source), source)?;
        }
        if self.answer.is_empty() {
            let lines = text.lines().count();
            return Err(Error::invalid(
                &self.file,
                lines,
                "the answer after the settings is empty",
            ));
        }
        Ok(())
    }
}

/// Splits the body at a line `## More` into the answer and the longer part.
fn split_more(body: &str) -> (&str, &str) {
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        if line.trim_end().eq_ignore_ascii_case(MORE) {
            return (&body[..offset], &body[offset + line.len()..]);
        }
        offset += line.len();
    }
    (body, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "+++
id = \"apply.nhs-jobs\"
title = \"Finding NHS vacancies\"
questions = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]
check = [\"g\"]
sources = [\"https://www.jobs.nhs.uk\"]
+++
Use **NHS Jobs**.

## More
Trust sites too.
";

    fn check_error(text: &str, expect: &str) {
        let err = Entry::parse("knowledge/x.md", text).expect_err("must fail");
        assert_eq!(err.to_string(), expect);
    }

    #[test]
    fn parses_a_valid_entry() {
        let entry = Entry::parse("knowledge/apply/nhs-jobs.md", VALID).expect("valid");
        assert_eq!(entry.id, "apply.nhs-jobs");
        assert_eq!(entry.label, "Finding NHS vacancies");
        assert_eq!(entry.subject(), "Finding NHS vacancies");
        assert_eq!(entry.answer, "Use **NHS Jobs**.");
        assert_eq!(entry.more, "Trust sites too.");
        let crlf = VALID.replace('\n', "\r\n");
        let entry = Entry::parse("x.md", &crlf).expect("CRLF line endings");
        assert_eq!(entry.more, "Trust sites too.");
    }

    #[test]
    fn malformed_entries_name_file_and_line() {
        check_error(
            "no fence",
            "knowledge/x.md:1: an entry must start with a line '+++'",
        );
        check_error(
            "+++\nid = \"a.b\"\n",
            "knowledge/x.md:1: the settings block has no closing '+++'",
        );
        check_error(
            &VALID.replace("title = \"Finding NHS vacancies\"\n", ""),
            "knowledge/x.md:2: missing field `title`",
        );
        check_error(
            &VALID.replace("check = [\"g\"]", "check = [\"g\"\nnonsense"),
            "knowledge/x.md:6: invalid array: expected `]`",
        );
        check_error(
            &VALID.replace("\"f\"]", "]"),
            "knowledge/x.md:4: give at least 6 questions, not 5",
        );
        check_error(
            &VALID.replace("https://www.jobs.nhs.uk", "www.jobs.nhs.uk"),
            "knowledge/x.md:6: source 'www.jobs.nhs.uk' is not an https:// link",
        );
        check_error(
            &VALID.replace("apply.nhs-jobs", "Apply Jobs"),
            "knowledge/x.md:2: id 'Apply Jobs' must look like 'folder.name' in lowercase",
        );
        check_error(
            &VALID.replace(
                "+++\nUse **NHS Jobs**.\n\n## More\nTrust sites too.\n",
                "+++\n\n",
            ),
            "knowledge/x.md:8: the answer after the settings is empty",
        );
        check_error(
            &VALID.replace("sources", "wrong = 1\nsources"),
            "knowledge/x.md:6: unknown field `wrong`, expected one of `id`, `title`, `label`, `subject`, `questions`, `check`, `keywords`, `tags`, `sources`, `related`",
        );
    }
}
