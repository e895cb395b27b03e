//! Roles named in a message, found in the role catalogue, and "compare X and Y" answered from it.

use knowledge::Role;
use matcher::Analyzer;

use super::{Engine, Reply};
use crate::UserState;
use crate::messages::fill;

/// At most this many roles are compared in one answer.
const MAX_COMPARED: usize = 3;

/// The names of every role, as stemmed word runs, longest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct RoleNames {
    names: Vec<(Vec<String>, usize)>,
}

impl RoleNames {
    /// Indexes the names and aliases of `roles`.
    pub(crate) fn new(roles: &[Role], analyzer: &Analyzer) -> RoleNames {
        let mut names: Vec<(Vec<String>, usize)> = roles
            .iter()
            .enumerate()
            .flat_map(|(i, role)| role.names().map(move |name| (name, i)))
            .map(|(name, i)| (stems(analyzer, &analyzer.normal_words(name)), i))
            .filter(|(stems, _)| !stems.is_empty())
            .collect();
        names.sort_by_key(|(stems, _)| std::cmp::Reverse(stems.len()));
        RoleNames { names }
    }

    /// The roles named in `words` (normalised), in the order they appear, each once; where
    /// names overlap the longest wins ("mental health nurse" over "nurse").
    pub(crate) fn find(&self, analyzer: &Analyzer, words: &[String]) -> Vec<usize> {
        let stemmed = stems(analyzer, words);
        let mut taken = vec![false; stemmed.len()];
        let mut found: Vec<(usize, usize)> = Vec::new();
        for (name, role) in &self.names {
            for start in 0..stemmed.len().saturating_sub(name.len() - 1) {
                let span = start..start + name.len();
                if stemmed[span.clone()] == name[..] && !taken[span.clone()].contains(&true) {
                    taken[span].iter_mut().for_each(|t| *t = true);
                    found.push((start, *role));
                }
            }
        }
        found.sort_unstable();
        let mut roles: Vec<usize> = Vec::new();
        for (_, role) in found {
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        roles
    }
}

fn stems(analyzer: &Analyzer, words: &[String]) -> Vec<String> {
    words.iter().map(|w| analyzer.stem(w)).collect()
}

impl Engine {
    /// A comparison when the message asks for one ("nursing vs midwifery") and names two roles,
    /// or one besides the role under discussion.
    pub(super) fn compare_named(
        &self,
        named: &[usize],
        words: &[String],
        state: &UserState,
        next: &mut UserState,
    ) -> Option<Reply> {
        let asks = self
            .compare_words
            .iter()
            .any(|w| super::contains_phrase(words, w));
        let enough = named.len() >= 2 || (named.len() == 1 && state.role.is_some());
        if !asks || !enough {
            return None;
        }
        let intent = self
            .intents
            .iter()
            .find(|i| i.action == Some(crate::Action::Compare))?;
        Some(self.compare(words, state, next, &intent.id))
    }

    /// "Compare nursing and physiotherapy": the roles side by side, from the role catalogue.
    /// With one role named, it is compared with the role under discussion.
    pub(super) fn compare(
        &self,
        words: &[String],
        state: &UserState,
        next: &mut UserState,
        intent: &str,
    ) -> Reply {
        let mut roles = self.role_names.find(&self.analyzer, words);
        let discussed = state.role.as_deref().and_then(|id| self.role_index(id));
        if let (1, Some(discussed)) = (roles.len(), discussed)
            && roles[0] != discussed
        {
            roles.insert(0, discussed);
        }
        roles.truncate(MAX_COMPARED);
        if roles.len() < 2 {
            let mut reply = self.message(&self.messages.compare_needs_roles, false);
            reply.topic = Some(intent.to_owned());
            return reply;
        }
        let roles: Vec<&Role> = roles.iter().map(|i| &self.knowledge.roles[*i]).collect();
        let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        let mut text = fill(
            &self.messages.compare_intro,
            &[("roles", &join_names(&names, &self.messages.and))],
        );
        for role in &roles {
            text.push_str("\n\n");
            text.push_str(&self.role_card(role));
        }
        next.role = roles.last().map(|r| r.id.clone());
        let mut sources: Vec<String> = Vec::new();
        for source in roles.iter().flat_map(|r| &r.sources) {
            if !sources.contains(source) {
                sources.push(source.clone());
            }
        }
        let mut suggestions: Vec<String> = Vec::new();
        for entry in roles.iter().filter_map(|r| self.knowledge.entry(&r.entry)) {
            if !suggestions.contains(&entry.label) {
                suggestions.push(entry.label.clone());
            }
        }
        Reply {
            text,
            topic: Some(intent.to_owned()),
            confidence: 1.0,
            sources,
            suggestions,
            ..Reply::default()
        }
    }

    /// One role's facts as a short list under its name.
    fn role_card(&self, role: &Role) -> String {
        let labels = &self.messages.role_labels;
        let fields = [
            (&labels.what, role.what.clone()),
            (&labels.entry_routes, role.entry_routes.join("; ")),
            (&labels.qualifications, role.qualifications.clone()),
            (&labels.regulator, role.regulator.clone()),
            (&labels.training, role.training.clone()),
            (&labels.demand, role.demand.clone()),
            (&labels.settings, role.settings.join(", ")),
        ];
        let mut card = format!("**{}**", role.name);
        for (label, value) in fields.iter().filter(|(_, v)| !v.trim().is_empty()) {
            card.push_str(&format!("\n- {label}: {value}"));
        }
        card
    }

    /// The index of the role with this id.
    pub(super) fn role_index(&self, id: &str) -> Option<usize> {
        self.knowledge.roles.iter().position(|r| r.id == id)
    }
}

/// "A, B and C".
fn join_names(names: &[&str], and: &str) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{}{and}{last}", rest.join(", ")),
    }
}
