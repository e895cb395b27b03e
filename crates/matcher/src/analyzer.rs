//! The analyzer: from raw text to normalised words and weighted, stemmed slots.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use frostem::{Algorithm, Stemmer};

use crate::{
    Lexicon,
    normalize::{information_technology, words},
    typos::{Vocabulary, count},
};

/// At most this many words of a message are read; the rest is ignored.
pub const MAX_WORDS: usize = 120;

/// How much a word counts when it was typed as it is, corrected from a typo, or added because
/// the lexicon says it means the same as what was typed.
const TYPED: f32 = 1.0;
const CORRECTED: f32 = 0.85;
const EXPANDED: f32 = 0.9;
/// How much a stop word ("the", "which") counts, whatever its frequency.
const STOP_WORD: f32 = 0.25;
/// How much a weak word ("offer", "job", a number) counts.
const WEAK_WORD: f32 = 0.5;

/// Turns text into words and slots, knowing the vocabulary of the bot's content.
pub struct Analyzer {
    lexicon: Lexicon,
    vocabulary: Vocabulary,
    /// Words that occur in the content itself (not only in the lexicon).
    content_words: HashSet<String>,
    /// Words never taken for typos, though nothing is matched against them (place names).
    protected: HashSet<String>,
    stemmer: Stemmer,
    /// The stem of every word of the vocabulary, worked out once: the same words are stemmed
    /// many times over, in the content and in every message.
    stems: HashMap<String, String>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("content_words", &self.content_words.len())
            .finish_non_exhaustive()
    }
}

/// A message after analysis.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    /// The normalised words: contractions and spellings rewritten, typos corrected, before any
    /// synonyms were added. Use these to look for phrases.
    pub words: Vec<String>,
    /// What to match: one slot per meaningful word, synonyms and expansions included.
    pub slots: Vec<Slot>,
    /// Typos that were corrected, as (typed, corrected).
    pub corrections: Vec<(String, String)>,
}

/// Words read from a user's text: normalised, typos corrected.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Words {
    /// The normalised words.
    pub words: Vec<String>,
    /// How much each word counts: 1 as typed, less when corrected from a typo.
    pub factors: Vec<f32>,
    /// Typos that were corrected, as (typed, corrected).
    pub corrections: Vec<(String, String)>,
}

/// One word to match, stemmed, with how much it counts (1 for a word typed as it is).
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// The stem of the word.
    pub stem: String,
    /// Less than 1 when the word was guessed from a typo or added as a synonym.
    pub factor: f32,
}

impl Analysis {
    /// True when the message contains the phrase (given as normalised words) as a run of words.
    pub fn has_phrase(&self, phrase: &[String]) -> bool {
        !phrase.is_empty() && self.words.windows(phrase.len()).any(|w| w == phrase)
    }
}

impl Analyzer {
    /// Builds an analyzer whose vocabulary is every word of `content` (all the texts the bot
    /// can match against) plus the words of the lexicon.
    pub fn new<'a>(lexicon: Lexicon, content: impl IntoIterator<Item = &'a str>) -> Analyzer {
        // Counted as they are read: the content has hundreds of thousands of occurrences.
        let mut counts = HashMap::default();
        for text in content {
            for word in rewrite(&lexicon, words(text)) {
                count(&mut counts, &word);
            }
        }
        let content_words: HashSet<String> = counts.keys().cloned().collect();
        let keys = lexicon.expansions.keys().flatten().map(String::as_str);
        for word in lexicon
            .known_words()
            .chain(keys)
            .chain(lexicon.listed_words())
        {
            count(&mut counts, word);
        }
        let vocabulary = Vocabulary::from_counts(counts);
        let stemmer = Stemmer::new(Algorithm::English);
        let stems = vocabulary
            .words()
            .map(|w| (w.to_owned(), stemmer.stem(w).into_owned()))
            .collect();
        Analyzer {
            lexicon,
            vocabulary,
            content_words,
            protected: HashSet::default(),
            stemmer,
            stems,
        }
    }

    /// Words a user may type that must never be taken for a typo of another word, though
    /// nothing is matched against them (place names: "leeds" is not "needs").
    pub fn protect<'a>(&mut self, words: impl IntoIterator<Item = &'a str>) {
        self.protected.extend(words.into_iter().map(str::to_owned));
    }

    /// The lexicon this analyzer uses.
    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// Analyses a user's message: typos are corrected against the vocabulary.
    pub fn analyze(&self, text: &str) -> Analysis {
        self.run(text, true)
    }

    /// Analyses the bot's own content: nothing is taken for a typo.
    pub fn analyze_content(&self, text: &str) -> Analysis {
        self.run(text, false)
    }

    /// The stem of one normalised word.
    pub fn stem(&self, word: &str) -> String {
        match self.stems.get(word) {
            Some(stem) => stem.clone(),
            None => self.stemmer.stem(word).into_owned(),
        }
    }

    /// Normalises text to words with the lexicon's rewrites applied, without typo correction.
    pub fn normal_words(&self, text: &str) -> Vec<String> {
        rewrite(&self.lexicon, words(text))
    }

    fn run(&self, text: &str, correct_typos: bool) -> Analysis {
        let read = if correct_typos {
            self.read(text)
        } else {
            let words = self.normal_words(text);
            let factors = vec![TYPED; words.len()];
            Words {
                words,
                factors,
                corrections: Vec::new(),
            }
        };
        self.weigh(read, correct_typos)
    }

    /// A user's text as normalised words, typos corrected, each with how much it counts (less
    /// for a corrected word). At most `MAX_WORDS` words are read.
    pub fn read(&self, text: &str) -> Words {
        let mut raw = words(&information_technology(text));
        raw.truncate(MAX_WORDS);
        let raw = raw.into_iter().map(|word| self.unstretched(word)).collect();
        let mut read = Words::default();
        for word in rewrite(&self.lexicon, raw) {
            let known = self.knows(&word);
            let fixed = if known {
                None
            } else {
                self.vocabulary.correct(&word)
            };
            match fixed {
                Some(fixed) => {
                    read.corrections.push((word, fixed.to_owned()));
                    read.words.push(fixed.to_owned());
                    read.factors.push(CORRECTED);
                }
                None => {
                    read.words.push(word);
                    read.factors.push(TYPED);
                }
            }
        }
        read
    }

    /// True when a user's word is known as typed: a word of the content or the lexicon, or
    /// one protected from typo correction.
    fn knows(&self, word: &str) -> bool {
        self.vocabulary.contains(word) || self.protected.contains(word)
    }

    /// A word typed with a letter held down ("hiyaaa", "thankssss", "sooo") as the word meant:
    /// each run of three or more of one letter cut to one letter, or else to two ("goood"),
    /// whichever is a known word (one letter when neither is). A known word is left as it is.
    fn unstretched(&self, word: String) -> String {
        let known = |w: &str| self.knows(w) || self.lexicon.rewrites.contains_key(w);
        if known(&word) {
            return word;
        }
        if !has_stretch(&word) {
            // Held down once, on the last letter ("hii", "heyy", "pleasee").
            return match without_doubled_end(&word) {
                Some(short) if known(short) => short.to_string(),
                _ => word,
            };
        }
        let once = collapse_runs(&word, 1);
        if known(&once) {
            return once;
        }
        let twice = collapse_runs(&word, 2);
        if known(&twice) { twice } else { once }
    }

    /// The analysis of words already read (see `read`), each counting as much as its factor
    /// says: a caller may lower the factor of words that matter less (a clause that only gives
    /// context) before matching.
    pub fn weigh(&self, read: Words, from_user: bool) -> Analysis {
        let mut analysis = Analysis {
            words: read.words,
            slots: Vec::new(),
            corrections: read.corrections,
        };
        self.fill_slots(&mut analysis, &read.factors, from_user);
        analysis
    }

    /// Makes the slots: each word, plus the expansions of every lexicon phrase found, longest
    /// phrase first. A user's word that the content never uses is replaced by its expansion.
    fn fill_slots(&self, analysis: &mut Analysis, factors: &[f32], from_user: bool) {
        let words = &analysis.words;
        let mut keep = vec![true; words.len()];
        let mut added: Vec<(String, f32)> = Vec::new();
        let mut start = 0;
        while start < words.len() {
            let longest = self.lexicon.longest_key.min(words.len() - start);
            let found = (1..=longest).rev().find_map(|len| {
                let key = &words[start..start + len];
                self.lexicon.expansions.get(key).map(|value| (len, value))
            });
            let Some((len, value)) = found else {
                start += 1;
                continue;
            };
            // A phrase of several words ("a & e") is replaced by its meaning; one word is kept
            // beside its meaning when the content uses it too.
            for (offset, word) in words[start..start + len].iter().enumerate() {
                if from_user && (len > 1 || !self.content_words.contains(word)) {
                    keep[start + offset] = false;
                }
            }
            let factor = factors.get(start).copied().unwrap_or(TYPED) * EXPANDED;
            added.extend(value.iter().map(|w| (w.clone(), factor)));
            start += len;
        }
        let typed = words.iter().zip(factors).zip(&keep);
        let typed = typed
            .filter(|(_, keep)| **keep)
            .map(|((w, f), _)| (w.clone(), *f));
        analysis.slots = typed
            .chain(added)
            .map(|(word, factor)| {
                let factor = if self.lexicon.is_stop_word(&word) {
                    factor * STOP_WORD
                } else if self.lexicon.is_weak_word(&word) {
                    factor * WEAK_WORD
                } else {
                    factor
                };
                Slot {
                    stem: self.stem(&word),
                    factor,
                }
            })
            .collect();
    }
}

/// True when the word holds a run of three or more of one letter.
fn has_stretch(word: &str) -> bool {
    let mut run = 0;
    let mut last = None;
    for c in word.chars() {
        run = if Some(c) == last { run + 1 } else { 1 };
        last = Some(c);
        if run >= 3 && c.is_alphabetic() {
            return true;
        }
    }
    false
}

/// The word without its last letter when that letter is doubled ("hii" is "hi").
fn without_doubled_end(word: &str) -> Option<&str> {
    let mut letters = word.char_indices().rev();
    let (last_at, last) = letters.next()?;
    let (_, before) = letters.next()?;
    (last == before && last.is_alphabetic()).then(|| &word[..last_at])
}

/// The word with every run of three or more of one letter cut to `keep` letters; shorter runs
/// as they are ("helloooo" is "hello" with `keep` 1).
fn collapse_runs(word: &str, keep: usize) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    let mut start = 0;
    while start < chars.len() {
        let c = chars[start];
        let run = chars[start..].iter().take_while(|&&n| n == c).count();
        let kept = if run >= 3 && c.is_alphabetic() {
            keep
        } else {
            run
        };
        out.extend(std::iter::repeat_n(c, kept));
        start += run;
    }
    out
}

/// Applies the lexicon's one-word rewrites (contractions, text-speak, spellings), and the
/// contractions that are also words where the next word says they are one ("id be"). A
/// possessive that is no contraction is its word ("the baby's head", "a nurse's pay"), in the
/// user's text and the content alike, so that one reading serves both.
fn rewrite(lexicon: &Lexicon, words: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    for (at, typed) in words.iter().enumerate() {
        let next = words.get(at + 1);
        let word = match typed.strip_suffix("'s") {
            Some(base) if !base.is_empty() && !lexicon.rewrites.contains_key(typed) => base,
            _ => typed.as_str(),
        };
        match lexicon.rewrites.get(word) {
            Some(to) => out.extend(to.iter().cloned()),
            None => match lexicon.rewrites_before.get(word) {
                Some((to, before)) if next.is_some_and(|n| before.contains(n)) => {
                    out.extend(to.iter().cloned());
                }
                _ => out.push(word.to_owned()),
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer() -> Analyzer {
        let lexicon = Lexicon::parse(
            r#"
[contractions]
"i'm" = "i am"
u = "you"
[contractions_before]
id = { to = "i would", before = ["be"] }
[spelling]
program = "programme"
[abbreviations]
hca = "healthcare assistant"
"a&e" = "accident and emergency"
[synonyms]
holiday = "annual leave"
"#,
            "test",
        )
        .expect("lexicon");
        let content = [
            "What does a healthcare assistant do?",
            "How much annual leave and holiday do staff get?",
            "Accident and emergency nursing",
            "The graduate programme for nursing",
        ];
        Analyzer::new(lexicon, content)
    }

    fn stems(analysis: &Analysis) -> Vec<&str> {
        analysis.slots.iter().map(|s| s.stem.as_str()).collect()
    }

    #[test]
    fn rewrites_contractions_and_spelling() {
        let a = analyzer().analyze("I'm on a graduate PROGRAM, r u?");
        assert_eq!(
            a.words,
            ["i", "am", "on", "a", "graduate", "programme", "r", "you"]
        );
    }

    #[test]
    fn rewrites_a_contraction_that_is_a_word_only_before_its_words() {
        let a = analyzer().analyze("id be good at it, do u need id");
        assert_eq!(
            a.words,
            [
                "i", "would", "be", "good", "at", "it", "do", "you", "need", "id"
            ]
        );
    }

    #[test]
    fn unknown_abbreviation_is_replaced_by_its_expansion() {
        let a = analyzer().analyze("hca jobs");
        assert_eq!(stems(&a), ["job", "healthcar", "assist"]);
        assert!(a.slots[1].factor < 1.0);
    }

    #[test]
    fn known_synonym_is_kept_beside_its_meaning() {
        let a = analyzer().analyze("holiday");
        assert_eq!(stems(&a), ["holiday", "annual", "leav"]);
    }

    #[test]
    fn multi_word_keys_and_ampersands() {
        let a = analyzer().analyze("A&E nursing");
        // Snowball's English stemmer (as tantivy builds it) keeps "emergenc".
        assert_eq!(stems(&a), ["nurs", "accid", "and", "emergenc"]);
    }

    #[test]
    fn typos_are_corrected_for_users_only() {
        let analyzer = analyzer();
        let a = analyzer.analyze("nursng programe");
        assert_eq!(a.words, ["nursing", "programme"]);
        assert_eq!(a.corrections.len(), 2);
        assert!(a.slots.iter().all(|s| s.factor < 1.0));
        let content = analyzer.analyze_content("nursng");
        assert_eq!(content.words, ["nursng"]);
    }

    #[test]
    fn held_down_letters_are_read_as_the_word_meant() {
        let analyzer = analyzer();
        let a = analyzer.analyze("nurrrsing annnual leeeave uuu");
        assert_eq!(a.words, ["nursing", "annual", "leave", "you"]);
        assert!(a.corrections.is_empty(), "not typos: {:?}", a.corrections);
        // Neither one letter nor two makes a known word: one letter, then typo correction.
        assert_eq!(analyzer.analyze("zzzz 1000").words, ["z", "1000"]);
        assert_eq!(collapse_runs("helloooo", 1), "hello");
        assert_eq!(collapse_runs("gooood", 2), "good");
        // A last letter doubled once: the word meant when that is known, else as typed.
        assert_eq!(analyzer.analyze("leavee staff").words, ["leave", "staff"]);
        assert_eq!(analyzer.analyze("uu").words, ["you"]);
        assert_eq!(without_doubled_end("zz"), Some("z"));
        assert_eq!(without_doubled_end("a"), None);
    }

    #[test]
    fn a_possessive_is_its_word() {
        let a = analyzer().analyze("the assistant's programme");
        assert_eq!(a.words, ["the", "assistant", "programme"]);
        assert!(a.corrections.is_empty());
        // In the content too, and whether or not the word is known.
        let a = analyzer().analyze_content("the zorbl's head, i'm sure");
        assert_eq!(a.words, ["the", "zorbl", "head", "i", "am", "sure"]);
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "nursing ".repeat(10_000);
        assert_eq!(analyzer().analyze(&long).words.len(), MAX_WORDS);
    }

    #[test]
    fn finds_phrases() {
        let analyzer = analyzer();
        let a = analyzer.analyze("my chest hurts a lot");
        assert!(a.has_phrase(&analyzer.normal_words("chest hurts")));
        assert!(!a.has_phrase(&analyzer.normal_words("hurts chest")));
        assert!(!a.has_phrase(&[]));
    }
}
