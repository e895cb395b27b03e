//! Word patterns, the small language content uses to say how something is worded: the safety
//! stage's signs (`intents/safety-signs.toml`) and the facts of a role a question asks about
//! (`aspect` in `intents/messages.toml`).
//!
//! A pattern is matched on a text's normalised words and their stems:
//!
//! - `word` or `two words`: those words, where soft words ("really", "so") may sit between
//!   them ("feeling really down");
//!   `a|b|c`: one of them (`no_one` for two words);
//! - `<class>`: one of the phrases of a named class, alone or among options (`<someone>|he`);
//!   `$` among options is the end of the text (`now|$`);
//! - `~word`: any form of the word (`~kill` is kill, kills, killing, killed);
//! - `*`: up to 2 words of anything, `**`: up to 5, `#`: a number, `#10`: a number of 10 or
//!   more ("took like 40 of my tablets", not "took 2 paracetamol");
//! - `!a|b`: one word that is none of these ("what do !i|we * do" is not "what do i do");
//! - `$`: the end of the text or part matched on, after any soft words ("where can i get help
//!   $" is not "where can i get help with my cv");
//! - `^`: the start of the text or part matched on ("^ did_not get any gcses", where a `!you`
//!   before it would need a word to be there).
//!
//! Matching is linear in the words times the pattern's gaps: no backtracking beyond a gap's
//! few positions.

use std::collections::HashMap;
use std::ops::Range;

use rustc_hash::FxHashMap;

/// Up to this many words of anything: `*`.
const SHORT_GAP: usize = 2;
/// Up to this many words of anything: `**`.
const LONG_GAP: usize = 5;
/// Numbers written as words, which `#` matches as it does digits: the lexicon writes small
/// numbers typed as digits as words ("5 years" is read "five years"). Not "one", which is
/// more often no number ("won't make it to one of the open days").
const NUMBER_WORDS: [&str; 19] = [
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
];

/// The values of `NUMBER_WORDS`, in their order.
const NUMBER_VALUES: [u64; 19] = [
    2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 20, 30, 40, 50, 60, 70, 80,
];

/// True for a number, in digits or in words (`NUMBER_WORDS`): what `#` matches.
pub(crate) fn is_number(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_digit()) || NUMBER_WORDS.contains(&word)
}

/// The value of a number in digits or in words; digits too many for a `u64` are `u64::MAX`.
fn number_value(word: &str) -> Option<u64> {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_digit()) {
        return Some(word.parse().unwrap_or(u64::MAX));
    }
    let at = NUMBER_WORDS.iter().position(|w| *w == word)?;
    Some(NUMBER_VALUES[at])
}

/// Up to this many soft words may sit between two words of a pattern.
const MOST_SOFT: usize = 2;

/// One element of a pattern.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// One of these word sequences.
    Words(Vec<Vec<String>>),
    /// One of these word sequences, or the end of the words (`$` among the options).
    WordsOrEnd(Vec<Vec<String>>),
    /// A word with one of these stems (`~word`: any form of it).
    Stems(Vec<String>),
    /// Up to this many words of anything.
    Gap(usize),
    /// A number of at least this much (`#` is `#0`).
    Number(u64),
    /// One word that is none of these.
    Except(Vec<String>),
    /// The end of the words, after any soft words.
    End,
    /// The start of the words.
    Start,
}

/// A pattern, read.
#[derive(Debug, Clone, Default)]
pub(crate) struct WordPattern {
    tokens: Vec<Token>,
    /// Words every match contains, to skip patterns quickly.
    anchors: Vec<String>,
}

/// The words of a text (or a part of one) to match patterns on, their stems, and which are
/// soft: words that may sit inside a pattern's run without breaking it ("really", "so").
pub(crate) struct Words<'a> {
    pub(crate) words: &'a [String],
    pub(crate) stems: Vec<String>,
    pub(crate) soft: Vec<bool>,
}

impl<'a> Words<'a> {
    /// `words` with their stems; `soft` says which words a pattern's run may skip.
    pub(crate) fn new(
        words: &'a [String],
        stem: impl Fn(&str) -> String,
        soft: impl Fn(&str) -> bool,
    ) -> Words<'a> {
        Words {
            words,
            stems: words.iter().map(|w| stem(w)).collect(),
            soft: words.iter().map(|w| soft(w)).collect(),
        }
    }

    /// Where the next word of a run may be, from `at`: there, or after up to `MOST_SOFT` soft
    /// words.
    fn next_at(&self, at: usize) -> impl Iterator<Item = usize> + '_ {
        let soft_run = self.soft[at.min(self.soft.len())..]
            .iter()
            .take(MOST_SOFT)
            .take_while(|s| **s)
            .count();
        (0..=soft_run).map(move |skip| at + skip)
    }

    /// Whether the phrase's words are here, with soft words between them; where the match
    /// ends.
    fn phrase_at(&self, phrase: &[String], at: usize) -> Option<usize> {
        let mut at = at;
        for (index, word) in phrase.iter().enumerate() {
            let fits = |i: usize| self.words.get(i) == Some(word);
            at = if index == 0 {
                fits(at).then_some(at)?
            } else {
                self.next_at(at).find(|&i| fits(i))?
            };
            at += 1;
        }
        Some(at)
    }
}

impl WordPattern {
    /// Reads a pattern. `classes` are the named classes `<name>` may use, as normalised
    /// phrases; `normal` normalises a word as the analyzer does and `stem` stems one. The error
    /// says what is wrong with the pattern.
    pub(crate) fn parse(
        written: &str,
        classes: &HashMap<&str, Vec<Vec<String>>>,
        normal: &impl Fn(&str) -> Vec<String>,
        stem: &impl Fn(&str) -> String,
    ) -> Result<WordPattern, String> {
        let tokens = written
            .split_whitespace()
            .map(|part| token(written, part, classes, normal, stem))
            .collect::<Result<Vec<Token>, String>>()?;
        if !tokens
            .iter()
            .any(|t| matches!(t, Token::Words(_) | Token::Stems(_)))
        {
            return Err(format!("pattern '{written}' has no words"));
        }
        let anchors = tokens
            .iter()
            .filter_map(|t| match t {
                Token::Words(options) if options.len() == 1 => Some(options[0].clone()),
                _ => None,
            })
            .flatten()
            .collect();
        Ok(WordPattern { tokens, anchors })
    }

    /// True when some element of the pattern has `word` among its words ("lying ** not
    /// moving" says "not" itself).
    pub(crate) fn says(&self, word: &str) -> bool {
        self.tokens.iter().any(|t| match t {
            Token::Words(options) | Token::WordsOrEnd(options) => {
                options.iter().flatten().any(|w| w == word)
            }
            _ => false,
        })
    }

    /// Every word the pattern's elements name, besides stems and the words it excludes.
    pub(crate) fn words(&self) -> impl Iterator<Item = &str> {
        self.tokens
            .iter()
            .filter_map(|t| match t {
                Token::Words(options) | Token::WordsOrEnd(options) => {
                    Some(options.iter().flatten())
                }
                _ => None,
            })
            .flatten()
            .map(String::as_str)
    }

    /// Words every match contains: a text without one of them cannot match.
    pub(crate) fn anchors(&self) -> impl Iterator<Item = &str> {
        self.anchors.iter().map(String::as_str)
    }

    /// The keys one of which every match contains: the words (or stems) of the pattern's most
    /// selective element. A text with none of them cannot match.
    fn gate(&self) -> Vec<Key<'_>> {
        fn keys(token: &Token) -> Option<Vec<Key<'_>>> {
            match token {
                Token::Words(options) => options
                    .iter()
                    .map(|option| option.first().map(|w| Key::Word(w.as_str())))
                    .collect(),
                Token::Stems(options) => Some(options.iter().map(|s| Key::Stem(s)).collect()),
                _ => None,
            }
        }
        self.tokens
            .iter()
            .filter_map(keys)
            .min_by_key(Vec::len)
            .unwrap_or_default()
    }

    /// The first span of `text` the pattern matches.
    pub(crate) fn find(&self, text: &Words) -> Option<Range<usize>> {
        if self.tokens.is_empty() {
            return None;
        }
        (0..text.words.len())
            .find_map(|start| match_at(&self.tokens, text, start, true).map(|end| start..end))
    }
}

/// Reads one element of the pattern `written`.
fn token(
    written: &str,
    part: &str,
    classes: &HashMap<&str, Vec<Vec<String>>>,
    normal: &impl Fn(&str) -> Vec<String>,
    stem: &impl Fn(&str) -> String,
) -> Result<Token, String> {
    Ok(match part {
        "*" => Token::Gap(SHORT_GAP),
        "**" => Token::Gap(LONG_GAP),
        "#" => Token::Number(0),
        least if least.starts_with('#') => match least[1..].parse() {
            Ok(least) => Token::Number(least),
            Err(_) => return Err(format!("pattern '{written}': '{least}' is no number")),
        },
        "$" => Token::End,
        "^" => Token::Start,
        except if except.starts_with('!') => {
            no_class(written, except)?;
            let options: Vec<String> = except[1..].split('|').flat_map(normal).collect();
            if options.is_empty() {
                return Err(format!("pattern '{written}': '{except}' has no words"));
            }
            Token::Except(options)
        }
        stems if stems.starts_with('~') => {
            no_class(written, stems)?;
            // Every option is stemmed as one word: a phrase ("looked_up") would match its
            // words one by one ("up" alone).
            if stems.contains('_') {
                return Err(format!(
                    "pattern '{written}': '{stems}' has a phrase; a '~' takes words only"
                ));
            }
            let options: Vec<String> = stems[1..]
                .split('|')
                .flat_map(normal)
                .map(|w| stem(&w))
                .collect();
            if options.is_empty() {
                return Err(format!("pattern '{written}': '{stems}' has no words"));
            }
            Token::Stems(options)
        }
        words => {
            // A class among the options stands for its phrases ("<someone>|he"), not for a
            // word "someone".
            let mut options: Vec<Vec<String>> = Vec::new();
            for option in words.split('|').filter(|&w| w != "$") {
                if let Some(name) = option.strip_prefix('<').and_then(|o| o.strip_suffix('>')) {
                    let members = classes
                        .get(name)
                        .ok_or_else(|| format!("pattern '{written}': no class <{name}>"))?;
                    options.extend(members.iter().cloned());
                } else {
                    options.push(normal(&option.replace('_', " ")));
                }
            }
            options.retain(|w| !w.is_empty());
            if options.is_empty() {
                return Err(format!("pattern '{written}': '{words}' has no words"));
            }
            if words.split('|').any(|w| w == "$") {
                Token::WordsOrEnd(options)
            } else {
                Token::Words(options)
            }
        }
    })
}

/// An error for a `!` or `~` token with a class among its options: those take words only, and a
/// class there would be read as the word of its name.
fn no_class(written: &str, part: &str) -> Result<(), String> {
    if part.contains('<') {
        return Err(format!(
            "pattern '{written}': '{part}' has a class; '!' and '~' take words only"
        ));
    }
    Ok(())
}

/// A word or a stem a pattern needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    Word(&'a str),
    Stem(&'a str),
}

/// Patterns filed under the keys of their gate, so that a text is tried only against the few
/// patterns it could match (in their order), not against them all.
#[derive(Debug, Default)]
pub(crate) struct PatternIndex {
    by_word: FxHashMap<String, Vec<u32>>,
    by_stem: FxHashMap<String, Vec<u32>>,
    /// Patterns with no gate (none can be parsed today): tried on every text, never lost.
    ungated: Vec<u32>,
}

impl PatternIndex {
    /// Files each pattern under its gate's keys; a pattern's number is its position.
    pub(crate) fn new<'p>(patterns: impl IntoIterator<Item = &'p WordPattern>) -> PatternIndex {
        let mut index = PatternIndex::default();
        for (number, pattern) in patterns.into_iter().enumerate() {
            let number = u32::try_from(number).unwrap_or(u32::MAX);
            let gate = pattern.gate();
            if gate.is_empty() {
                index.ungated.push(number);
            }
            for key in gate {
                let (map, key) = match key {
                    Key::Word(word) => (&mut index.by_word, word),
                    Key::Stem(stem) => (&mut index.by_stem, stem),
                };
                let filed = map.entry(key.to_owned()).or_default();
                if filed.last() != Some(&number) {
                    filed.push(number);
                }
            }
        }
        index
    }

    /// The numbers of the patterns that could match `text`, in order.
    pub(crate) fn candidates(&self, text: &Words) -> Vec<usize> {
        let words = text.words.iter().filter_map(|w| self.by_word.get(w));
        let stems = text.stems.iter().filter_map(|s| self.by_stem.get(s));
        let filed = words.chain(stems).flatten().chain(&self.ungated);
        let mut found: Vec<usize> = filed.map(|&n| n as usize).collect();
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// Where a match of `tokens` starting at `at` ends, if there is one. Soft words may come
/// before a token that is not the `first`.
fn match_at(tokens: &[Token], text: &Words, at: usize, first: bool) -> Option<usize> {
    let words = text.words;
    let Some((token, rest)) = tokens.split_first() else {
        return Some(at);
    };
    let starts = || {
        let soft = if first { at..=at } else { at..=at + MOST_SOFT };
        text.next_at(at).filter(move |i| soft.contains(i))
    };
    match token {
        Token::Gap(most) => (0..=*most)
            .filter(|skip| at + skip <= words.len())
            .find_map(|skip| match_at(rest, text, at + skip, false)),
        Token::End => text
            .next_at(at)
            .any(|i| i == words.len())
            .then(|| match_at(rest, text, at, false))
            .flatten(),
        Token::Start => (at == 0).then(|| match_at(rest, text, at, first)).flatten(),
        Token::Number(least) => words
            .get(at)
            .filter(|w| number_value(w).is_some_and(|value| value >= *least))
            .and_then(|_| match_at(rest, text, at + 1, false)),
        Token::Except(options) => words
            .get(at)
            .filter(|w| !options.contains(w))
            .and_then(|_| match_at(rest, text, at + 1, false)),
        Token::Stems(options) => starts().find_map(|at| {
            text.stems
                .get(at)
                .filter(|stem| options.contains(stem))
                .and_then(|_| match_at(rest, text, at + 1, false))
        }),
        Token::Words(options) => starts().find_map(|at| {
            options
                .iter()
                .filter_map(|option| text.phrase_at(option, at))
                .find_map(|end| match_at(rest, text, end, false))
        }),
        Token::WordsOrEnd(options) => starts()
            .find_map(|at| {
                options
                    .iter()
                    .filter_map(|option| text.phrase_at(option, at))
                    .find_map(|end| match_at(rest, text, end, false))
            })
            .or_else(|| {
                match_at(&[Token::End], text, at, false).and(match_at(rest, text, at, false))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_lowercase).collect()
    }

    fn stem(word: &str) -> String {
        word.trim_end_matches('s').to_owned()
    }

    fn check(pattern: &str, text: &str, expect: Option<Range<usize>>) {
        let classes = HashMap::from([("who", vec![normal("he"), normal("my dad")])]);
        let pattern = WordPattern::parse(pattern, &classes, &normal, &stem).expect("a pattern");
        let words = normal(text);
        let found = pattern.find(&Words::new(&words, stem, |w| ["really", "so"].contains(&w)));
        assert_eq!(found, expect, "{text}");
    }

    #[test]
    fn words_alternatives_classes_stems_gaps_and_numbers() {
        check("need a degree", "do i need a degree", Some(2..5));
        check(
            "need * degree",
            "do paramedics need a uni degree",
            Some(2..6),
        );
        check("need * degree", "need a proper uni degree", None);
        check(
            "what do|does ** do",
            "what do art therapists do",
            Some(0..5),
        );
        check("<who> collapsed", "my dad collapsed", Some(0..3));
        // A class among other options stands for its phrases.
        check("<who>|she collapsed", "my dad collapsed", Some(0..3));
        check("<who>|she collapsed", "she collapsed", Some(0..2));
        check("<who>|she collapsed", "who collapsed", None);
        // The start of the text.
        check("^ did not", "did not get any", Some(0..2));
        check("^ did not", "tbh did not get any", None);
        check("~regulate", "who regulates paramedics", Some(1..2));
        check("for # years", "for 6 years", Some(0..3));
        // "$" among the options: one of the words, or the end
        check("going to jump now|$", "he is going to jump", Some(2..5));
        check(
            "going to jump now|$",
            "going to jump now please",
            Some(0..4),
        );
        check("going to jump now|$", "going to jump off the wall", None);
        check("for # years", "for six years", Some(0..3));
        check("for # years", "for many years", None);
        check("make it to #", "make it to one of the open days", None);
        // A number of at least so much, in digits or words.
        check(
            "took * #10 ** tablets",
            "took like 40 of my tablets",
            Some(0..6),
        );
        check("took * #10 ** tablets", "took forty tablets", Some(0..3));
        check("took * #10 ** tablets", "took 2 of my tablets", None);
        check(
            "took * #10 ** tablets",
            "took 99999999999999999999999 tablets",
            Some(0..3),
        );
        check("no_one|nobody cares", "no one cares", Some(0..3));
        check(
            "what do !i|we * do",
            "what do physios actually do",
            Some(0..5),
        );
        check("what do !i|we * do", "what do i do", None);
        // The end, after soft words only.
        check("get help $", "where can i get help", Some(3..5));
        check("get help $", "where can i get help really", Some(3..5));
        check("get help $", "get help with my cv", None);
        // Soft words inside a run, never before it.
        check("feeling down", "feeling really so down", Some(0..4));
        check("feeling down", "really feeling down", Some(1..3));
        check("feeling down", "feeling really very down", None);
    }

    proptest::proptest! {
        /// The index never loses a match: a text's candidates hold every pattern that matches it.
        #[test]
        fn the_index_keeps_every_pattern_that_matches(
            text in proptest::collection::vec(
                proptest::sample::select(vec!["he", "my", "dad", "so", "collapsed", "need",
                    "a", "degree", "regulates", "for", "6", "years", "no", "one", "cares"]),
                0..12,
            )
        ) {
            let classes = HashMap::from([("who", vec![normal("he"), normal("my dad")])]);
            let written = ["<who> collapsed", "need * degree", "~regulate", "for # years",
                "no_one|nobody cares", "what do !i|we * do", "a", "so ** a"];
            let patterns: Vec<WordPattern> = written
                .iter()
                .map(|w| WordPattern::parse(w, &classes, &normal, &stem).expect("a pattern"))
                .collect();
            let index = PatternIndex::new(&patterns);
            let words: Vec<String> = text.iter().map(|w| (*w).to_owned()).collect();
            let text = Words::new(&words, stem, |w| w == "so");
            let candidates = index.candidates(&text);
            for (number, pattern) in patterns.iter().enumerate() {
                if pattern.find(&text).is_some() {
                    proptest::prop_assert!(candidates.contains(&number), "{}", written[number]);
                }
            }
        }
    }

    #[test]
    fn a_pattern_needs_words_and_known_classes() {
        let classes = HashMap::new();
        for bad in [
            "*",
            "* #",
            "<nobody> here",
            "<nobody>|he here",
            "!<who> here",
            "~<who> here",
            "~ here",
            "! here",
            "took #a pills",
        ] {
            assert!(
                WordPattern::parse(bad, &classes, &normal, &stem).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_words_a_pattern_names_leave_out_stems_and_excluded_words() {
        let classes = HashMap::new();
        let pattern =
            WordPattern::parse("how long|many ~year !not * take", &classes, &normal, &stem)
                .expect("a pattern");
        let mut words: Vec<&str> = pattern.words().collect();
        words.sort_unstable();
        assert_eq!(words, ["how", "long", "many", "take"]);
    }
}
