//! The career finder: a few questions, read from `intents/finder.toml`, whose answers point at
//! role families; the three best families are recommended with a reason each.

use serde::Deserialize;

use crate::engine::contains_phrase;

use crate::Error;
use crate::messages::fill;

/// The career finder's questions, families and sentences.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Finder {
    /// Said when the finder starts.
    pub intro: String,
    /// Put before each question: `{n}` of `{total}`.
    pub progress: String,
    /// Put before the question when an answer to something else interrupted the finder.
    pub resume: String,
    /// When the answer matched no option.
    pub not_understood: String,
    /// Heads the recommendations.
    pub result: String,
    /// One recommendation: `{n}`, `{name}`, `{reason}`.
    pub result_item: String,
    /// Joins the reasons of one recommendation.
    pub reason_join: String,
    /// Closes the recommendations: `{next}` is the best family's next step.
    pub next_step: String,
    family: Vec<Family>,
    question: Vec<Question>,
}

/// A role family the finder can recommend.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Family {
    pub id: String,
    pub name: String,
    /// The knowledge entry about the family (its label becomes a button).
    pub entry: String,
    /// What to do next, in one sentence.
    pub next: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Question {
    ask: String,
    option: Vec<Choice>,
}

/// One answer to a question.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Choice {
    /// The button's text.
    label: String,
    /// Phrases that choose this option when typed.
    words: Vec<String>,
    /// Why it points at its families ("you like science").
    reason: String,
    /// The family ids it points at.
    families: Vec<String>,
}

/// A family's score after the answers, with the reasons for it.
#[derive(Debug, Clone)]
pub(crate) struct Recommendation<'a> {
    pub family: &'a Family,
    pub score: usize,
    pub reasons: Vec<&'a str>,
}

impl Finder {
    /// Parses and checks `finder.toml`: every family an option names exists, every question
    /// has at least two options. `has_entry` says whether a knowledge entry exists.
    pub(crate) fn parse(
        file: &str,
        text: &str,
        has_entry: impl Fn(&str) -> bool,
    ) -> Result<Finder, Error> {
        let finder: Finder = toml::from_str(text).map_err(|e| Error::toml(file, text, &e))?;
        let line = |needle: &str| text.find(needle).map_or(1, |at| matcher::line_of(text, at));
        if finder.question.is_empty() {
            return Err(Error::content(file, 1, "the finder needs questions"));
        }
        for family in &finder.family {
            if !has_entry(&family.entry) {
                let message = format!("family '{}': no entry '{}'", family.id, family.entry);
                return Err(Error::content(file, line(&family.entry), message));
            }
        }
        for question in &finder.question {
            if question.option.len() < 2 {
                let message = "a question needs at least two options";
                return Err(Error::content(file, line(&question.ask), message));
            }
            for choice in &question.option {
                if let Some(unknown) = choice
                    .families
                    .iter()
                    .find(|f| !finder.family.iter().any(|family| family.id == **f))
                {
                    let message = format!("option '{}': no family '{unknown}'", choice.label);
                    return Err(Error::content(file, line(&choice.label), message));
                }
            }
        }
        Ok(finder)
    }

    /// How many questions there are.
    pub(crate) fn questions(&self) -> usize {
        self.question.len()
    }

    /// Question `n` (0-based) with its progress prefix, and its option labels.
    pub(crate) fn ask(&self, n: usize) -> Option<(String, Vec<String>)> {
        let question = self.question.get(n)?;
        let number = (n + 1).to_string();
        let total = self.question.len().to_string();
        let prefix = fill(&self.progress, &[("n", &number), ("total", &total)]);
        let labels = question.option.iter().map(|o| o.label.clone()).collect();
        Some((format!("{prefix}{}", question.ask), labels))
    }

    /// The option of question `n` that a press or typed answer chooses: the pressed label, the
    /// option's number, or the option whose phrase matches the most words.
    pub(crate) fn choose(
        &self,
        n: usize,
        press: Option<&str>,
        words: &[String],
        normal: impl Fn(&str) -> Vec<String>,
    ) -> Option<usize> {
        let options = &self.question.get(n)?.option;
        if let Some(label) = press {
            let label = label.trim().to_lowercase();
            let pressed = options.iter().position(|o| o.label.to_lowercase() == label);
            if pressed.is_some() {
                return pressed;
            }
        }
        if let [word] = words
            && let Ok(number) = word.parse::<usize>()
        {
            return (1..=options.len()).contains(&number).then(|| number - 1);
        }
        let mut best: Option<(usize, usize)> = None;
        for (i, option) in options.iter().enumerate() {
            let phrases = option.words.iter().chain(std::iter::once(&option.label));
            for phrase in phrases.map(|p| normal(p)) {
                let matched = contains_phrase(words, &phrase);
                if matched && best.is_none_or(|(_, len)| phrase.len() > len) {
                    best = Some((i, phrase.len()));
                }
            }
        }
        best.map(|(i, _)| i)
    }

    /// The families ranked by the answers given (option indexes, one per question), best first,
    /// ties in the order the families are written.
    pub(crate) fn recommend(&self, answers: &[usize]) -> Vec<Recommendation<'_>> {
        let mut ranked: Vec<Recommendation<'_>> = self
            .family
            .iter()
            .map(|family| Recommendation {
                family,
                score: 0,
                reasons: Vec::new(),
            })
            .collect();
        let chosen = self
            .question
            .iter()
            .zip(answers)
            .filter_map(|(q, a)| q.option.get(*a));
        for choice in chosen {
            for rec in ranked.iter_mut() {
                if choice.families.contains(&rec.family.id) {
                    rec.score += 1;
                    rec.reasons.push(&choice.reason);
                }
            }
        }
        ranked.sort_by_key(|rec| std::cmp::Reverse(rec.score));
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FINDER: &str = r#"
intro = "Let's go."
progress = "({n}/{total}) "
resume = "Back to it: "
not_understood = "Pick one."
result = "Try these:"
result_item = "{n}. {name}: {reason}"
reason_join = " and "
next_step = "Next: {next}"
[[family]]
id = "care"
name = "Nursing"
entry = "groups.nursing"
next = "Read about nursing."
[[family]]
id = "lab"
name = "Science"
entry = "science.overview"
next = "Read about science."
[[question]]
ask = "Patients?"
[[question.option]]
label = "Yes, patients"
words = ["yes", "with patients"]
reason = "you want patient contact"
families = ["care"]
[[question.option]]
label = "No, behind the scenes"
words = ["no", "behind the scenes"]
reason = "you prefer behind the scenes"
families = ["lab"]
[[question]]
ask = "Science?"
[[question.option]]
label = "Love it"
words = ["love", "yes"]
reason = "you like science"
families = ["lab"]
[[question.option]]
label = "Not really"
words = ["not really", "no"]
reason = "science is not your thing"
families = ["care"]
"#;

    fn finder() -> Finder {
        Finder::parse("finder.toml", FINDER, |_| true).expect("valid")
    }

    fn words(text: &str) -> Vec<String> {
        matcher::words(text)
    }

    #[test]
    fn answers_are_read_from_presses_numbers_and_words() {
        let finder = finder();
        assert_eq!(finder.choose(0, Some("yes, PATIENTS"), &[], words), Some(0));
        assert_eq!(finder.choose(0, None, &words("2"), words), Some(1));
        assert_eq!(finder.choose(0, None, &words("3"), words), None);
        assert_eq!(
            finder.choose(0, None, &words("mostly behind the scenes please"), words),
            Some(1)
        );
        assert_eq!(
            finder.choose(1, None, &words("no not really"), words),
            Some(1)
        );
        assert_eq!(finder.choose(1, None, &words("what is CPD"), words), None);
        let (question, labels) = finder.ask(1).expect("second question");
        assert_eq!(question, "(2/2) Science?");
        assert_eq!(labels, ["Love it", "Not really"]);
        assert!(finder.ask(2).is_none());
    }

    #[test]
    fn recommends_the_families_the_answers_point_at() {
        let finder = finder();
        let ranked = finder.recommend(&[1, 0]);
        assert_eq!(ranked[0].family.id, "lab");
        assert_eq!(ranked[0].score, 2);
        assert_eq!(
            ranked[0].reasons,
            ["you prefer behind the scenes", "you like science"]
        );
        assert_eq!(ranked[1].score, 0);
    }

    #[test]
    fn unknown_families_and_entries_are_errors() {
        let bad = FINDER.replace("families = [\"lab\"]", "families = [\"labs\"]");
        let error = Finder::parse("finder.toml", &bad, |_| true).expect_err("unknown family");
        assert!(error.to_string().contains("no family 'labs'"), "{error}");
        let error = Finder::parse("finder.toml", FINDER, |id| id != "science.overview")
            .expect_err("unknown entry");
        assert!(error.to_string().starts_with("finder.toml:"), "{error}");
    }
}
