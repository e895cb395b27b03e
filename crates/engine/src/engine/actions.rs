//! The bot's own actions: slash commands, "start over", "forget me" (after a yes) and
//! "what do you know about me".

use super::{Engine, Reply, contains_phrase};
use crate::messages::fill;
use crate::{Action, Input, Pending, UserState};

/// A typed yes or no is only taken as the answer in a message this short ("yes please do").
const SHORT_ANSWER: usize = 4;

impl Engine {
    /// The reply to a slash command (`/start`, `/help@careerbot`…), or `None` when the message
    /// is not one. Unknown commands get a short pointer to `/help`.
    pub(super) fn command(
        &self,
        text: &str,
        state: &UserState,
        next: &mut UserState,
    ) -> Option<Reply> {
        let name = command_name(text)?;
        let found = self
            .intents
            .iter()
            .position(|i| i.commands.iter().any(|c| c.eq_ignore_ascii_case(&name)));
        Some(match found {
            Some(index) => self.intent_reply(index, 1.0, state, next, &[]),
            None => {
                let text = fill(&self.messages.unknown_command, &[("command", &name)]);
                self.message(&text, true)
            }
        })
    }

    /// Runs an action intent.
    pub(super) fn act(
        &self,
        action: Action,
        index: usize,
        state: &UserState,
        next: &mut UserState,
        words: &[String],
    ) -> Reply {
        let intent = &self.intents[index];
        let mut reply = self.plain_intent_reply(index, state);
        match action {
            Action::More => return self.more(state, next),
            Action::Finder => return self.start_finder(next, &intent.id),
            Action::Compare => return self.compare(words, state, next, &intent.id),
            Action::MyData => reply.text = self.my_data(state),
            Action::Cancel => next.finder = None,
            Action::Reset => {
                *next = UserState {
                    profile: state.profile.clone(),
                    turn_count: state.turn_count,
                    ..UserState::default()
                };
            }
            Action::Forget => {
                next.pending = Some(Pending::Forget);
                reply.suggestions = vec![
                    self.messages.forget_yes.clone(),
                    self.messages.forget_no.clone(),
                ];
            }
        }
        reply
    }

    /// The answer to "forget everything?", when the input is one: yes deletes (the reply asks
    /// the caller to), no keeps. `None` when the user moved on to something else.
    pub(super) fn confirm_forget(&self, input: &Input) -> Option<Reply> {
        let pressed = input.press.as_deref().map(str::to_lowercase);
        let words = self.analyzer.normal_words(&input.text);
        let short = words.len() <= SHORT_ANSWER;
        let is = |label: &str, answers: &[Vec<String>]| {
            pressed.as_deref() == Some(label.to_lowercase().as_str())
                || (short && answers.iter().any(|a| contains_phrase(&words, a)))
        };
        if is(&self.messages.forget_yes, &self.yes_words) {
            let mut reply = self.message(&self.messages.forgotten, false);
            reply.forget = true;
            return Some(reply);
        }
        if is(&self.messages.forget_no, &self.no_words) {
            return Some(self.message(&self.messages.kept, false));
        }
        None
    }

    /// Everything stored about the user, as a list.
    fn my_data(&self, state: &UserState) -> String {
        let labels = &self.messages.mydata_labels;
        let mut lines: Vec<String> = Vec::new();
        let mut line = |label: &str, value: String| lines.push(format!("- **{label}**: {value}"));
        let profile = &state.profile;
        if let Some(age) = profile.age {
            line(&labels.age, age.to_string());
        }
        if let Some(stage) = &profile.stage {
            line(&labels.stage, stage.clone());
        }
        if let Some(nation) = &profile.nation {
            line(&labels.nation, nation.clone());
        }
        if let Some(place) = &profile.place {
            line(&labels.place, place.clone());
        }
        if let Some(job) = profile
            .job
            .as_deref()
            .and_then(|id| self.knowledge.role(id))
        {
            line(&labels.job, job.name.clone());
        }
        if let Some(who) = &profile.asking_for {
            line(&labels.asking_for, who.clone());
        }
        if !profile.qualifications.is_empty() {
            line(&labels.qualifications, profile.qualifications.join(", "));
        }
        let roles: Vec<&str> = profile
            .interests
            .iter()
            .filter_map(|id| self.knowledge.role(id))
            .map(|r| r.name.as_str())
            .collect();
        if !roles.is_empty() {
            line(&labels.interests, roles.join(", "));
        }
        if let Some(entry) = state
            .topic
            .as_deref()
            .and_then(|id| self.knowledge.entry(id))
        {
            line(&labels.topic, entry.title.clone());
        }
        if let Some(role) = state.role.as_deref().and_then(|id| self.knowledge.role(id)) {
            line(&labels.role, role.name.clone());
        }
        if let Some(progress) = &state.finder {
            let done = progress.answers.len().to_string();
            let total = self.finder.questions().to_string();
            let value = fill(&labels.finder_progress, &[("n", &done), ("total", &total)]);
            line(&labels.finder, value);
        }
        if !state.turns.is_empty() {
            let n = state.turns.len().to_string();
            let said: Vec<String> = state
                .turns
                .iter()
                .map(|t| format!("\"{}\"", t.text))
                .collect();
            line(&fill(&labels.turns, &[("n", &n)]), said.join(", "));
        }
        if lines.is_empty() {
            return self.messages.mydata_empty.clone();
        }
        fill(&self.messages.mydata, &[("facts", &lines.join("\n"))])
    }
}

/// The command in a message such as `/start`, `/help@careerbot` or `/ask what is CPD`, in
/// lowercase; `None` when the message is not a command.
pub(crate) fn command_name(text: &str) -> Option<String> {
    let rest = text.trim_start().strip_prefix('/')?;
    let word = rest.split(char::is_whitespace).next()?;
    let name = word.split('@').next().unwrap_or(word);
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::command_name;

    #[test]
    fn commands_are_read_with_or_without_the_bot_name() {
        assert_eq!(command_name("/start").as_deref(), Some("start"));
        assert_eq!(
            command_name(" /Help@careerbot_bot").as_deref(),
            Some("help")
        );
        assert_eq!(command_name("/quiz now").as_deref(), Some("quiz"));
        assert_eq!(command_name("and/or"), None);
        assert_eq!(command_name("/"), None);
        assert_eq!(command_name("/ what"), None);
        assert_eq!(command_name("/etc/passwd").as_deref(), None);
    }
}
