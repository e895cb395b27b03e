//! Roles named in a message, found in the role catalogue, and "compare X and Y" answered from it.

use knowledge::Role;
use matcher::{Analysis, Analyzer};
use rustc_hash::FxHashMap;

use super::meaning::Meaning;
use super::{ANSWER_MIN, CERTAIN, Engine, Reply, contains_phrase, section};
use crate::UserState;
use crate::messages::{Aspect, RoleField, fill};
use crate::pattern::Words;
use crate::reading::{PhraseSet, Reading};

/// How many words before a cue that opens with the person ("front desk person at") say who
/// they are.
const NAMED_BEFORE_WORDS: usize = 2;
/// A message this short that asks about a fact ("how long does it take?") is a follow-up
/// about the role under discussion, even without "it" or "that".
pub(super) const SHORT_FOLLOW_UP: usize = 6;
/// How many words of its own a longer question about a fact may say and still follow up on
/// the role under discussion.
pub(super) const FOLLOW_UP_WORDS: usize = 2;
/// A message naming a role in at most this many words ("and for midwives?") asks again what
/// was asked in the last `CARRY_TURNS` messages.
const CARRY_WORDS: usize = 4;
const CARRY_TURNS: usize = 3;

/// Every fact of a role, in the order a role's card shows them.
const ALL_FIELDS: [RoleField; 7] = [
    RoleField::What,
    RoleField::EntryRoutes,
    RoleField::Qualifications,
    RoleField::Regulator,
    RoleField::Training,
    RoleField::Demand,
    RoleField::Settings,
];

/// The least confidence with which a description ("the people who do scans") is taken for a
/// role.
const ROLE_DESCRIBED_MIN: f32 = 0.3;

/// The words of its own a clause needs to describe a job by itself, without the rest of its
/// message ("are the people who do scans in demand?" has scans, hospital, demand).
const DESCRIPTION_WORDS: usize = 2;
/// How much better a description must fit a role of another kind than the role named in it
/// for the described role to win.
const DESCRIBED_BETTER: f32 = 0.15;
/// Two roles a description fits within this of each other fit it about as well.
pub(super) const FIT_NEAR: f32 = 0.05;

/// At most this many roles are compared in one answer.
const MAX_COMPARED: usize = 3;

/// The names of every role, as stemmed word runs, longest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct RoleNames {
    /// Each name as stems, with its role's position, or `OTHER_JOB` for a job outside the NHS
    /// that holds a role's name ("combat medic").
    names: Vec<(Vec<String>, usize)>,
    /// The last word of each of `names` as written.
    last_words: Vec<String>,
    /// The number of each of `names`, filed by its first stem.
    names_by_first: PhraseSet<usize>,
    /// The names as normalised words, unstemmed.
    exact: Vec<Vec<String>>,
    /// How many of `exact` are roles' names; the rest are other jobs'.
    role_names: usize,
    /// The number of each of `exact`, filed by its first word.
    exact_by_first: PhraseSet<usize>,
}

/// What a message asks, for `Engine::role_fact`: its words, the words of the clauses that ask
/// when others only tell and they find an answer of their own, and whether it refers back to
/// the subject under discussion.
#[derive(Clone, Copy)]
pub(super) struct Question<'a> {
    pub words: &'a [String],
    pub asked: Option<&'a [String]>,
    pub refers: bool,
}

impl RoleNames {
    /// Indexes the names and aliases of `roles`, and the names of `other_jobs`: jobs outside
    /// the NHS whose names hold a role's ("combat medic", "vet nurse"), which name no role.
    pub(crate) fn new(roles: &[Role], other_jobs: &[String], analyzer: &Analyzer) -> RoleNames {
        // A word the lexicon expands to exactly a role's own name names that role too ("dr" is
        // "doctor"); not a phrase, nor a word for an alias ("ptp" is the training programme
        // more than the practitioner).
        let mut short_forms: FxHashMap<&[String], Vec<Vec<String>>> = FxHashMap::default();
        for (phrase, meaning) in analyzer.lexicon().expansions() {
            if phrase.len() == 1 {
                short_forms
                    .entry(meaning)
                    .or_default()
                    .push(phrase.to_vec());
            }
        }
        let role_names: Vec<(Vec<String>, usize)> = (roles.iter().enumerate())
            .flat_map(|(i, role)| role.names().map(move |name| (name, i)))
            .map(|(name, i)| (analyzer.normal_words(name), i))
            .collect();
        let shorts: Vec<(Vec<String>, usize)> = (roles.iter().enumerate())
            .flat_map(|(i, role)| {
                let name = analyzer.normal_words(&role.name);
                let forms = short_forms
                    .get(name.as_slice())
                    .cloned()
                    .unwrap_or_default();
                forms.into_iter().map(move |form| (form, i))
            })
            .filter(|(form, _)| !role_names.iter().any(|(name, _)| name == form))
            .collect();
        let role_names: Vec<(Vec<String>, usize)> = role_names.into_iter().chain(shorts).collect();
        let others: Vec<(Vec<String>, usize)> = (other_jobs.iter())
            .map(|name| (analyzer.normal_words(name), OTHER_JOB))
            .collect();
        let mut written: Vec<(Vec<String>, usize, String)> = (role_names.iter())
            .chain(&others)
            .filter_map(|(words, i)| {
                let last = words.last()?.clone();
                Some((stems(analyzer, words), *i, last))
            })
            .collect();
        written.sort_by_key(|(stems, _, _)| std::cmp::Reverse(stems.len()));
        let last_words = written.iter().map(|(_, _, last)| last.clone()).collect();
        let names: Vec<(Vec<String>, usize)> = written
            .into_iter()
            .map(|(stems, i, _)| (stems, i))
            .collect();
        let exact_names = |names: &[(Vec<String>, usize)]| -> Vec<Vec<String>> {
            (names.iter())
                .map(|(words, _)| words.clone())
                .filter(|words| !words.is_empty())
                .collect()
        };
        let mut exact = exact_names(&role_names);
        let role_names = exact.len();
        exact.extend(exact_names(&others));
        RoleNames {
            names_by_first: numbered(names.iter().map(|(stems, _)| stems)),
            names,
            last_words,
            exact_by_first: numbered(exact.iter()),
            exact,
            role_names,
        }
    }

    /// Where `words` name a role as it is written (a plural aside): "nurses" names the nurse,
    /// but "garden" does not name the gardener, though their stems are the same.
    pub(crate) fn spans_as_written(&self, words: &[String]) -> Vec<std::ops::Range<usize>> {
        let same = |a: &String, b: &String| {
            a == b
                || a.strip_suffix('s') == Some(b.as_str())
                || b.strip_suffix('s') == Some(a.as_str())
        };
        // (name, where): in the order of the names, then of the words.
        let mut found: Vec<(usize, usize)> = Vec::new();
        for (at, word) in words.iter().enumerate() {
            let plural = format!("{word}s");
            let firsts = [Some(word.as_str()), word.strip_suffix('s'), Some(&plural)];
            let filed = firsts.into_iter().flatten();
            for (_, number) in filed.flat_map(|w| self.exact_by_first.starting_with(w)) {
                let name = &self.exact[*number];
                let run = words.get(at..at + name.len());
                if run.is_some_and(|run| run.iter().zip(name).all(|(a, b)| same(a, b))) {
                    found.push((*number, at));
                }
            }
        }
        found.sort_unstable();
        let spans = |other: bool| {
            (found.iter())
                .filter(move |(number, _)| (*number >= self.role_names) == other)
                .map(|&(number, at)| at..at + self.exact[number].len())
        };
        // A role's name inside another job's names no role ("combat medic").
        let others: Vec<std::ops::Range<usize>> = spans(true).collect();
        // Each span once, though several names of a role match it ("hca" and "hcas").
        let mut kept: Vec<std::ops::Range<usize>> = Vec::new();
        for span in spans(false) {
            let inside_other =
                (others.iter()).any(|other| other.start <= span.start && span.end <= other.end);
            if !inside_other && !kept.contains(&span) {
                kept.push(span);
            }
        }
        kept
    }

    /// The role whose name is the whole message ("physio", "mental health nursing").
    pub(crate) fn alone(&self, analyzer: &Analyzer, words: &[String]) -> Option<usize> {
        let stemmed = stems(analyzer, words);
        self.names
            .iter()
            .find(|(name, _)| *name == stemmed)
            .map(|(_, role)| *role)
    }

    /// The roles named in `words` (normalised), in the order they appear, each once; where
    /// names overlap the longest wins ("mental health nurse" over "nurse").
    pub(crate) fn find(&self, analyzer: &Analyzer, words: &[String]) -> Vec<usize> {
        let stemmed = stems(analyzer, words);
        // (name, where) for every name found, longest names first.
        let mut matches: Vec<(usize, usize)> = Vec::new();
        for (start, stem) in stemmed.iter().enumerate() {
            for &(_, number) in self.names_by_first.starting_with(stem) {
                let name = &self.names[number].0;
                let end = start + name.len();
                if stemmed.get(start..end) == Some(&name[..])
                    && !verb_of(&words[end - 1], &self.last_words[number])
                {
                    matches.push((number, start));
                }
            }
        }
        matches.sort_unstable();
        let mut taken = vec![false; stemmed.len()];
        let mut found: Vec<(usize, usize)> = Vec::new();
        for (number, start) in matches {
            let span = start..start + self.names[number].0.len();
            if !taken[span.clone()].contains(&true) {
                taken[span].iter_mut().for_each(|t| *t = true);
                found.push((start, self.names[number].1));
            }
        }
        found.sort_unstable();
        let mut roles: Vec<usize> = Vec::new();
        for (_, role) in found {
            if role != OTHER_JOB && !roles.contains(&role) {
                roles.push(role);
            }
        }
        roles
    }
}

/// True when `word` is what `name` is derived from ("manage" of "manager" and "management",
/// "garden" of "gardener"), or another word derived from what an agent's name is ("programmes"
/// beside "programmer"): it shares the name's stem, but "can't manage with no wage" names no
/// manager and "leadership programmes" no programmer. A plural is the name, and so is the work
/// it does ("nursing", "cleaning", "microbiology").
fn verb_of(word: &str, name: &str) -> bool {
    if name
        .strip_prefix(word)
        .is_some_and(|rest| !matches!(rest, "" | "s" | "es"))
    {
        return true;
    }
    let Some(base) = ["ers", "ors", "er", "or"]
        .iter()
        .find_map(|agent| name.strip_suffix(agent))
    else {
        return false;
    };
    word.strip_prefix(base).is_some_and(|rest| {
        !(matches!(rest, "" | "s" | "ing" | "y" | "ies")
            || rest.starts_with("er")
            || rest.starts_with("or"))
    })
}

/// The role position of a name of a job outside the NHS (`RoleNames::new`).
const OTHER_JOB: usize = usize::MAX;

/// Word runs, each filed by its first word with its number.
fn numbered<'a>(runs: impl Iterator<Item = &'a Vec<String>>) -> PhraseSet<usize> {
    let mut set = PhraseSet::default();
    for (number, run) in runs.enumerate() {
        set.insert(run.clone(), number);
    }
    set
}

fn stems(analyzer: &Analyzer, words: &[String]) -> Vec<String> {
    words.iter().map(|w| analyzer.stem(w)).collect()
}

/// The role catalogue as documents to rank a description against: each role's names, the
/// everyday words for what it does, and what it does.
pub(super) fn role_docs(roles: &[Role]) -> Vec<matcher::PhraseDoc> {
    roles
        .iter()
        .map(|role| matcher::PhraseDoc {
            phrases: role.descriptions().map(str::to_owned).collect(),
            keywords: Vec::new(),
            body: String::new(),
        })
        .collect()
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
        let asks = self.compare_words.iter().any(|w| contains_phrase(words, w));
        // One role named is compared with another under discussion, not with itself ("the
        // difference between the types of nursing" after nursing).
        let discussed = state.role.as_deref().and_then(|id| self.role_index(id));
        let enough =
            named.len() >= 2 || matches!((named, discussed), ([one], Some(other)) if *one != other);
        // "compare" on its own asks which roles to compare.
        let bare = words.len() <= named.len() + 2;
        if !asks || !(enough || bare) {
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
        let intro = &self.messages.compare_intro;
        self.side_by_side(&roles, &ALL_FIELDS, intro, intent, next)
    }

    /// Some facts (`fields`) of several roles, one card each under a line naming them
    /// (`intro`, with `{roles}`); `topic` is the reply's topic.
    fn side_by_side(
        &self,
        roles: &[usize],
        fields: &[RoleField],
        intro: &str,
        topic: &str,
        next: &mut UserState,
    ) -> Reply {
        let roles: Vec<&Role> = roles.iter().map(|i| &self.knowledge.roles[*i]).collect();
        let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        let mut text = fill(intro, &[("roles", &join_names(&names, &self.messages.and))]);
        for role in &roles {
            text.push_str("\n\n");
            text.push_str(&self.role_card(role, fields));
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
            topic: Some(topic.to_owned()),
            confidence: 1.0,
            sources,
            suggestions,
            ..Reply::default()
        }
    }

    /// True when `words` name `count` roles as written, each joined to the next by words of
    /// `roles_joined` ("nurses n midwives"), not as one job's words ("liaison psychiatry
    /// nurse", "emergency medicine doctor") nor as a place ("… in a gp practice").
    fn named_apart(&self, words: &[String], count: usize) -> bool {
        let mut spans = self.role_names.spans_as_written(words);
        spans.sort_by_key(|span| (span.start, span.end));
        spans.dedup();
        let joined = |between: &[String]| {
            !between.is_empty() && between.iter().all(|w| self.roles_joined.contains(w))
        };
        spans.len() >= count
            && (spans.windows(2)).all(|pair| {
                pair[1].start > pair[0].end && joined(&words[pair[0].end..pair[1].start])
            })
    }

    /// A fact about one role from the catalogue, when the message asks about one: about the
    /// role it names or describes (`named`), unless the entry that answers it best (`best`,
    /// with its confidence) answers it better, or, in a follow-up, about the role under
    /// discussion. A message that is only a role's name gets the role's card.
    pub(super) fn role_fact(
        &self,
        question: Question<'_>,
        named: &[usize],
        best: Option<(&knowledge::Entry, f32)>,
        state: &UserState,
        next: &mut UserState,
    ) -> Option<Reply> {
        let Question {
            words,
            asked,
            refers,
        } = question;
        let best_entry = best.map(|(entry, _)| entry);
        let knowledge_confidence = best.map_or(0.0, |(_, confidence)| confidence);
        if let Some(role) = self.role_names.alone(&self.analyzer, words) {
            let role = &self.knowledge.roles[role];
            if best_entry.is_none_or(|e| e.id != role.entry) {
                return Some(self.role_reply(role, self.role_card(role, &ALL_FIELDS), None, next));
            }
            return None;
        }
        // A fact that an entry answers for every role is asked only where the message asks:
        // "QA vs QC in hospital pharmacy, what's the difference? interview tmrw" is not about
        // interviews. A question that refers back asks about what was said before it
        // ("retired paramedic wanting to come back part time, is that possible?"); "they" there
        // are people, not what was said ("got an interview… what checks do they do before i can
        // start" asks about the checks, not the interview).
        // A fact told as the writer's situation stands where the question asks nothing of its
        // own and no other entry answers it ("qualified as a midwife in nigeria… can i
        // work as a midwife in the nhs"; not "does his nursing degree from ghana count").
        let told = |aspect: &Aspect| {
            aspect.told
                // The ways in, asked of someone who trained abroad, are the ways in from
                // abroad ("my friend is a dentist in poland… how would she get into the nhs").
                && asked.is_none_or(|asked| {
                    self.aspect(asked).is_none_or(|found| {
                        found.fields.first() == Some(&RoleField::EntryRoutes)
                    })
                })
                && best.is_none_or(|(entry, confidence)| {
                    confidence < ANSWER_MIN
                        || named
                            .iter()
                            .any(|&r| self.knowledge.roles[r].entry == entry.id)
                })
        };
        let aspect = self.aspect(words).filter(|aspect| {
            aspect.entry.is_none()
                || told(aspect)
                || asked.is_none_or(|asked| {
                    self.analyzer.lexicon().refers_back(asked)
                        && !asked.iter().any(|w| matches!(w.as_str(), "they" | "them"))
                        || self
                            .aspect(asked)
                            .is_some_and(|found| std::ptr::eq(found, *aspect))
                })
        });
        let aspect = match aspect {
            Some(aspect) => aspect,
            // "And for midwives?": the same question as before, about another role.
            None => {
                // Not when the message says more than the role and finds its own entry surely
                // ("are HCAs needed much?" after what HCAs need: the demand for them).
                let own_entry =
                    knowledge_confidence >= CERTAIN && !self.only_names_role(words, named);
                let carried = (!own_entry)
                    .then(|| self.carried_aspect(words, named, state))
                    .flatten();
                let Some(carried) = carried else {
                    // The same question again of a role the entry just given names ("what
                    // about medicine, same thing?" after graduate entry): that entry.
                    if let Some(&role) = named.first()
                        && (self.same_again.iter()).any(|p| contains_phrase(words, p))
                        && let Some(topic) = self.topic_naming(state, role)
                    {
                        return Some(self.answer(topic, ANSWER_MIN, next));
                    }
                    // "What about medicine?" with no fact asked before: the role itself,
                    // unless the entry found names it ("and for midwives?" after demand).
                    let role = &self.knowledge.roles[*named.first()?];
                    let entry_names_role = best_entry.is_some_and(|entry| {
                        let text = format!("{} {}", entry.title, entry.subject);
                        (self.role_names)
                            .find(&self.analyzer, &self.analyzer.normal_words(&text))
                            .contains(&named[0])
                    });
                    // "What is a physiotherapist?": the role's card, whatever entries name
                    // it among others, unless the role's entry answers and is about it alone
                    // (not the page on allied health professions for "what is a dietitian").
                    let defines = self.asks_what_role_is(words, named);
                    let own_entry = best_entry.filter(|entry| {
                        entry.id == role.entry && self.entry_role(entry) == Some(named[0])
                    });
                    if defines && own_entry.is_some()
                        || !defines && (entry_names_role || !self.only_names_role(words, named))
                    {
                        return None;
                    }
                    let text = self.role_card(role, &ALL_FIELDS);
                    return Some(self.role_reply(role, text, None, next));
                };
                if let Some(reply) = self.entry_for_aspect(carried, Some(named[0]), next) {
                    return Some(reply);
                }
                let role = &self.knowledge.roles[named[0]];
                let text = self.role_card(role, &carried.fields);
                return Some(self.role_reply(role, text, Some(carried), next));
            }
        };
        // Against the entry that answers the fact for every role, an entry found surely that
        // does not speak of the fact answers something else ("what would the pay be like once
        // qualified" is not asked of the training of newly qualified doctors).
        let certain = best_entry.filter(|entry| {
            knowledge_confidence >= CERTAIN
                && (aspect.entry.is_none() || self.speaks_of_aspect(entry, words))
        });
        // Against the entry that answers a fact for every role, an entry is as good as certain
        // when the message names its subject in its own words ("where are the UK training
        // posts advertised? someone mentioned oriel").
        let named_subject = best_entry
            .filter(|entry| knowledge_confidence >= ANSWER_MIN && self.says_subject(words, entry));
        // "Where are porter jobs advertised?", or "where would I look for jobs round here?"
        // with a role under discussion or nothing else answering: an entry answers that for
        // every role, unless another answers with certainty ("where do I apply for doctor
        // training posts").
        // The overview of the role named is no answer to it ("wanna be a hca, where do they
        // post the jobs?").
        let overview_of_named = |entry: &knowledge::Entry| {
            named
                .first()
                .is_some_and(|&role| self.knowledge.roles[role].entry == entry.id)
        };
        // A role under discussion counts when the question follows it up, not when it says
        // more of its own than an entry answers ("where are training posts advertised? a
        // friend mentioned Oriel").
        let follows_role =
            state.role.is_some() && self.follows_up(words, refers) && !self.asks_in_general(words);
        // Nor is an entry of another part of the knowledge than the aspect's entry ("how do i
        // find nursing jobs" is not asked of "Demand for nurses", as "where do I apply for
        // doctor training posts" is of Oriel's entry).
        let about_another_fact = |entry: &knowledge::Entry| {
            aspect
                .entry
                .as_deref()
                .is_some_and(|id| section(id) != section(&entry.id))
        };
        if (!named.is_empty() || follows_role || knowledge_confidence < ANSWER_MIN)
            && certain.or(named_subject).is_none_or(|entry| {
                aspect.entry.as_ref() == Some(&entry.id)
                    || overview_of_named(entry)
                    // Nor, of a role named, an entry whose subject the message names but that
                    // says nothing of the fact asked ("wat band would a newly qualified nurse
                    // start on" is not asked of mentoring for the newly qualified).
                    || !named.is_empty()
                        && (about_another_fact(entry) || !self.speaks_of_aspect(entry, words))
            })
            && let Some(reply) = self.entry_for_aspect(aspect, named.first().copied(), next)
        {
            return Some(reply);
        }
        let certain_role = certain.map(|entry| (entry, self.entry_role(entry)));
        // A role named and a fact of it asked ("who regulates paramedics?"): the catalogue
        // answers, unless an entry about that kind of role answers.
        let answering = best_entry.filter(|_| knowledge_confidence >= ANSWER_MIN);
        let role = match *named {
            // A role named: the catalogue answers, unless an entry about that kind of role
            // answers, or another entry answers with certainty, or names its subject in the
            // message's words ("staff nurse here, dying for a change. how do i become an
            // advanced clinical practitioner"), and is not about a role of another kind
            // ("become a paramedic" is not about doctors).
            [one] => {
                // Not the role's own overview where it says nothing of the fact asked ("how do
                // u become a pharmacist" is not answered by what pharmacists do): the card.
                let silent = |entry: &knowledge::Entry| {
                    aspect.fields.first() == Some(&RoleField::EntryRoutes)
                        && self.title_fact(entry).is_none()
                        && self.entry_roles(entry).contains(&one)
                        && !self.speaks_of_aspect(entry, words)
                };
                if answering.is_some_and(|entry| {
                    self.entry_answers(entry, one, aspect, certain.or(named_subject))
                        && !silent(entry)
                }) {
                    return None;
                }
                one
            }
            // A follow-up: the catalogue answers about the role under discussion, unless an
            // entry about that role answers with certainty and is not the one just shown.
            // The same when no entry answers with certainty ("which council would I register
            // with once qualified?" about nursing is not about doctors' training).
            // Not a question about NHS jobs in general ("wat gcses do most nhs jobs want").
            [] if (self.follows_up(words, refers) || certain.is_none())
                && !self.asks_in_general(words) =>
            {
                let role = self.role_index(state.role.as_deref()?)?;
                let entry_says_more = certain_role.is_some_and(|(entry, about)| {
                    about == Some(role) && state.topic.as_deref() != Some(entry.id.as_str())
                });
                // "She wants to deliver babies, what does she need to do to get into that?":
                // an entry about another role, found with certainty in words of the message's
                // own, is what "that" is.
                // Not an entry about the wider kind of role the one under discussion is ("how
                // do u train for it, im 31 so not keen on loads of uni" after dietitians is not
                // asked of allied health professions).
                let entry_about_another = !self.follows_up(words, false)
                    && certain_role
                        .and_then(|(_, about)| about)
                        .is_some_and(|about| about != role && !self.same_kind(about, role));
                // "What does it actually involve?" just after an answer about no role (return
                // to practice, after "I qualified as a midwife"): that answer is what "it" is.
                let answered_since = (state.turns.last())
                    .and_then(|turn| self.knowledge.entry(turn.topic.as_deref()?))
                    .is_some_and(|entry| {
                        entry.id != self.knowledge.roles[role].entry
                            && self.entry_role(entry).is_none()
                    });
                // Not "what would I be doing", "what do they do": about the job.
                let about_it = words
                    .iter()
                    .any(|w| matches!(w.as_str(), "it" | "that" | "this"));
                let asks_what = aspect.fields.first() == Some(&RoleField::What) && about_it;
                // "How is specialty training recruited, is it nhs jobs?" after psychiatry:
                // the subject of an entry not about that role, said in its words, is what is
                // asked.
                let names_entry = certain_role.is_some_and(|(entry, about)| {
                    about != Some(role) && self.says_subject(words, entry)
                });
                if entry_says_more
                    || entry_about_another
                    || names_entry
                    || asks_what && answered_since
                {
                    return None;
                }
                role
            }
            // Several roles named and one fact of them asked ("whos the regulator for nurses n
            // midwives"): that fact of each, when each has it and no entry sure of itself
            // answers it for one of them.
            [_, _, ..]
                if named.len() <= MAX_COMPARED
                    && certain.is_none_or(|entry| {
                        !(named.iter())
                            .any(|&role| self.entry_answers(entry, role, aspect, certain))
                    }) =>
            {
                let asked = aspect.fields.first()?;
                let all_have = named.iter().all(|&role| {
                    !(self.role_field(&self.knowledge.roles[role], *asked).1)
                        .trim()
                        .is_empty()
                });
                if !all_have || aspect.entry.is_some() || !self.named_apart(words, named.len()) {
                    return None;
                }
                let last = &self.knowledge.roles[*named.last()?];
                let intro = &self.messages.roles_fact_intro;
                return Some(self.side_by_side(named, &aspect.fields, intro, &last.id, next));
            }
            _ => return None,
        };
        let asked = aspect.fields.first()?;
        let has_fact = |role: usize| {
            !(self.role_field(&self.knowledge.roles[role], *asked).1)
                .trim()
                .is_empty()
        };
        // A follow-up asking what the role under discussion does not have ("who does she
        // register with once she's qualified" after maternity support workers, asked for a
        // daughter who wants to be a midwife): the latest role of another kind that has it, of
        // the writer's interest or else of the conversation (a drug rep's qualifications are
        // not a production technician's).
        let role = if !has_fact(role) && named.is_empty() {
            let talked_of = (state.turns.iter().rev())
                .filter_map(|turn| turn.topic.as_deref())
                .filter_map(|topic| {
                    self.role_index(topic).or_else(|| {
                        let entry = self.knowledge.entry(topic)?;
                        self.entry_role(entry)
                    })
                });
            (next.profile.interests.iter().rev())
                .filter_map(|id| self.role_index(id))
                .chain(talked_of)
                .find(|&other| !self.same_kind(other, role) && has_fact(other))?
        } else {
            role
        };
        // A fact the role's record does not give: an entry on the role or its kind answers, or
        // one about no role that is sure of itself ("who regulates healthcare assistants");
        // otherwise the bot says it won't guess ("how long to train as a pharmacist" is not
        // answered by cardiac physiology).
        if !has_fact(role) {
            let related = answering.is_some_and(|entry| {
                entry.id == self.knowledge.roles[role].entry
                    || match self.entry_role(entry) {
                        Some(about) => self.same_kind(about, role),
                        None => certain.is_some(),
                    }
            });
            if related {
                return None;
            }
            let role = &self.knowledge.roles[role];
            if let Some(entry) = self.entry_naming(role, &aspect.named_in) {
                let reply = self.answer(entry, ANSWER_MIN, next);
                next.role = Some(role.id.clone());
                return Some(reply);
            }
            return Some(self.role_fact_unknown(role, aspect, next));
        }
        let role = &self.knowledge.roles[role];
        let text = self.role_card(role, &aspect.fields);
        Some(self.role_reply(role, text, Some(aspect), next))
    }

    /// The entry under discussion, when its answer names `role` ("medicine" in graduate entry).
    fn topic_naming(&self, state: &UserState, role: usize) -> Option<&knowledge::Entry> {
        let topic = self.knowledge.entry(state.topic.as_deref()?)?;
        let said = self.analyzer.normal_words(&topic.answer);
        (self.role_names.find(&self.analyzer, &said).contains(&role)).then_some(topic)
    }

    /// The first entry of `sections` whose subject or keywords name `role` by its name or an
    /// alias ("software developer" of the demand for digital roles).
    fn entry_naming(&self, role: &Role, sections: &[String]) -> Option<&knowledge::Entry> {
        let names: Vec<Vec<String>> = (role.names())
            .map(|name| self.analyzer.normal_words(name))
            .collect();
        (self.knowledge.entries.iter().enumerate())
            .filter(|(_, entry)| sections.iter().any(|s| s == section(&entry.id)))
            .find(|(number, _)| {
                (self.subject_phrases[*number].iter()).any(|phrase| names.contains(phrase))
            })
            .map(|(_, entry)| entry)
    }

    /// A fact of a role its record does not give ("how long to train as a pharmacist"): the
    /// bot says it won't guess, then gives what the record does say on it (the aspect's other
    /// facts), or else the whole card; the role's source page comes with it.
    fn role_fact_unknown(&self, role: &Role, aspect: &Aspect, next: &mut UserState) -> Reply {
        let known = |fields: &[RoleField]| {
            (fields.iter()).any(|field| !self.role_field(role, *field).1.trim().is_empty())
        };
        let fields = if known(&aspect.fields) {
            &aspect.fields[..]
        } else {
            &ALL_FIELDS[..]
        };
        let note = fill(
            &self.messages.role_fact_unknown,
            &[("ask", &aspect.ask), ("role", &role.name)],
        );
        let text = format!("{note}\n\n{}", self.role_card(role, fields));
        self.role_reply(role, text, Some(aspect), next)
    }

    /// The position of `entry` among the knowledge's entries.
    fn entry_number(&self, entry: &knowledge::Entry) -> Option<usize> {
        (self.knowledge.entries.iter()).position(|e| std::ptr::eq(e, entry))
    }

    /// True when `words` hold a word that is on its own the subject or a keyword of the entry
    /// numbered `entry` ("genetics" of the genetic sciences; `entry_words`).
    pub(super) fn names_keyword(&self, words: &[String], entry: usize) -> bool {
        (self.entry_words[entry].iter()).any(|word| words.contains(word))
    }

    /// True when `words` say the subject of `entry` in a phrase of its subject or keywords
    /// (`subject_phrases`).
    pub(super) fn says_subject(&self, words: &[String], entry: &knowledge::Entry) -> bool {
        let Some(number) = self.entry_number(entry) else {
            return false;
        };
        self.subject_phrases[number]
            .iter()
            .any(|phrase| words.windows(phrase.len()).any(|run| run == &phrase[..]))
    }

    /// The answer of the entry that answers `aspect` for every role, when it has one; `role`,
    /// the role named if any, becomes the one under discussion (else the one before stays).
    fn entry_for_aspect(
        &self,
        aspect: &Aspect,
        role: Option<usize>,
        next: &mut UserState,
    ) -> Option<Reply> {
        let entry = self.knowledge.entry(aspect.entry.as_deref()?)?;
        let reply = self.answer(entry, 1.0, next);
        if let Some(role) = role {
            next.role = Some(self.knowledge.roles[role].id.clone());
        }
        Some(reply)
    }

    /// The fact of a role the entry's title names ("Demand for nurses" names demand); an
    /// entry that answers a fact for every role ("Return to practice") names none.
    fn title_fact(&self, entry: &knowledge::Entry) -> Option<RoleField> {
        let title = self.analyzer.normal_words(&entry.title);
        let found = self.aspect(&title).filter(|found| found.entry.is_none())?;
        found.fields.first().copied()
    }

    /// True when the entry's title names the fact of a role `aspect` asks about.
    pub(super) fn title_names(&self, entry: &knowledge::Entry, aspect: &Aspect) -> bool {
        self.title_fact(entry)
            .is_some_and(|fact| aspect.fields.first() == Some(&fact))
    }

    /// True when an entry that answers a question about a fact (`aspect`) of a role named
    /// (`role`) answers it better than the role's card: the entry is that role's own; or it is
    /// about that kind of role and either about the same fact or sure of itself and not about
    /// another fact; or it is about no role, sure of itself and not about another fact ("do paramedics need a degree?" is not answered by "Are midwives
    /// and paramedics in demand?").
    pub(super) fn entry_answers(
        &self,
        entry: &knowledge::Entry,
        role: usize,
        aspect: &Aspect,
        certain: Option<&knowledge::Entry>,
    ) -> bool {
        let entry_fact = self.title_fact(entry);
        let same_fact = entry_fact.is_some() && entry_fact == aspect.fields.first().copied();
        let other_fact = entry_fact.is_some() && !same_fact;
        let own = self.knowledge.roles[role].entry == entry.id;
        match self.entry_role(entry) {
            // An entry about the role answers, unless it is about the demand for it and another
            // fact is asked ("does a pharmacy technician need a degree" is not asked of the
            // demand for pharmacy staff); entries on qualifications tell of training too.
            // An overview of a category of roles (tagged `roles`) answers what the job is,
            // not another fact of it ("tbh i think i wanna be a midwife. what do i need").
            Some(about) if about == role => match entry_fact {
                Some(fact) => !(other_fact && fact == RoleField::Demand),
                None => {
                    aspect.fields.first() == Some(&RoleField::What)
                        || !entry.tags.iter().any(|tag| tag == CATEGORY_TAG)
                }
            },
            // Nor does an overview of a wider role of that kind that is the role's own entry
            // answer what the job is: "what does a dietitian do" is the dietitian's card, not
            // what allied health professionals are; an entry about another role of the kind
            // does, when sure of itself ("what does parenteral nutrition have to do with
            // pharmacy jobs"). Nor another fact of it: "who are OTs registered with".
            Some(about) => {
                let asks_what = aspect.fields.first() == Some(&RoleField::What);
                self.same_kind(about, role)
                    && (same_fact
                        || certain.is_some()
                            && !other_fact
                            && (asks_what && !own || entry_fact.is_some()))
            }
            // "What does a podiatrist do": the role's own entry or its card says, not another
            // entry about no role that names it (primary care).
            None => {
                let asks_what = aspect.fields.first() == Some(&RoleField::What);
                certain.is_some()
                    && aspect.answered_in(&entry.id)
                    && !other_fact
                    && (own && (asks_what || same_fact) || !own && !asks_what)
            }
        }
    }

    /// True when the words describe a job by what it does rather than name it ("the people
    /// who do scans", "what's the job where you help people eat properly").
    pub(super) fn describes_role(&self, words: &[String]) -> bool {
        self.role_cues
            .iter()
            .chain(&self.role_verbs)
            .any(|cue| contains_phrase(words, cue))
    }

    /// True when `words` say something of their own besides the phrases and verbs that say a
    /// job is described: "who runs them?" says nothing, it refers back.
    pub(super) fn says_more_than_cues(&self, words: &[String]) -> bool {
        let rest = self.without_phrases(words, &self.role_cues);
        let rest: Vec<&str> = (rest.split_whitespace())
            .filter(|w| !self.role_verb_words.contains(*w))
            .collect();
        self.own_words(&rest) > 0
    }

    /// `words` without the phrases that say a job is being described (role names in them
    /// kept), joined as a text.
    fn without_role_cues(&self, words: &[String]) -> String {
        self.without_phrases(words, &self.role_cues)
    }

    /// `words` without `phrases` (role names in them kept), joined as a text.
    fn without_phrases(&self, words: &[String], phrases: &[Vec<String>]) -> String {
        let mut covered = vec![false; words.len()];
        for cue in phrases.iter().filter(|c| !c.is_empty()) {
            for start in 0..words.len().saturating_sub(cue.len() - 1) {
                if words[start..start + cue.len()] == cue[..] {
                    covered[start..start + cue.len()].fill(true);
                }
            }
        }
        // A role named inside a cue ("the doctor for") still says which job.
        for span in self.role_names.spans_as_written(words) {
            covered[span].fill(false);
        }
        let kept: Vec<&str> = words
            .iter()
            .zip(covered)
            .filter(|(_, covered)| !covered)
            .map(|(w, _)| w.as_str())
            .collect();
        kept.join(" ")
    }

    /// The words that describe a job: the clauses that say one is described ("are the people
    /// who do scans in demand?"), without the rest of the message ("thinking about it for
    /// uni"); the whole message's words when no clause says so with words of its own, besides
    /// the words asking about a fact ("mental health doctor - what are they called and how long
    /// do they train").
    pub(super) fn description(&self, reading: &Reading, analysis: &Analysis) -> Vec<String> {
        let lexicon = self.analyzer.lexicon();
        let markers: Vec<Vec<String>> = self
            .role_cues
            .iter()
            .chain(&self.role_verbs)
            .cloned()
            .collect();
        let own_words = |words: &[String]| {
            (words.iter())
                .filter(|w| !lexicon.is_stop_word(w) && !lexicon.is_weak_word(w))
                .count()
        };
        // A clause that describes a job, from its first cue on when enough is said after it
        // ("what do u need to be one of the ppl who do the scans at hospital": the scans at
        // hospital; not "helps people walk again, what job is that").
        let cued: Vec<String> = reading
            .clauses
            .iter()
            .enumerate()
            .filter(|(_, clause)| self.describes_role(&clause.words))
            .flat_map(|(index, clause)| {
                let words = &clause.words;
                // The sentence before, for a cue asking what a job described before it is
                // called that opens its own ("hospital cleaner jobs, what are they called").
                let before = index
                    .checked_sub(1)
                    .map(|before| &reading.clauses[before].words)
                    .filter(|before| own_words(before) >= DESCRIPTION_WORDS);
                let first = (0..words.len()).find_map(|at| {
                    let cue =
                        (markers.iter()).find(|m| !m.is_empty() && words[at..].starts_with(m))?;
                    // A cue that follows what names the person ("the front desk person at a
                    // gp surgery").
                    let named_before = self.role_cues_after_name.contains(cue);
                    // A cue asking what the job described before it is called ("hospital
                    // cleaner jobs, what are they called in nhs speak"): the words before it.
                    let described_before = self.role_cues_after_description.contains(cue);
                    Some(if named_before {
                        (at.saturating_sub(NAMED_BEFORE_WORDS), false)
                    } else {
                        (at, described_before)
                    })
                });
                match first {
                    Some((at, true)) if own_words(&words[..at]) >= DESCRIPTION_WORDS => {
                        words[..at].to_vec()
                    }
                    Some((at, true)) if own_words(&words[..at]) == 0 && before.is_some() => {
                        before.cloned().unwrap_or_default()
                    }
                    Some((at, _)) if own_words(&words[at..]) >= DESCRIPTION_WORDS => {
                        words[at..].to_vec()
                    }
                    _ => words.clone(),
                }
            })
            .collect();
        // Words that ask about a fact of the role ("how long do they train") describe nothing.
        let uncued: Vec<String> = self
            .without_phrases(&cued, &markers)
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let described: Vec<&String> = self
            .beside_aspect(&uncued)
            .unwrap_or_else(|| uncued.iter().collect());
        let own = described
            .into_iter()
            .filter(|w| !lexicon.is_stop_word(w) && !lexicon.is_weak_word(w))
            .count();
        if own >= DESCRIPTION_WORDS && cued.len() < analysis.words.len() {
            cued
        } else {
            // What stands in for a role denied describes no job.
            self.without_phrases(
                &analysis.words,
                std::slice::from_ref(&self.role_denied_stand_in),
            )
            .split_whitespace()
            .map(str::to_owned)
            .collect()
        }
    }

    /// The role whose description best matches a message that describes one, with how well it
    /// fits, if one matches well enough.
    /// A role the message names (`named`) gives way to the described one only when the
    /// description fits a role of the same kind better ("the nurse who visits people at home"
    /// is a community nurse, but "the job market for pharmacists" is not about sales).
    /// A role of another kind gives way too when the description fits the described role far
    /// better than it fits the named one ("someone who helps old people get dressed and cook
    /// again": an occupational therapist, not the catering staff that "cooking" names).
    /// The writer's own job and the roles named as places (`others`) are never the one
    /// described.
    pub(super) fn role_described(
        &self,
        words: &[String],
        named: &[usize],
        others: &[usize],
    ) -> Option<(usize, f32)> {
        // Not the writer's own job ("im a pharmacy tech and want to work in the bit that makes
        // the chemo, what's that called"), nor where the person works ("the front desk person
        // at a gp surgery").
        let mut ranked = self.roles_described(words);
        ranked.retain(|(role, _)| !others.contains(role));
        let named: Vec<usize> = named
            .iter()
            .copied()
            .filter(|r| !others.contains(r))
            .collect();
        let named = &named[..];
        let &(role, confidence) = ranked.first()?;
        let fit = |r: usize| {
            ranked
                .iter()
                .find(|(o, _)| *o == r)
                .map_or(0.0, |(_, c)| *c)
        };
        let specific = named == [role]
            || !named.contains(&role)
                && named
                    .iter()
                    .all(|n| self.same_kind(*n, role) || fit(*n) + DESCRIBED_BETTER <= confidence);
        (confidence >= ROLE_DESCRIBED_MIN && specific).then_some((role, confidence))
    }

    /// How well a description fits one role (0 when it fits none).
    pub(super) fn description_fit(&self, words: &[String], role: usize) -> f32 {
        self.roles_described(words)
            .into_iter()
            .find(|(r, _)| *r == role)
            .map_or(0.0, |(_, fit)| fit)
    }

    /// Every role a description could be about, by words and meaning together, best first,
    /// with its confidence, its confidence by words and its similarity in meaning.
    pub(super) fn roles_described(&self, words: &[String]) -> Vec<(usize, f32)> {
        self.role_candidates(words)
            .into_iter()
            .map(|(role, words, similarity)| (role, Meaning::combine(words, similarity)))
            .collect()
    }

    /// The roles nearest to a description by words and by meaning: each with its confidence by
    /// words and its similarity in meaning, best (by both together) first.
    pub(super) fn role_candidates(&self, words: &[String]) -> Vec<(usize, f32, f32)> {
        // The words that say a job is being described ("the person who", "what is that job
        // called") say nothing about which job: "called" is no sign of a call handler.
        let described = self.analyzer.analyze(&self.without_role_cues(words));
        let analysis = &described;
        let count = self.knowledge.roles.len();
        let similarity = self
            .meaning
            .role_scores(&self.meaning.encode(&analysis.words.join(" ")), count);
        let mut words = vec![0.0_f32; count];
        for found in self.role_index.rank(analysis) {
            words[found.doc] = words[found.doc].max(found.confidence);
        }
        let mut roles: Vec<(usize, f32, f32)> = (0..count)
            .map(|role| (role, words[role], similarity[role]))
            .collect();
        roles.sort_by(|a, b| Meaning::combine(b.1, b.2).total_cmp(&Meaning::combine(a.1, a.2)));
        roles
    }

    /// A role's overview, for a message that names or describes only that role: its entry when
    /// the entry answers the message with certainty and is about that role (or about no one
    /// role), else its card.
    pub(super) fn role_overview(
        &self,
        role: usize,
        best_entry: Option<&knowledge::Entry>,
        confidence: f32,
        next: &mut UserState,
    ) -> Reply {
        // The role's entry, unless it is about another role: "a learning disability nurse" gets
        // that role's card, not the page on nursing in general.
        let about_another = |e: &knowledge::Entry| self.entry_role(e).is_some_and(|r| r != role);
        let role = &self.knowledge.roles[role];
        if let Some(entry) =
            best_entry.filter(|e| e.id == role.entry && confidence >= CERTAIN && !about_another(e))
        {
            let mut reply = self.answer(entry, confidence, next);
            next.role = Some(role.id.clone());
            reply.confidence = confidence;
            return reply;
        }
        self.role_reply(role, self.role_card(role, &ALL_FIELDS), None, next)
    }

    /// True when the words ask about NHS jobs in general ("most nhs jobs", "in general"), not
    /// the role under discussion.
    fn asks_in_general(&self, words: &[String]) -> bool {
        (self.in_general.iter()).any(|phrase| contains_phrase(words, phrase))
    }

    /// The fact of a role the message asks about ("how long" asks about training).
    pub(super) fn aspect(&self, words: &[String]) -> Option<&Aspect> {
        self.aspect_span(words).map(|(aspect, _)| aspect)
    }

    /// True when the knowledge entry `entry` says a word of its own of those in `words` that
    /// ask about a fact of a role ("pay" of "what would the pay be like once qualified").
    fn speaks_of_aspect(&self, entry: &knowledge::Entry, words: &[String]) -> bool {
        let lexicon = self.analyzer.lexicon();
        let Some((number, (_, span))) = self.entry_number(entry).zip(self.aspect_span(words))
        else {
            return false;
        };
        (words[span].iter())
            .filter(|w| !lexicon.is_stop_word(w) && !lexicon.is_weak_word(w))
            .any(|w| self.retriever.entry_holds(number, w))
    }

    /// The fact of a role the message asks about, and the words that ask about it.
    fn aspect_span(&self, words: &[String]) -> Option<(&Aspect, std::ops::Range<usize>)> {
        self.aspect_found(words)
            .map(|(number, span)| (&self.messages.aspect[number], span))
    }

    /// The position of the fact of a role the message asks about, and the words that ask
    /// about it.
    fn aspect_found(&self, words: &[String]) -> Option<(usize, std::ops::Range<usize>)> {
        let text = Words::new(
            words,
            |w| self.analyzer.stem(w),
            |w| self.aspect_soft.contains(w),
        );
        self.aspect_index
            .candidates(&text)
            .into_iter()
            .find_map(|number| {
                let (aspect, pattern) = &self.aspect_patterns[number];
                let span = pattern.find(&text)?;
                Some((*aspect, span))
            })
    }

    /// True when `words` ask about a fact of the role under discussion and little else: they
    /// refer back to it ("how long does that take?"), are short, or say at most
    /// `FOLLOW_UP_WORDS` words of their own besides the fact asked ("how long till i'd be
    /// qualified").
    pub(super) fn follows_up(&self, words: &[String], refers: bool) -> bool {
        refers
            || words.len() <= SHORT_FOLLOW_UP
            || self
                .beside_aspect(words)
                .is_some_and(|rest| self.own_words(&rest) <= FOLLOW_UP_WORDS)
    }

    /// How many of `words` say something of their own: neither stop words nor weak words.
    pub(super) fn own_words<W: AsRef<str>>(&self, words: &[W]) -> usize {
        let lexicon = self.analyzer.lexicon();
        words
            .iter()
            .filter(|w| !lexicon.is_stop_word(w.as_ref()) && !lexicon.is_weak_word(w.as_ref()))
            .count()
    }

    /// The words the phrase of the role fact they ask about leaves uncovered, when they ask
    /// about one, besides words of that fact's other phrases ("how long does that take?"
    /// leaves "that"; "is there an apprenticeship instead of uni" leaves nothing).
    pub(super) fn beside_aspect<'w>(&self, words: &'w [String]) -> Option<Vec<&'w String>> {
        let (number, span) = self.aspect_found(words)?;
        let asking = &self.aspect_words[number];
        Some(
            words
                .iter()
                .enumerate()
                .filter(|(at, w)| !span.contains(at) && !asking.contains(*w))
                .map(|(_, w)| w)
                .collect(),
        )
    }

    /// A reply about a role: its entry becomes the topic, the role the one under discussion,
    /// and the buttons ask about its other facts.
    fn role_reply(
        &self,
        role: &Role,
        text: String,
        asked: Option<&Aspect>,
        next: &mut UserState,
    ) -> Reply {
        if next.topic.as_deref() != Some(role.entry.as_str()) {
            next.shown.clear();
        }
        next.topic = Some(role.entry.clone());
        next.role = Some(role.id.clone());
        let others = self
            .messages
            .aspect
            .iter()
            .filter(|a| asked.is_none_or(|asked| asked.fields.first() != a.fields.first()))
            .filter(|a| {
                a.fields
                    .first()
                    .is_some_and(|f| !self.role_field(role, *f).1.trim().is_empty())
            })
            .map(|a| a.ask.clone());
        let mut suggestions: Vec<String> = others.take(2).collect();
        suggestions.extend(self.knowledge.entry(&role.entry).map(|e| e.label.clone()));
        let mut sources = role.sources.clone();
        let text =
            match asked.and_then(|aspect| aspect.preface.as_ref().zip(aspect.otherwise.as_ref())) {
                Some((preface, from)) => {
                    let from = self.knowledge.entry(from).map(|e| e.sources.iter());
                    sources.extend(
                        from.into_iter()
                            .flatten()
                            .filter(|s| !role.sources.contains(s))
                            .cloned(),
                    );
                    format!("{preface}\n\n{text}")
                }
                None => text,
            };
        Reply {
            text,
            topic: Some(role.id.clone()),
            confidence: 1.0,
            sources,
            suggestions,
            ..Reply::default()
        }
    }

    /// The label and value of one fact of a role.
    fn role_field<'a>(&'a self, role: &Role, field: RoleField) -> (&'a str, String) {
        let labels = &self.messages.role_labels;
        match field {
            RoleField::What => (&labels.what, role.what.clone()),
            RoleField::EntryRoutes => (&labels.entry_routes, role.entry_routes.join("; ")),
            RoleField::Qualifications => (&labels.qualifications, role.qualifications.clone()),
            RoleField::Regulator => (&labels.regulator, role.regulator.clone()),
            RoleField::Training => (&labels.training, role.training.clone()),
            RoleField::Demand => (&labels.demand, role.demand.clone()),
            RoleField::Settings => (&labels.settings, role.settings.join(", ")),
        }
    }

    /// The role an entry is about, when its title or subject names exactly one.
    pub(super) fn entry_role(&self, entry: &knowledge::Entry) -> Option<usize> {
        match self.entry_roles(entry)[..] {
            [one] => Some(one),
            _ => None,
        }
    }

    /// The roles an entry's title and subject name ("Midwives and paramedics in demand").
    pub(super) fn entry_roles(&self, entry: &knowledge::Entry) -> Vec<usize> {
        let text = format!("{} {}", entry.title, entry.subject);
        self.role_names
            .find(&self.analyzer, &self.analyzer.normal_words(&text))
    }

    /// Some of a role's facts as a short list under its name.
    fn role_card(&self, role: &Role, fields: &[RoleField]) -> String {
        let mut card = format!("**{}**", role.name);
        for field in fields {
            let (label, value) = self.role_field(role, *field);
            if !value.trim().is_empty() {
                card.push_str(&format!("\n- {label}: {value}"));
            }
        }
        card
    }

    /// The fact asked about in the last few messages, when this one only names a role ("and
    /// for midwives?", "what about paramedics").
    fn carried_aspect(
        &self,
        words: &[String],
        named: &[usize],
        state: &UserState,
    ) -> Option<&Aspect> {
        // "Whats audiology": what the role is, not the fact asked before.
        if named.len() != 1 || words.len() > CARRY_WORDS || self.asks_what_role_is(words, named) {
            return None;
        }
        state
            .turns
            .iter()
            .rev()
            .take(CARRY_TURNS)
            .filter(|turn| {
                turn.topic
                    .as_deref()
                    .is_some_and(|t| self.answered_about_role(t))
            })
            .find_map(|turn| self.aspect(&self.analyzer.normal_words(&turn.text)))
    }

    /// True when a short message names one role and only turns to it ("what about medicine?",
    /// "and physios?": `role_switch`).
    fn only_names_role(&self, words: &[String], named: &[usize]) -> bool {
        let soft = words
            .iter()
            .filter(|w| self.aspect_soft.contains(*w))
            .count();
        words.len() - soft <= CARRY_WORDS
            && self
                .besides_role(words, named)
                .is_some_and(|rest| self.role_switch.contains(&rest))
    }

    /// True when a short message names one role and only asks what it is ("whats a
    /// physiotherapist?", "what is a paramedic exactly": `role_define`).
    fn asks_what_role_is(&self, words: &[String], named: &[usize]) -> bool {
        self.besides_role(words, named)
            .is_some_and(|rest| self.role_define.contains(&rest))
    }

    /// The words of a message that names one role, besides its name and the words that
    /// soften a question (`aspect_soft`).
    fn besides_role(&self, words: &[String], named: &[usize]) -> Option<Vec<String>> {
        if named.len() != 1 {
            return None;
        }
        let spans = self.role_names.spans_as_written(words);
        let rest = (words.iter().enumerate())
            .filter(|(at, _)| !spans.iter().any(|span| span.contains(at)))
            .map(|(_, word)| word)
            .filter(|word| !self.aspect_soft.contains(*word))
            .cloned()
            .collect();
        (!spans.is_empty()).then_some(rest)
    }

    /// True when a reply with this topic was about a role: from its card, or its entry.
    fn answered_about_role(&self, topic: &str) -> bool {
        self.role_index(topic).is_some()
            || self
                .knowledge
                .entry(topic)
                .is_some_and(|entry| self.entry_role(entry).is_some())
    }

    /// True when two roles are in the same category (a physiotherapist and allied health
    /// professionals in general).
    fn same_kind(&self, a: usize, b: usize) -> bool {
        self.knowledge.roles[a].category == self.knowledge.roles[b].category
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

/// The tag of the entries that give an overview of a category of roles (`knowledge/groups/`).
const CATEGORY_TAG: &str = "roles";

#[cfg(test)]
mod tests {
    use super::verb_of;

    #[test]
    fn a_word_a_name_is_derived_from_is_not_the_name() {
        for (word, name) in [
            ("manage", "manager"),
            ("manage", "management"),
            ("garden", "gardener"),
            ("programmes", "programmer"),
        ] {
            assert!(verb_of(word, name), "{word} / {name}");
        }
        for (word, name) in [
            ("manager", "manager"),
            ("nurses", "nurses"),
            ("medic", "medics"),
            ("nursing", "nurse"),
            ("cleaning", "cleaner"),
            ("portering", "porter"),
            ("nurse", "nurses"),
            ("nurse", "nursing"),
            ("microbiology", "microbiologist"),
        ] {
            assert!(!verb_of(word, name), "{word} / {name}");
        }
    }
}
