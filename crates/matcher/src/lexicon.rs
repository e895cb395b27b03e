//! The lexicon: contractions, spelling variants, abbreviations and synonyms, read from data.

use std::collections::BTreeMap;
use std::ops::Range;

use rustc_hash::FxHashMap as HashMap;

use serde::Deserialize;

use crate::{Error, normalize::words};

/// Word lists that tell the analyzer which words mean the same thing.
#[derive(Debug, Default, Clone)]
pub struct Lexicon {
    /// One written word to the words it stands for ("what's" -> "what is", "u" -> "you").
    pub(crate) rewrites: HashMap<String, Vec<String>>,
    /// A written word that is a contraction only before some words ("id be" is "i would be",
    /// "id" alone an ID): the words it stands for, and the words after which it does.
    pub(crate) rewrites_before: HashMap<String, (Vec<String>, std::collections::HashSet<String>)>,
    /// A phrase (as words) to what it means; the original is kept beside it when it is known.
    pub(crate) expansions: HashMap<Vec<String>, Vec<String>>,
    /// The longest phrase among the expansion keys, in words.
    pub(crate) longest_key: usize,
    /// Phrases that refer back to the topic under discussion ("it", "that job").
    pub(crate) references: Vec<Vec<String>>,
    /// Phrases in which a reference refers to nothing ("what is it like working in…").
    pub(crate) not_references: Vec<Vec<String>>,
    /// Words that carry little meaning ("the", "which").
    pub(crate) stop_words: std::collections::HashSet<String>,
    /// Words that carry some meaning but rarely say what a question is about ("offer", "job").
    pub(crate) weak_words: std::collections::HashSet<String>,
    /// Words that start a question ("what", "can").
    pub(crate) question_words: std::collections::HashSet<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LexiconFile {
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    not_references: Vec<String>,
    #[serde(default)]
    stop_words: Vec<String>,
    #[serde(default)]
    weak_words: Vec<String>,
    #[serde(default)]
    question_words: Vec<String>,
    #[serde(default)]
    contractions: BTreeMap<String, String>,
    #[serde(default)]
    contractions_before: BTreeMap<String, ContractionBefore>,
    #[serde(default)]
    spelling: BTreeMap<String, String>,
    #[serde(default)]
    abbreviations: BTreeMap<String, String>,
    #[serde(default)]
    synonyms: BTreeMap<String, String>,
}

/// A contraction typed without its apostrophe that is also a word ("id", "ill"): what it
/// stands for, and the words before which it does.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContractionBefore {
    to: String,
    before: Vec<String>,
}

/// The question words that open a question or, inside a clause, a clause of their own.
pub const WH: [&str; 7] = ["what", "how", "where", "which", "who", "why", "when"];

/// Words that open a clause and say nothing of what it asks ("and does that go up…", "so for
/// the lab jobs whats this STP thing"): a question opens after them as it would without them.
const OPENERS: [&str; 8] = ["and", "so", "but", "or", "ok", "okay", "right", "then"];
/// Words that stand as the subject of a clause.
const SUBJECTS: [&str; 8] = ["i", "you", "we", "they", "it", "there", "he", "she"];

impl Lexicon {
    /// Reads a lexicon from its TOML text; `file` names it in error messages.
    pub fn parse(text: &str, file: &str) -> Result<Lexicon, Error> {
        let parsed: LexiconFile = toml::from_str(text).map_err(|e| Error::Lexicon {
            file: file.to_owned(),
            line: e.span().map_or(1, |s| crate::line_of(text, s.start)),
            message: e.message().to_owned(),
        })?;
        let mut lexicon = Lexicon {
            references: parsed
                .references
                .iter()
                .map(|r| words(r))
                .filter(|r| !r.is_empty())
                .collect(),
            not_references: parsed
                .not_references
                .iter()
                .map(|r| words(r))
                .filter(|r| !r.is_empty())
                .collect(),
            stop_words: parsed.stop_words.iter().flat_map(|r| words(r)).collect(),
            weak_words: parsed.weak_words.iter().flat_map(|r| words(r)).collect(),
            question_words: parsed
                .question_words
                .iter()
                .flat_map(|r| words(r))
                .collect(),
            ..Lexicon::default()
        };
        for (from, to) in parsed.contractions.iter().chain(&parsed.spelling) {
            let key = words(from);
            if key.len() != 1 {
                return Err(entry_error(text, file, from, "must be a single word"));
            }
            lexicon.rewrites.insert(key[0].clone(), words(to));
        }
        for (from, contraction) in &parsed.contractions_before {
            let key = words(from);
            if key.len() != 1 {
                return Err(entry_error(text, file, from, "must be a single word"));
            }
            let before = contraction.before.iter().flat_map(|w| words(w)).collect();
            (lexicon.rewrites_before).insert(key[0].clone(), (words(&contraction.to), before));
        }
        for (from, to) in parsed.abbreviations.iter().chain(&parsed.synonyms) {
            let key = words(from);
            let value = words(to);
            if key.is_empty() || value.is_empty() {
                return Err(entry_error(text, file, from, "needs words on both sides"));
            }
            lexicon.longest_key = lexicon.longest_key.max(key.len());
            lexicon.expansions.insert(key, value);
        }
        Ok(lexicon)
    }

    /// Each phrase the lexicon expands (as words) with what it means: "dr" with "doctor".
    pub fn expansions(&self) -> impl Iterator<Item = (&[String], &[String])> {
        (self.expansions.iter()).map(|(phrase, meaning)| (phrase.as_slice(), meaning.as_slice()))
    }

    /// Every word the lexicon itself contains, for the vocabulary of known words.
    pub fn known_words(&self) -> impl Iterator<Item = &str> {
        let rewrites = self.rewrites.values().flatten();
        let expansions = self.expansions.values().flatten();
        rewrites.chain(expansions).map(String::as_str)
    }

    /// The words of the lexicon's lists (stop words, weak words, question words, references):
    /// ordinary words that are never taken for typos.
    pub fn listed_words(&self) -> impl Iterator<Item = &str> {
        let lists = self
            .stop_words
            .iter()
            .chain(&self.weak_words)
            .chain(&self.question_words);
        lists
            .chain(self.references.iter().flatten())
            .map(String::as_str)
    }

    /// True when `word` carries little meaning of its own.
    pub fn is_stop_word(&self, word: &str) -> bool {
        self.stop_words.contains(word)
    }

    /// True when `word` says little about what a question is about.
    pub fn is_weak_word(&self, word: &str) -> bool {
        self.weak_words.contains(word) || word.chars().all(|c| c.is_ascii_digit())
    }

    /// True when a message (its raw text and normalised words) asks a question: it has a "?",
    /// starts with a question word, or has one followed by a pronoun ("…, can I work in a lab").
    pub fn is_question(&self, text: &str, words: &[String]) -> bool {
        self.question(text, words, true)
    }

    /// True when a message asks openly: as `is_question`, but a question word before a
    /// subject inside it opens a clause of its own, not a question ("been dizzy when i stand
    /// up", "what i want is"), as an auxiliary before one does not ("ok so can i apply").
    pub fn asks_openly(&self, text: &str, words: &[String]) -> bool {
        self.question(text, words, false)
    }

    /// True when `words` open with a question word before a subject, which opens a clause
    /// of its own as often as a question ("when i got the job", "what i want is").
    pub fn opens_clause(&self, words: &[String]) -> bool {
        matches!(words, [wh, subject, ..]
            if WH.contains(&wh.as_str()) && SUBJECTS.contains(&subject.as_str()))
    }

    fn question(&self, text: &str, words: &[String], wh_inside: bool) -> bool {
        let asks = |w: &String| self.question_words.contains(w);
        // "am" asks only with "I" after it: "am a porter in glasgow" drops the "I" of a
        // statement.
        // "did", "have", "has" and "had" before an article tell what the writer did or has,
        // with the "I" dropped: "did a computing HND", "have a degree in biology"; so do "was"
        // and "were" before an article or a place ("was a combat medic", "was in the army"), or
        // before what the writer was doing ("was revising for my interview and…").
        // "would love to", "would like to" wish rather than ask, without a question mark.
        // "can not", "do not" tell what the writer cannot do or does not, with the "I"
        // dropped ("cant sleep, lying awake till 4am"), unless a subject follows ("dont you
        // need a degree").
        // After an opening "and", "so", "ok" ("and does that go up the longer youve been
        // there"), the question opens as it would without it.
        let opening = (words.iter())
            .take_while(|w| OPENERS.contains(&w.as_str()))
            .count();
        let words_open = &words[opening.min(words.len().saturating_sub(1))..];
        let first_two = (
            words_open.first().map(String::as_str),
            words_open.get(1).map(String::as_str),
        );
        let denies = first_two.1 == Some("not")
            && !words_open
                .get(2)
                .is_some_and(|w| SUBJECTS.contains(&w.as_str()));
        let told = denies
            || matches!(
                first_two,
                (Some("did" | "have" | "has" | "had"), Some("a" | "an"))
                    | (Some("would"), Some("love" | "like"))
                    | (
                        Some("was" | "were"),
                        Some("a" | "an" | "in" | "on" | "at" | "born" | "made")
                    )
            )
            || matches!(first_two, (Some("was" | "were"), Some(doing)) if is_doing(doing));
        let opens = words_open.first().is_some_and(asks)
            && !told
            && (words_open[0] != "am" || words_open.get(1).is_some_and(|w| w == "i"));
        // "… but what is the difference": a question word after a conjunction.
        let after_conjunction = words.windows(2).any(|p| {
            matches!(p[0].as_str(), "but" | "so" | "and" | "then") && WH.contains(&p[1].as_str())
        });
        // "so for the lab jobs whats this STP thing": a question word after a subject put
        // first.
        let after_subject = {
            let start = opening;
            matches!(
                words.get(start).map(String::as_str),
                Some("for" | "about" | "regarding" | "re")
            ) && (words.iter().skip(start + 2)).any(|w| WH.contains(&w.as_str()))
        };
        // "ambulance jobs in wales, anyone know if they're hiring": asked of anyone reading.
        let asks_anyone = words.windows(2).any(|p| {
            matches!(p[0].as_str(), "anyone" | "anybody" | "someone" | "somebody")
                && matches!(p[1].as_str(), "know" | "knows")
        });
        text.contains('?')
            || opens
            || after_conjunction
            || after_subject
            || asks_anyone
            || words.windows(2).any(|p| {
                asks(&p[0])
                    && SUBJECTS.contains(&p[1].as_str())
                    && (wh_inside || !WH.contains(&p[0].as_str()))
            })
    }

    /// True when the normalised `words` refer back to the topic under discussion.
    pub fn refers_back(&self, words: &[String]) -> bool {
        self.reference_at(words).is_some()
    }

    /// Where the normalised `words` first refer back to something said before ("how long
    /// does that take" at "that"), if they do.
    pub fn reference_at(&self, words: &[String]) -> Option<usize> {
        // "What is it like working in ICU?": that "it" refers to nothing.
        let empty: Vec<Range<usize>> = self
            .not_references
            .iter()
            .flat_map(|phrase| runs(words, phrase))
            .collect();
        self.references
            .iter()
            .flat_map(|phrase| runs(words, phrase))
            .filter(|run| {
                !empty
                    .iter()
                    .any(|e| e.start <= run.start && run.end <= e.end)
            })
            .map(|run| run.start)
            .min()
    }
}

/// Where `phrase` occurs in `words`, as runs of positions.
fn runs<'a>(words: &'a [String], phrase: &'a [String]) -> impl Iterator<Item = Range<usize>> + 'a {
    let len = phrase.len();
    (0..=words.len().saturating_sub(len))
        .filter(move |&at| len > 0 && words.get(at..at + len) == Some(phrase))
        .map(move |at| at..at + len)
}

fn entry_error(text: &str, file: &str, key: &str, message: &str) -> Error {
    let line = text
        .find(&format!("\"{key}\""))
        .or_else(|| text.find(key))
        .map_or(1, |offset| crate::line_of(text, offset));
    Error::Lexicon {
        file: file.to_owned(),
        line,
        message: format!("'{key}' {message}"),
    }
}

/// True when `word` tells what someone was doing ("revising", "working"), not a thing named
/// by an "-ing" word ("was nursing the right choice", "was training paid").
fn is_doing(word: &str) -> bool {
    const THINGS: [&str; 10] = [
        "nursing",
        "training",
        "shadowing",
        "funding",
        "housing",
        "parking",
        "everything",
        "anything",
        "something",
        "nothing",
    ];
    word.len() > 4 && word.ends_with("ing") && !THINGS.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_table() {
        let lexicon = Lexicon::parse(
            r#"
references = ["it", "that one"]
not_references = ["what is it like working", "what is it like to"]
[contractions]
"what's" = "what is"
[spelling]
program = "programme"
[abbreviations]
"A&E" = "accident and emergency"
[synonyms]
"day off" = "annual leave"
"#,
            "lexicon.toml",
        )
        .expect("valid lexicon");
        assert_eq!(lexicon.rewrites["what's"], ["what", "is"]);
        assert_eq!(lexicon.rewrites["program"], ["programme"]);
        let ae = vec!["a".to_owned(), "and".to_owned(), "e".to_owned()];
        assert_eq!(lexicon.expansions[&ae], ["accident", "and", "emergency"]);
        assert_eq!(lexicon.longest_key, 3);
        let words = |t: &str| words(t);
        assert!(lexicon.refers_back(&words("is it hard")));
        assert!(lexicon.refers_back(&words("tell me about that one")));
        assert!(!lexicon.refers_back(&words("one more question")));
        assert!(!lexicon.refers_back(&words("what is it like working in icu")));
        assert!(lexicon.refers_back(&words("what is it like")));
        let questions = Lexicon::parse(
            "question_words = [\"what\", \"when\", \"can\", \"am\", \"would\", \"was\", \"did\", \"have\"]",
            "q",
        )
        .expect("valid");
        let is_question = |t: &str| questions.is_question(t, &words(t));
        assert!(is_question("what is CPD"));
        assert!(is_question("nursing?"));
        assert!(is_question("I finished my GCSEs, can I work in a lab"));
        assert!(!is_question("I'm 17 and finished my A levels"));
        assert!(!is_question("I can drive"));
        assert!(is_question("am i too old"));
        assert!(!is_question("am a porter in glasgow"));
        assert!(is_question("heard about secondments but what is the point"));
        assert!(!is_question("did a computing hnd in derry"));
        assert!(!is_question("have a degree in biology"));
        assert!(!is_question("was in the army for 9 years"));
        assert!(!is_question("was a combat medic"));
        assert!(!is_question(
            "was revising for my interview and my neighbour collapsed"
        ));
        assert!(is_question("was nursing the right choice for you"));
        assert!(is_question("was it hard"));
        assert!(!is_question("would love to get into research"));
        assert!(is_question("would i need a degree"));
        assert!(is_question("would love to know, can i apply?"));
        // "can't" is read "can not": a statement with the "I" dropped, unless a subject follows.
        assert!(!is_question("can not sleep lying awake till 4am"));
        assert!(is_question("can not you apply online"));
        // A question word inside a clause, before a subject, asks; openly, only an auxiliary
        // there does.
        let asks_openly = |t: &str| questions.asks_openly(t, &words(t));
        assert!(is_question("been dizzy when i stand up"));
        assert!(!asks_openly("been dizzy when i stand up"));
        assert!(asks_openly("I finished my GCSEs, can I work in a lab"));
        assert!(asks_openly("what is CPD"));
        // A question word after a subject put first asks; a subject put first alone does not.
        assert!(asks_openly("so for the lab jobs what is this stp thing"));
        assert!(!asks_openly("for the lab jobs i have a levels"));
        assert!(asks_openly(
            "ambulance jobs in wales, anyone know if they are hiring"
        ));
        assert!(!asks_openly("anyone would be better off without me"));
    }

    #[test]
    fn reports_file_and_line() {
        let err = Lexicon::parse(
            "[spelling]\ncolor = \"colour\"\n\"two words\" = \"x\"\n",
            "lex",
        )
        .expect_err("multi-word spelling key");
        assert_eq!(err.to_string(), "lex:3: 'two words' must be a single word");
        let err = Lexicon::parse("[spelling]\ncolor = 3\n", "lex").expect_err("not a string");
        assert!(err.to_string().starts_with("lex:2: "), "{err}");
        let err = Lexicon::parse("[nonsense]\n", "lex").expect_err("unknown table");
        assert!(err.to_string().starts_with("lex:1: "), "{err}");
    }
}
