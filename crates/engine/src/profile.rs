//! What users tell the bot about themselves, found by phrases from `intents/profile.toml`.

use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::engine::{contains_phrase, phrase_position};
use crate::pattern::{WordPattern, Words};
use crate::reading::{Part, PhraseSet};

/// What the bot remembers about a user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    /// Life stage: school leaver, student, graduate, career changer, returning, trained abroad.
    pub stage: Option<String>,
    /// UK nation they live or want to work in.
    pub nation: Option<String>,
    /// Age, when they said it.
    pub age: Option<u8>,
    /// Qualifications so far.
    pub qualifications: Vec<String>,
    /// Roles they are interested in (role ids).
    pub interests: Vec<String>,
    /// The town or area they named, when they named one.
    pub place: Option<String>,
    /// Whom they ask for ("son"), when they ask for someone else.
    pub asking_for: Option<String>,
    /// Their job, when it is a role of the catalogue (a role id).
    pub job: Option<String>,
}

impl Profile {
    /// True when nothing is known.
    pub fn is_empty(&self) -> bool {
        *self == Profile::default()
    }
}

/// At most this many roles of interest are remembered (the most recent).
const MAX_INTERESTS: usize = 5;

/// Which part of the profile a fact fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Field {
    Stage,
    Nation,
    Qualification,
}

/// One thing a user may say about themselves, and the phrases that say it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Fact {
    pub field: Field,
    pub value: String,
    /// How the bot repeats it back ("you're a school leaver").
    pub note: String,
    pub phrases: Vec<String>,
    /// Word patterns that tell it too (the language of `pattern`: "only|just ~have|got * #
    /// gcses"), for what phrases cannot list ("only have like 2 gcses").
    #[serde(default)]
    pub patterns: Vec<String>,
    /// True when the fact's words are also what the writer asks about ("no qualifications":
    /// the entry on entry-level jobs answers them): they keep their weight as content.
    #[serde(default)]
    pub asked: bool,
    /// The oldest age of whom the fact is told: none of a writer older ("left school at 15,
    /// …, im 27 now" is no school leaver).
    #[serde(default)]
    pub up_to_age: Option<u8>,
}

/// A note added to some answers for users with a given profile ("As you're in Scotland, …").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tailor {
    pub field: Field,
    pub value: String,
    /// Entry ids it applies to; an id ending in `.` covers every entry starting with it.
    pub entries: Vec<String>,
    pub note: String,
    /// An entry worth offering as a button with the note.
    #[serde(default)]
    pub suggest: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
}

impl Tailor {
    /// True when the note belongs on `entry` for a user with `profile`.
    pub(crate) fn applies(&self, entry: &str, profile: &Profile) -> bool {
        let matches = self.holds(profile);
        let covers = self
            .entries
            .iter()
            .any(|id| id == entry || (id.ends_with('.') && entry.starts_with(id.as_str())));
        matches && covers && self.suggest.as_deref() != Some(entry)
    }

    /// True when `profile` has the field's value.
    pub(crate) fn holds(&self, profile: &Profile) -> bool {
        match self.field {
            Field::Stage => profile.stage.as_deref() == Some(self.value.as_str()),
            Field::Nation => profile.nation.as_deref() == Some(self.value.as_str()),
            Field::Qualification => profile.qualifications.contains(&self.value),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FactFile {
    /// Phrases that introduce an age: "i am" 17, "aged" 17.
    age_before: Vec<String>,
    /// Phrases that follow an age: 17 "years old".
    age_after: Vec<String>,
    /// Words after a number that show it is no age ("I'm 5 minutes away", "im 14 wks pregnant").
    #[serde(default)]
    not_age_after: Vec<String>,
    /// How the bot repeats an age back: "you're {age}".
    age_note: String,
    fact: Vec<Fact>,
    /// Phrases that say the roles named with them interest the user ("I want to be a…").
    #[serde(default)]
    interest: Vec<String>,
    /// Phrases that make a fact after them a question of what may be needed, not a fact about
    /// the writer ("would i have to retrain", "do i need to do my degree again").
    #[serde(default)]
    supposed_before: Vec<String>,
    #[serde(default)]
    tailor: Vec<Tailor>,
}

/// A fact with its phrases normalised and its patterns read.
#[derive(Debug, Clone)]
struct FactWords {
    fact: Fact,
    phrases: Vec<Vec<String>>,
    patterns: Vec<WordPattern>,
}

/// The profile phrases, with words normalised as the analyzer does.
#[derive(Debug, Clone, Default)]
pub(crate) struct FactFinder {
    facts: Vec<FactWords>,
    age_before: Vec<Vec<String>>,
    age_after: Vec<Vec<String>>,
    not_age_after: FxHashSet<String>,
    age_note: String,
    interest: Vec<Vec<String>>,
    supposed_before: Vec<Vec<String>>,
    /// Every fact and interest phrase, to find where the writer speaks of themselves.
    about_writer: PhraseSet<()>,
    /// Notes that tailor answers to the profile.
    pub tailors: Vec<Tailor>,
}

impl FactFinder {
    pub(crate) fn parse(
        file: &str,
        text: &str,
        normal: impl Fn(&str) -> Vec<String>,
        stem: impl Fn(&str) -> String,
    ) -> Result<FactFinder, Error> {
        let parsed: FactFile = toml::from_str(text).map_err(|e| Error::toml(file, text, &e))?;
        let phrases = |list: &[String]| list.iter().map(|p| normal(p)).collect::<Vec<_>>();
        let classes = std::collections::HashMap::new();
        let read = |written: &String| {
            WordPattern::parse(written, &classes, &normal, &stem).map_err(|message| {
                let at = text.find(&format!("\"{written}\"")).unwrap_or(0);
                Error::content(file, matcher::line_of(text, at), message)
            })
        };
        let mut facts = Vec::new();
        for fact in parsed.fact {
            let patterns = fact.patterns.iter().map(read).collect::<Result<_, _>>()?;
            let phrases = phrases(&fact.phrases);
            facts.push(FactWords {
                fact,
                phrases,
                patterns,
            });
        }
        let interest = phrases(&parsed.interest);
        let mut about_writer = PhraseSet::default();
        let told = facts.iter().filter(|f| !f.fact.asked);
        for phrase in told.flat_map(|f| &f.phrases).chain(&interest) {
            about_writer.insert(phrase.clone(), ());
        }
        Ok(FactFinder {
            age_before: phrases(&parsed.age_before),
            age_after: phrases(&parsed.age_after),
            not_age_after: (parsed.not_age_after.iter())
                .flat_map(|w| normal(w))
                .collect(),
            age_note: parsed.age_note,
            interest,
            supposed_before: phrases(&parsed.supposed_before),
            about_writer,
            tailors: parsed.tailor,
            facts,
        })
    }

    /// Adds what `words` say about the user to `profile`; returns how the bot repeats each new
    /// fact back, empty when the message said nothing about the user. `stem` stems a word as
    /// the analyzer does.
    pub(crate) fn learn(
        &self,
        words: &[String],
        stem: impl Fn(&str) -> String,
        profile: &mut Profile,
    ) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(age) = self.age(words).filter(|age| profile.age != Some(*age)) {
            profile.age = Some(age);
            notes.push(self.age_note.replace("{age}", &age.to_string()));
        }
        let text = Words::new(words, stem, |_| false);
        for found in &self.facts {
            let fact = &found.fact;
            let too_old = fact
                .up_to_age
                .is_some_and(|most| profile.age.is_some_and(|age| age > most));
            if too_old || self.told_at(found, &text).is_none() {
                continue;
            }
            let changed = match fact.field {
                Field::Stage => replace(&mut profile.stage, &fact.value),
                Field::Nation => replace(&mut profile.nation, &fact.value),
                Field::Qualification => {
                    let new = !profile.qualifications.contains(&fact.value);
                    if new {
                        profile.qualifications.push(fact.value.clone());
                    }
                    new
                }
            };
            if changed {
                notes.push(fact.note.clone());
            }
        }
        notes
    }

    /// Where `text` tells `found` (its phrases and patterns, as one span from the first to the
    /// last), unless only supposed there: a life stage or qualification after "would i have
    /// to" or "no" is none.
    fn told_at(&self, found: &FactWords, text: &Words) -> Option<std::ops::Range<usize>> {
        let words = text.words;
        let supposable = matches!(found.fact.field, Field::Stage | Field::Qualification);
        let kept = |at: usize| !(supposable && self.supposed_at(words, at));
        let by_phrase = (0..words.len()).filter_map(|at| {
            let phrase = found.phrases.iter().find(|p| words[at..].starts_with(p))?;
            kept(at).then(|| at..at + phrase.len())
        });
        let by_pattern = (found.patterns.iter())
            .filter_map(|pattern| pattern.find(text))
            .filter(|span| kept(span.start));
        // Every way it is told, as one span ("quit sixth form with basically nothing").
        by_phrase
            .chain(by_pattern)
            .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
    }

    /// Where `words` tell a fact that is also what the writer asks about (`asked`: "only got
    /// like 2 gcses"), and the entry its tailor suggests, when they tell one.
    pub(crate) fn asked_told(
        &self,
        words: &[String],
        stem: impl Fn(&str) -> String,
    ) -> Option<(std::ops::Range<usize>, &str)> {
        let text = Words::new(words, stem, |_| false);
        (self.facts.iter())
            .filter(|found| found.fact.asked)
            .find_map(|found| {
                let span = self.told_at(found, &text)?;
                let tailor = (self.tailors.iter())
                    .find(|t| t.field == found.fact.field && t.value == found.fact.value)?;
                Some((span, tailor.suggest.as_deref()?))
            })
    }

    /// True when a phrase of `supposed_before` ends within a few words before `at`.
    fn supposed_at(&self, words: &[String], at: usize) -> bool {
        const WITHIN: usize = 3;
        self.supposed_before.iter().any(|phrase| {
            let earliest = at.saturating_sub(WITHIN + phrase.len());
            (earliest..at)
                .any(|start| start + phrase.len() <= at && words[start..].starts_with(phrase))
        })
    }

    /// True when the words say that the roles named with them interest the writer ("I've
    /// always wanted to be a midwife").
    pub(crate) fn states_interest(&self, words: &[String]) -> bool {
        self.interest.iter().any(|p| contains_phrase(words, p))
    }

    /// Where the first phrase saying that roles interest the writer starts in `words`.
    pub(crate) fn interest_at(&self, words: &[String]) -> Option<usize> {
        (self.interest.iter())
            .filter_map(|p| phrase_position(words, p))
            .min()
    }

    /// Sets a fact (`field` = `value`) in the profile; returns how the bot repeats it back when
    /// it is new.
    pub(crate) fn set(&self, field: Field, value: &str, profile: &mut Profile) -> Option<String> {
        let fact = &(self.facts.iter())
            .find(|f| f.fact.field == field && f.fact.value == value)?
            .fact;
        let changed = match field {
            Field::Stage => replace(&mut profile.stage, value),
            Field::Nation => replace(&mut profile.nation, value),
            Field::Qualification => {
                let new = !profile.qualifications.iter().any(|q| q == value);
                if new {
                    profile.qualifications.push(value.to_owned());
                }
                new
            }
        };
        changed.then(|| fact.note.clone())
    }

    /// Marks the words of `words` that state facts about the writer (an age, a life stage, a
    /// qualification) as being about the writer, where they were taken for content.
    pub(crate) fn mark(&self, words: &[String], parts: &mut [Part]) {
        // Where phrases start together, the longest covers the others.
        let mut spans: Vec<std::ops::Range<usize>> = (0..words.len())
            .filter_map(|at| {
                let (len, _) = self.about_writer.longest_at(words, at)?;
                Some(at..at + len)
            })
            .collect();
        if let Some(at) = self.age_at(words) {
            spans.push(at..at + 1);
        }
        for span in spans {
            for part in &mut parts[span] {
                if *part == Part::Content {
                    *part = Part::AboutWriter;
                }
            }
        }
    }

    /// Remembers `roles` as roles of interest.
    pub(crate) fn note_interests(&self, roles: &[String], profile: &mut Profile) {
        for role in roles {
            if !profile.interests.contains(role) {
                profile.interests.push(role.clone());
            }
        }
        let excess = profile.interests.len().saturating_sub(MAX_INTERESTS);
        profile.interests.drain(..excess);
    }

    fn age(&self, words: &[String]) -> Option<u8> {
        self.age_at(words).and_then(|at| words[at].parse().ok())
    }

    /// Where in `words` the writer gives their age ("I'm 17", "aged 17", "17 years old").
    fn age_at(&self, words: &[String]) -> Option<usize> {
        let number = |w: &String| w.parse::<u8>().ok().filter(|n| (13..=90).contains(n));
        (0..words.len()).find(|&i| {
            if number(&words[i]).is_none() {
                return false;
            }
            let before = self.age_before.iter().any(|p| words[..i].ends_with(p));
            let after = self.age_after.iter().any(|p| words[i + 1..].starts_with(p));
            let alone_after_i_am = before
                && words
                    .get(i + 1)
                    .is_none_or(|w| !self.not_age_after.contains(w));
            alone_after_i_am || after
        })
    }
}

fn replace(slot: &mut Option<String>, value: &str) -> bool {
    let changed = slot.as_deref() != Some(value);
    *slot = Some(value.to_owned());
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTS: &str = r#"
age_before = ["i am", "aged"]
age_after = ["years old"]
not_age_after = ["minutes", "wks"]
age_note = "you're {age}"
supposed_before = ["need to", "have to"]
[[fact]]
field = "stage"
value = "school leaver"
note = "you're leaving school"
phrases = ["finished my a levels", "leaving school"]
[[fact]]
field = "qualification"
value = "A levels"
note = "you have A levels"
phrases = ["a levels"]
[[fact]]
field = "nation"
value = "Scotland"
note = "you're in Scotland"
phrases = ["live in scotland"]
[[fact]]
field = "qualification"
value = "few or none"
note = "you have few or no formal qualifications"
asked = true
phrases = ["i have no gcses"]
patterns = ["only|just ~have|got * two|three gcses"]
[[tailor]]
field = "qualification"
value = "few or none"
entries = ["routes.overview"]
note = "With few or no formal qualifications: entry-level roles."
suggest = "routes.entry-level"
"#;

    fn learn(text: &str) -> (Profile, Vec<String>) {
        let normal = |t: &str| matcher::words(&t.replace("i'm", "i am"));
        let finder =
            FactFinder::parse("profile.toml", FACTS, normal, |w| w.to_owned()).expect("facts");
        let mut profile = Profile::default();
        let notes = finder.learn(&normal(text), |w| w.to_owned(), &mut profile);
        (profile, notes)
    }

    #[test]
    fn learns_age_stage_and_qualifications() {
        let (profile, notes) = learn("i'm 17 and just finished my A levels");
        assert_eq!(profile.age, Some(17));
        assert_eq!(profile.stage.as_deref(), Some("school leaver"));
        assert_eq!(profile.qualifications, ["A levels"]);
        assert_eq!(
            notes,
            ["you're 17", "you're leaving school", "you have A levels"]
        );
        // Supposed, not told.
        let (profile, notes) = learn("do i need to do a levels first");
        assert!(profile.qualifications.is_empty(), "{notes:?}");
    }

    #[test]
    fn the_words_of_a_fact_also_asked_stay_content() {
        let normal = |t: &str| matcher::words(t);
        let finder =
            FactFinder::parse("profile.toml", FACTS, normal, |w| w.to_owned()).expect("facts");
        let words = normal("i have no gcses and i live in scotland");
        let mut parts = vec![Part::Content; words.len()];
        finder.mark(&words, &mut parts);
        let about_writer: Vec<&str> = (words.iter().zip(&parts))
            .filter(|(_, part)| **part == Part::AboutWriter)
            .map(|(word, _)| word.as_str())
            .collect();
        assert_eq!(about_writer, ["live", "in", "scotland"]);
        let (profile, notes) = learn("i have no gcses");
        assert_eq!(profile.qualifications, ["few or none"]);
        assert_eq!(notes, ["you have few or no formal qualifications"]);
    }

    #[test]
    fn a_fact_told_by_a_pattern_and_where_an_asked_one_is() {
        let (profile, notes) = learn("i'm 45 and only have like three gcses");
        assert_eq!(profile.qualifications, ["few or none"]);
        assert_eq!(
            notes,
            ["you're 45", "you have few or no formal qualifications"]
        );
        assert!(
            learn("do you only need two gcses")
                .0
                .qualifications
                .is_empty()
        );
        let normal = |t: &str| matcher::words(t);
        let finder =
            FactFinder::parse("profile.toml", FACTS, normal, |w| w.to_owned()).expect("facts");
        let words = normal("i only got two gcses what can i do");
        let told = finder.asked_told(&words, |w| w.to_owned());
        assert_eq!(told, Some((1..5, "routes.entry-level")));
        assert_eq!(
            finder.asked_told(&normal("i live in scotland"), |w| w.to_owned()),
            None
        );
    }

    #[test]
    fn ignores_numbers_that_are_not_ages() {
        assert_eq!(learn("I am 5 minutes late").0.age, None);
        assert_eq!(learn("i am 14 wks pregnant").0.age, None);
        assert_eq!(learn("what is band 5").0.age, None);
        assert_eq!(learn("i am 300").0.age, None);
        assert_eq!(learn("she is 40 years old").0.age, Some(40));
        assert!(learn("how do I apply in scotland").0.nation.is_none());
        assert_eq!(
            learn("I live in Scotland").0.nation.as_deref(),
            Some("Scotland")
        );
    }
}
