//! The career finder as a conversation: started by an intent, answered by buttons or text,
//! interrupted by other questions without being lost, resumed after a restart.

use super::{Engine, Reply};
use crate::messages::fill;
use crate::{Action, FinderProgress, Input, UserState};

/// How many families the finder recommends.
const RECOMMENDED: usize = 3;

impl Engine {
    /// Starts (or restarts) the finder: the introduction and the first question.
    pub(super) fn start_finder(&self, next: &mut UserState, intent: &str) -> Reply {
        next.finder = Some(FinderProgress::default());
        let (question, options) = self.finder.ask(0).unwrap_or_default();
        Reply {
            text: format!("{}\n\n{question}", self.finder.intro),
            topic: Some(intent.to_owned()),
            confidence: 1.0,
            suggestions: options,
            ..Reply::default()
        }
    }

    /// The finder's next step when `input` answers its current question; `None` when it does
    /// not (then the message is handled as any other, and the finder waits).
    pub(super) fn finder_answer(
        &self,
        state: &UserState,
        next: &mut UserState,
        input: &Input,
    ) -> Option<Reply> {
        let progress = state.finder.as_ref()?;
        let words = self.analyzer.normal_words(&input.text);
        let asks = self.analyzer.lexicon().is_question(&input.text, &words);
        if input.press.is_none() && asks {
            return None;
        }
        let n = progress.answers.len();
        let normal = |phrase: &str| self.analyzer.normal_words(phrase);
        let choice = self
            .finder
            .choose(n, input.press.as_deref(), &words, normal)?;
        let mut progress = progress.clone();
        progress.answers.push(choice);
        let topic = self.finder_topic();
        match self.finder.ask(n + 1) {
            Some((question, options)) => {
                next.finder = Some(progress);
                Some(Reply {
                    text: question,
                    topic,
                    confidence: 1.0,
                    suggestions: options,
                    ..Reply::default()
                })
            }
            None => {
                next.finder = None;
                Some(self.finder_result(&progress.answers, next))
            }
        }
    }

    /// Puts the finder's current question back after a reply to something else, so that the
    /// user can carry on. A reply that was not understood becomes "please pick an option".
    pub(super) fn resume_finder(&self, mut reply: Reply, progress: &FinderProgress) -> Reply {
        let Some((question, options)) = self.finder.ask(progress.answers.len()) else {
            return reply;
        };
        reply.text = if reply.fallback && reply.topic.is_none() {
            format!("{}\n\n{question}", self.finder.not_understood)
        } else {
            format!("{}\n\n{}{question}", reply.text, self.finder.resume)
        };
        reply.suggestions = options;
        reply
    }

    /// The three best families with a reason each, and the next step.
    fn finder_result(&self, answers: &[usize], next: &mut UserState) -> Reply {
        let ranked = self.finder.recommend(answers);
        let best = &ranked[..RECOMMENDED.min(ranked.len())];
        let mut text = self.finder.result.clone();
        for (i, rec) in best.iter().enumerate() {
            let number = (i + 1).to_string();
            let reason = rec.reasons.join(&self.finder.reason_join);
            let item = fill(
                &self.finder.result_item,
                &[
                    ("n", &number),
                    ("name", &rec.family.name),
                    ("reason", &reason),
                ],
            );
            text.push_str(if i == 0 { "\n\n" } else { "\n" });
            text.push_str(&item);
        }
        let entries: Vec<_> = best
            .iter()
            .filter_map(|rec| self.knowledge.entry(&rec.family.entry))
            .collect();
        if let Some(first) = best.first() {
            text.push_str("\n\n");
            text.push_str(&fill(
                &self.finder.next_step,
                &[("next", &first.family.next)],
            ));
        }
        next.topic = entries.first().map(|e| e.id.clone());
        next.shown.clear();
        Reply {
            text,
            topic: self.finder_topic(),
            confidence: 1.0,
            sources: entries
                .iter()
                .filter_map(|e| e.sources.first().cloned())
                .collect(),
            suggestions: entries.iter().map(|e| e.label.clone()).collect(),
            ..Reply::default()
        }
    }

    /// The id of the intent that starts the finder.
    fn finder_topic(&self) -> Option<String> {
        self.intents
            .iter()
            .find(|i| i.action == Some(Action::Finder))
            .map(|i| i.id.clone())
    }
}
