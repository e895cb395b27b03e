//! The engine: understands a message and decides the reply.

mod actions;
mod career_finder;
mod meaning;
mod roles;

use knowledge::{Entry, Hit, Knowledge, Retriever, SourceFile};
use matcher::{Analysis, Analyzer, Lexicon, PhraseDoc, PhraseIndex, Words};
use rustc_hash::FxHashSet;
use serde::Serialize;

use crate::content::{
    ENGLISH, FINDER, LEXICON, MESSAGES, PLACES, PROFILE, READING, SAFETY_EXAMPLES, SAFETY_SIGNS,
    quoted,
};
use crate::finder::Finder;
use crate::messages::{fill, variant};
use crate::pattern::{PatternIndex, WordPattern};
use crate::profile::{FactFinder, Field};
use crate::reading::{Clause, Part, Reader, Reading};
use crate::safety::{Assessment, Outcome, Safety};
use crate::{
    Action, Content, Error, Intent, IntentKind, Messages, Offer, Pending, Profile, UserState,
};
use meaning::{Declined, Meaning, SafetyBank};
use roles::{FIT_NEAR, FOLLOW_UP_WORDS, Question, RoleNames, SHORT_FOLLOW_UP};

/// The least confidence with which a knowledge entry is given as the answer.
const ANSWER_MIN: f32 = 0.42;
/// The least confidence with which an intent is taken.
const INTENT_MIN: f32 = 0.5;
/// Two candidates closer than this are ambiguous, unless the first is at least `CERTAIN`.
const AMBIGUITY_MARGIN: f32 = 0.02;
/// How far behind an uncertain best answer the entry the writer's stage suggests may be and
/// still be given instead.
const SUGGESTED_MARGIN: f32 = 0.08;
const CERTAIN: f32 = 0.6;
/// The least confidence with which a fallback intent (out of scope, patient services, health)
/// is taken, when it matches better than any knowledge entry.
const DECLINE_MIN: f32 = 0.35;
/// The least confidence with which a statement about the user ("I'm 45 and want to switch
/// careers into healthcare") is also answered, besides being noted.
const STATEMENT_ANSWER_MIN: f32 = 0.7;
/// A best entry at least this sure, `CLEAR_MARGIN` ahead of the next and among the
/// `CLEAR_NEAREST` entries nearest in meaning, answers though under `ANSWER_MIN`.
const CLEAR_MIN: f32 = 0.33;
const CLEAR_MARGIN: f32 = 0.1;
const CLEAR_NEAREST: usize = 3;
/// How many words before an employer outside the NHS may say it is the writer's own ("i've
/// worked at tesco").
const ELSEWHERE_OWN_WORDS: usize = 3;
/// A best entry at least this sure that is also the entry nearest in meaning, with at least
/// this similarity and this far ahead of the next nearest, answers though under
/// `ANSWER_MIN`: the two signals agree.
const AGREE_MIN: f32 = 0.2;
const AGREE_SIMILARITY: f32 = 0.4;
const AGREE_GAP: f32 = 0.05;
/// The least confidence with which a wish that names no role ("always wanted to make
/// artificial legs") is taken to describe one.
const WISH_DESCRIBED_MIN: f32 = 0.4;
/// How many words besides stop words a question needs to be read apart from the rest of its
/// message (`Engine::asked_alone`): "what are they called" is too little.
const ASKED_WORDS: usize = 2;
/// How many words of its own (besides the question's phrase and stop and weak words) a
/// follow-up asking about a fact of a role has when it says nothing about what it means
/// ("how long does that take?").
const VAGUE_WORDS: usize = 0;
/// Words of their own said before a reference ("that") that give it something in the message
/// to refer to.
const OWN_REFERENT_WORDS: usize = 2;
/// How many words of its own a message that refers back, with nothing under discussion, says
/// at most when it says too little to be answered ("is that hard?").
const BARE_WORDS: usize = 1;
/// How much the subject under discussion weighs in a follow-up, against the words typed.
const SUBJECT_WEIGHT: f32 = 1.5;
/// A message that refers back takes the follow-up reading unless it is worse than the message
/// alone by more than this.
const FOLLOW_UP_MARGIN: f32 = 0.1;
/// A follow-up reading gives way to the message alone when the message's own words back the
/// entry it finds by less than the message's own best by more than this.
const OWN_SUPPORT_GAP: f32 = 0.15;
/// How close the two entries a question's frame finds alone must be for the frame to name no
/// subject of its own (`Engine::with_context`: "what's involved in that?").
const FRAME_MARGIN: f32 = 0.05;
/// The most words a remark beside thanks has ("ty, that's really helpful").
const REMARK_WORDS: usize = 5;
/// An entry at least this near in meaning, and this far ahead of the next nearest, comes
/// before the words' best when the words are unsure (`Engine::meaning_first`).
const MEANING_FIRST_SIMILARITY: f32 = 0.6;
const MEANING_FIRST_GAP: f32 = 0.1;
/// A best by words at least this sure is never overruled by meaning.
const MEANING_OVERRULES_BELOW: f32 = 0.7;
/// A best by words from `CERTAIN` up is overruled only by an entry this near in meaning, when
/// the words' best is not among the `MEANING_FAR` nearest.
const MEANING_SURE_SIMILARITY: f32 = 0.68;
const MEANING_FAR: usize = 5;
/// How near an out-of-scope example a message must be, and how much nearer than to any entry,
/// to be declined though no intent's words say so (`Engine::off_topic`).
const OFF_TOPIC_MIN: f32 = 0.65;
const OFF_TOPIC_GAP: f32 = 0.3;
/// How far ahead, by words and meaning together, what a wish alone finds first must be of an
/// unrelated next entry (`Engine::wished_alone`).
const WISH_GAP: f32 = 0.05;
/// How many words after "instead of" name what the writer does not want.
const ALTERNATIVE_WORDS: usize = 3;
/// The life stage of someone who trained abroad (a value of `intents/profile.toml`).
const TRAINED_ABROAD: &str = "trained abroad";
/// At most this many buttons are offered with an answer.
const MAX_BUTTONS: usize = 4;
/// The action of the "tell me more" button.
const MORE: &str = "more";

/// One message from a user: text, or a button press.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    /// What the user typed (for a press: ignored when the button is found).
    pub text: String,
    /// The label of the button pressed, if this is a press.
    pub press: Option<String>,
}

impl Input {
    /// A typed message.
    pub fn text(text: impl Into<String>) -> Input {
        Input {
            text: text.into(),
            press: None,
        }
    }

    /// A button press.
    pub fn press(label: impl Into<String>) -> Input {
        let label = label.into();
        Input {
            text: label.clone(),
            press: Some(label),
        }
    }
}

/// The bot's reply to one message.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reply {
    /// The reply text, in the content's light markup (`**bold**`, bullet lines).
    pub text: String,
    /// The id of the intent or knowledge entry that produced the reply.
    pub topic: Option<String>,
    /// How sure the engine was, 0..1.
    pub confidence: f32,
    /// True when the bot did not answer from its careers knowledge.
    pub fallback: bool,
    /// Links the reply rests on.
    pub sources: Vec<String>,
    /// Labels of the buttons offered with the reply.
    pub suggestions: Vec<String>,
    /// Time spent on the turn, in microseconds (set by `Conversations`).
    pub micros: u64,
    /// The user confirmed "forget me": everything stored about them is deleted instead of the
    /// new state being saved.
    #[serde(skip)]
    pub forget: bool,
}

impl Reply {
    /// True when nothing should be sent (a flooding user's message is ignored).
    pub fn is_silent(&self) -> bool {
        self.text.is_empty()
    }
}

/// How the engine understood a message (see `Engine::explain`).
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// Normalised words.
    pub words: Vec<String>,
    /// Stems matched, with their factors.
    pub stems: Vec<String>,
    /// Typos corrected.
    pub corrections: Vec<(String, String)>,
    /// Best intents and their confidence.
    pub intents: Vec<(String, f32)>,
    /// Best entries, their confidence and their rank score.
    pub entries: Vec<(String, f32, f32)>,
    /// The message's reading: clauses, what each word is, the place and whom it asks for.
    pub reading: Reading,
    /// What the safety stage made of it, and why.
    pub safety: Assessment,
    /// Entries nearest in meaning and their cosine similarity.
    pub meaning: Vec<(String, f32)>,
    /// Candidate entries (the best by words and by meaning), each with its confidence from the
    /// words and its similarity in meaning.
    pub candidates: Vec<(String, f32, f32)>,
    /// For each clause, the nearest examples of the safety stage's bank: outcome and
    /// similarity.
    pub bank: Vec<Vec<(Outcome, f32)>>,
    /// Whether the message describes a job by what it does ("the people who do scans").
    pub describes_role: bool,
    /// The roles nearest the message by words and meaning: each with its confidence by words
    /// and its similarity in meaning.
    pub roles: Vec<(String, f32, f32)>,
    /// The roles named in the message (ids), as the reading finds them.
    pub named: Vec<String>,
    /// The fact of a role the message asks about, as its button asks it.
    pub aspect: Option<String>,
}

/// The dialogue engine, built once from the content and shared by every conversation.
pub struct Engine {
    knowledge: Knowledge,
    intents: Vec<Intent>,
    messages: Messages,
    analyzer: Analyzer,
    reader: Reader,
    safety: Safety,
    /// The safety stage's examples, encoded.
    bank: SafetyBank,
    /// The out-of-scope intents' examples, encoded, and that intent's index.
    declined: Declined,
    out_of_scope: Option<usize>,
    retriever: Retriever,
    meaning: Meaning,
    intent_index: PhraseIndex,
    /// Trigger phrases (normalised words) and their intent, emergencies first.
    triggers: Vec<(Vec<String>, usize)>,
    facts: FactFinder,
    finder: Finder,
    role_names: RoleNames,
    /// The roles' names and descriptions, to find a role described by what it does.
    role_index: PhraseIndex,
    /// Phrases that describe a job rather than name it ("the person who"), as normalised words.
    role_cues: Vec<Vec<String>>,
    /// `role_cues_after_name` of `intents/messages.toml`, normalised: also in `role_cues`.
    role_cues_after_name: Vec<Vec<String>>,
    /// `role_cues_after_description` of `intents/messages.toml`, normalised: also in
    /// `role_cues`.
    role_cues_after_description: Vec<Vec<String>>,
    /// `role_verbs` of `intents/messages.toml`, normalised.
    role_verbs: Vec<Vec<String>>,
    /// Every word of `role_verbs`.
    role_verb_words: FxHashSet<String>,
    /// `role_switch` of `intents/messages.toml`, normalised.
    role_switch: Vec<Vec<String>>,
    /// `role_define` of `intents/messages.toml`, normalised.
    role_define: Vec<Vec<String>>,
    /// `role_place_after` of `intents/messages.toml`, normalised.
    role_place_after: Vec<Vec<String>>,
    /// `role_messenger_after` of `intents/messages.toml`, normalised.
    role_messenger_after: Vec<Vec<String>>,
    /// `role_origin_before` of `intents/messages.toml`, normalised.
    role_origin_before: Vec<Vec<String>>,
    /// `role_helped_before` of `intents/messages.toml`, normalised.
    role_helped_before: Vec<Vec<String>>,
    /// `role_messenger_before` of `intents/messages.toml`, normalised.
    role_messenger_before: Vec<Vec<String>>,
    /// `role_teller_after` of `intents/messages.toml`, normalised.
    role_teller_after: Vec<Vec<String>>,
    /// `role_place_before` of `intents/messages.toml`, normalised.
    role_place_before: Vec<Vec<String>>,
    /// `role_compared_before` of `intents/messages.toml`, normalised.
    role_compared_before: Vec<Vec<String>>,
    /// `picked_after` of `intents/messages.toml`, normalised.
    picked_after: FxHashSet<String>,
    /// `picked_opening` of `intents/messages.toml`, normalised.
    picked_opening: FxHashSet<String>,
    /// `picked_ordinals` of `intents/messages.toml`, normalised, in order.
    picked_ordinals: Vec<String>,
    /// `picked_last` of `intents/messages.toml`, normalised.
    picked_last: FxHashSet<String>,
    /// `sequence_after` of `intents/messages.toml`, normalised.
    sequence_after: Vec<Vec<String>>,
    /// `sequence_before` of `intents/messages.toml`, normalised.
    sequence_before: Vec<Vec<String>>,
    /// `roles_joined` of `intents/messages.toml`, normalised.
    roles_joined: FxHashSet<String>,
    /// `aspect_soft` of `intents/messages.toml`, normalised.
    aspect_soft: FxHashSet<String>,
    /// Phrases after which users name their job, as normalised words.
    job_before: Vec<Vec<String>>,
    /// `job_not_after` of `intents/messages.toml`, normalised.
    job_not_after: FxHashSet<String>,
    /// `job_after` of `intents/messages.toml`, normalised.
    job_after: Vec<Vec<String>>,
    /// `job_left_before` of `intents/messages.toml`, normalised.
    job_left_before: FxHashSet<String>,
    /// `own_job` of `intents/messages.toml`, as normalised words.
    own_job: Vec<Vec<String>>,
    /// `role_denied_before` of `intents/messages.toml`, as normalised words.
    role_denied_before: Vec<Vec<String>>,
    /// `in_general` of `intents/messages.toml`, as normalised words.
    in_general: Vec<Vec<String>>,
    /// `same_again` of `intents/messages.toml`, as normalised words.
    same_again: Vec<Vec<String>>,
    /// `job_asked_before` of `intents/messages.toml`, as normalised words.
    job_asked_before: Vec<Vec<String>>,
    /// `same_here` of `intents/messages.toml`, as normalised words.
    same_here: Vec<Vec<String>>,
    /// `turned_back` of `intents/messages.toml`, as normalised words.
    turned_back: Vec<Vec<String>>,
    /// `elsewhere` of `intents/messages.toml`, as normalised words.
    elsewhere: Vec<Vec<String>>,
    /// `in_the_nhs` of `intents/messages.toml`, normalised.
    in_the_nhs: FxHashSet<String>,
    /// `elsewhere_own` of `intents/messages.toml`, normalised.
    elsewhere_own: FxHashSet<String>,
    /// `elsewhere_asked_after` of `intents/messages.toml`, normalised.
    elsewhere_asked_after: FxHashSet<String>,
    /// The intent named by `elsewhere_intent` of `intents/messages.toml`.
    elsewhere_intent: Option<usize>,
    /// `role_denied_stand_in` of `intents/messages.toml`, as normalised words.
    role_denied_stand_in: Vec<String>,
    /// `alternative_before` of `intents/messages.toml`, as normalised words.
    alternative_before: Vec<Vec<String>>,
    /// Words that ask for a comparison, as normalised words.
    compare_words: Vec<Vec<String>>,
    /// `compared_before` of `intents/messages.toml`, as normalised words.
    compared_before: Vec<Vec<String>>,
    /// For each knowledge entry, the phrases of its subject and keywords with two words or
    /// more that are not stop words, as normalised words: how a message names its subject.
    subject_phrases: Vec<Vec<Vec<String>>>,
    /// For each knowledge entry, its subject and keywords of one word besides stop and weak
    /// words, normalised: how a message names it in a word (`Engine::names_keyword`).
    entry_words: Vec<Vec<String>>,
    /// The first keyword of each entry about a group of roles (tagged `roles`), as normalised
    /// words: the group's own name ("ambulance", "digital"; see `knowledge/README.md`).
    group_names: Vec<Vec<String>>,
    /// The knowledge's subjects and keywords of one word (besides stop words), normalised:
    /// words that name what a message is about ("hsst", "digital").
    subject_words: FxHashSet<String>,
    /// The patterns of the aspects of a role, each with its aspect's position, in order.
    aspect_patterns: Vec<(usize, WordPattern)>,
    /// For each aspect, the words of its phrases: they ask about the fact, not about what it
    /// is a fact of ("take" of "does it take").
    aspect_words: Vec<FxHashSet<String>>,
    /// `aspect_patterns`, filed by the words they need.
    aspect_index: PatternIndex,
    /// Typed answers that mean yes / no, as normalised words.
    yes_words: Vec<Vec<String>>,
    no_words: Vec<Vec<String>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("entries", &self.knowledge.entries.len())
            .field("roles", &self.knowledge.roles.len())
            .field("intents", &self.intents.len())
            .finish_non_exhaustive()
    }
}

/// A word with the endings of its other forms: "rehome", "rehomes", "rehomed", "rehoming";
/// "stop", "stopped", "stopping".
fn word_forms(word: &str) -> Vec<String> {
    let stem = word.strip_suffix('e').unwrap_or(word);
    let mut forms = vec![
        word.to_owned(),
        format!("{word}s"),
        format!("{word}es"),
        format!("{stem}ed"),
        format!("{stem}ing"),
    ];
    if let Some(last) = word.chars().last().filter(|c| !"aeiouwy".contains(*c)) {
        forms.extend([format!("{word}{last}ed"), format!("{word}{last}ing")]);
    }
    forms
}

impl Engine {
    /// Builds the engine: parses and checks all content and builds the indexes.
    pub fn new(content: &Content) -> Result<Engine, Error> {
        let lexicon_file = content.intents_file(LEXICON)?;
        let lexicon = Lexicon::parse(&lexicon_file.text, &lexicon_file.path)?;
        let messages_file = content.intents_file(MESSAGES)?;
        let messages = Messages::parse(&messages_file.path, &messages_file.text)?;
        let knowledge = Knowledge::parse(&content.knowledge)?;
        let mut intents = Vec::new();
        for file in content.intent_files() {
            intents.extend(Intent::parse_file(&file.path, &file.text)?);
        }
        check_unique_intents(&intents, content)?;

        let signs_file = content.intents_file(SAFETY_SIGNS)?;
        let reading_file = content.intents_file(READING)?;
        let places_file = content.intents_file(PLACES)?;
        // The words of the stage's patterns are known words, never taken for typos of others;
        // of "~rehome", every form ("rehoming my cat" is no "becoming").
        let stage_words: Vec<String> = quoted(&signs_file.text)
            .chain(quoted(&reading_file.text))
            .flat_map(|p| p.split_whitespace())
            .filter(|w| !w.starts_with(['<', '*', '#']))
            .flat_map(|token| {
                let forms = token.starts_with('~');
                let token = token.trim_start_matches(['~', '!']);
                (token.split(['|', '_'])).flat_map(move |w| {
                    if forms {
                        word_forms(w)
                    } else {
                        vec![w.to_owned()]
                    }
                })
            })
            .collect();
        let texts = vocabulary(&knowledge, &intents);
        let mut analyzer = Analyzer::new(
            lexicon,
            texts
                .into_iter()
                .chain(stage_words.iter().map(String::as_str)),
        );
        let reader = Reader::parse(
            (&reading_file.path, &reading_file.text),
            (&places_file.path, &places_file.text),
            |t| analyzer.normal_words(t),
        )?;
        if let Some(unknown) = (reader.small_talk().ids())
            .into_iter()
            .find(|id| !intents.iter().any(|i| i.id == *id))
        {
            let message = format!("small_talk names {unknown:?}, which is no intent");
            return Err(Error::content(&reading_file.path, 1, message));
        }
        analyzer.protect(quoted(&places_file.text).flat_map(str::split_whitespace));
        analyzer.protect(messages.elsewhere.iter().flat_map(|p| p.split_whitespace()));
        let english = content.intents_file(ENGLISH)?;
        analyzer.protect(english.text.lines().filter(|l| !l.starts_with('#')));
        let safety = Safety::parse(
            &signs_file.path,
            &signs_file.text,
            |t| analyzer.normal_words(t),
            |w| analyzer.stem(w),
        )?;
        // The two slowest to build, side by side.
        let (retriever, meaning) = std::thread::scope(|scope| {
            let retriever = scope.spawn(|| Retriever::new(&knowledge, &analyzer));
            let meaning = Meaning::new(&knowledge);
            let retriever = retriever
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (retriever, meaning)
        });
        let (retriever, meaning) = (retriever?, meaning?);
        let bank_file = content.intents_file(SAFETY_EXAMPLES)?;
        let bank = SafetyBank::new(&meaning, &bank_file.path, &bank_file.text, |t| {
            analyzer.normal_words(t)
        })?;
        let declined = intents.iter().filter(|i| i.kind == IntentKind::OutOfScope);
        let declined = Declined::new(&meaning, declined.flat_map(|i| &i.examples), |t| {
            analyzer.normal_words(t)
        })?;
        let out_of_scope = intents
            .iter()
            .position(|i| i.kind == IntentKind::OutOfScope);
        let intent_docs: Vec<PhraseDoc> = intents
            .iter()
            .map(|i| PhraseDoc {
                phrases: i.examples.clone(),
                ..PhraseDoc::default()
            })
            .collect();
        let intent_index = PhraseIndex::new(&analyzer, &intent_docs);
        let mut triggers: Vec<(Vec<String>, usize)> = intents
            .iter()
            .enumerate()
            .flat_map(|(i, intent)| intent.triggers.iter().map(move |t| (t, i)))
            .map(|(t, i)| (analyzer.normal_words(t), i))
            .filter(|(words, _)| !words.is_empty())
            .collect();
        triggers.sort_by_key(|(_, i)| intents[*i].kind.trigger_priority());
        let profile_file = content.intents_file(PROFILE)?;
        let facts = FactFinder::parse(
            &profile_file.path,
            &profile_file.text,
            |t| analyzer.normal_words(t),
            |w| analyzer.stem(w),
        )?;
        let finder_file = content.intents_file(FINDER)?;
        let finder = Finder::parse(&finder_file.path, &finder_file.text, |id| {
            knowledge.entry(id).is_some()
        })?;
        check_intent_entries(&intents, &knowledge, content)?;
        check_tailors(&facts, &knowledge, &profile_file.path)?;
        let role_names = RoleNames::new(&knowledge.roles, &messages.other_jobs, &analyzer);
        let phrases = |list: &[String]| list.iter().map(|p| analyzer.normal_words(p)).collect();
        let (yes_words, no_words) = (phrases(&messages.yes), phrases(&messages.no));
        let compare_words = phrases(&messages.compare_words);
        let compared_before = phrases(&messages.compared_before);
        let subject_phrases = subject_phrases(&knowledge, &analyzer);
        let entry_words = entry_words(&knowledge, &analyzer);
        let group_names = (knowledge.entries.iter())
            .filter(|entry| entry.tags.iter().any(|t| t == "roles"))
            .filter_map(|entry| entry.keywords.first())
            .map(|name| analyzer.normal_words(name))
            .collect();
        let subject_words = subject_words(&knowledge, &analyzer);
        let role_cues_after_name: Vec<Vec<String>> = phrases(&messages.role_cues_after_name);
        let role_cues_after_description: Vec<Vec<String>> =
            phrases(&messages.role_cues_after_description);
        // Those asking what a job described before them is called first: "what is that job
        // called" before "what is that job".
        let role_cues = (role_cues_after_description.iter().cloned())
            .chain(phrases(&messages.role_cues))
            .chain(role_cues_after_name.iter().cloned())
            .collect();
        let role_verbs = phrases(&messages.role_verbs);
        let role_verb_words = role_verbs.iter().flatten().cloned().collect();
        let role_switch = phrases(&messages.role_switch);
        let role_define = phrases(&messages.role_define);
        let word_set = |list: &[String]| -> FxHashSet<String> {
            list.iter().flat_map(|w| analyzer.normal_words(w)).collect()
        };
        let aspect_soft = word_set(&messages.aspect_soft);
        let roles_joined = word_set(&messages.roles_joined);
        let picked_after = word_set(&messages.picked_after);
        let role_place_after = phrases(&messages.role_place_after);
        let role_messenger_after = phrases(&messages.role_messenger_after);
        let role_messenger_before = phrases(&messages.role_messenger_before);
        let role_teller_after = phrases(&messages.role_teller_after);
        let role_origin_before = phrases(&messages.role_origin_before);
        let role_helped_before = phrases(&messages.role_helped_before);
        let role_place_before = phrases(&messages.role_place_before);
        let role_compared_before = phrases(&messages.role_compared_before);
        let picked_opening = word_set(&messages.picked_opening);
        let picked_ordinals = (messages.picked_ordinals.iter())
            .flat_map(|w| analyzer.normal_words(w))
            .collect();
        let picked_last = word_set(&messages.picked_last);
        let sequence_after = phrases(&messages.sequence_after);
        let sequence_before = phrases(&messages.sequence_before);
        let job_before = phrases(&messages.job_before);
        let own_job = phrases(&messages.own_job);
        let role_denied_before = phrases(&messages.role_denied_before);
        let elsewhere = phrases(&messages.elsewhere);
        let in_general = phrases(&messages.in_general);
        let same_again = phrases(&messages.same_again);
        let same_here = phrases(&messages.same_here);
        let job_asked_before = phrases(&messages.job_asked_before);
        let turned_back = phrases(&messages.turned_back);
        let in_the_nhs = word_set(&messages.in_the_nhs);
        let elsewhere_own = word_set(&messages.elsewhere_own);
        let elsewhere_asked_after = word_set(&messages.elsewhere_asked_after);
        let elsewhere_intent = match messages.elsewhere_intent.as_deref() {
            Some(id) => Some(intents.iter().position(|i| i.id == id).ok_or_else(|| {
                let message = format!("elsewhere_intent names {id:?}, which is no intent");
                Error::content(&messages_file.path, 1, message)
            })?),
            None => None,
        };
        let role_denied_stand_in = analyzer.normal_words(&messages.role_denied_stand_in);
        let alternative_before = phrases(&messages.alternative_before);
        let job_not_after = word_set(&messages.job_not_after);
        let job_after = phrases(&messages.job_after);
        let job_left_before = word_set(&messages.job_left_before);
        let role_index = PhraseIndex::new(&analyzer, &roles::role_docs(&knowledge.roles));
        let aspect_patterns = aspect_patterns(&messages, messages_file, &analyzer, &knowledge)?;
        let aspect_words = aspect_words(messages.aspect.len(), &aspect_patterns);
        if let Some(id) = messages.wish_entry.as_deref()
            && knowledge.entry(id).is_none()
        {
            let message = format!("wish_entry: no knowledge entry '{id}'");
            return Err(Error::content(&messages_file.path, 1, message));
        }
        Ok(Engine {
            compared_before,
            subject_phrases,
            entry_words,
            group_names,
            subject_words,
            knowledge,
            intents,
            messages,
            analyzer,
            reader,
            safety,
            bank,
            declined,
            out_of_scope,
            retriever,
            meaning,
            intent_index,
            triggers,
            facts,
            finder,
            role_names,
            role_index,
            role_cues,
            role_cues_after_name,
            role_cues_after_description,
            role_verbs,
            role_verb_words,
            role_switch,
            picked_after,
            role_place_after,
            role_messenger_after,
            role_messenger_before,
            role_teller_after,
            role_origin_before,
            role_helped_before,
            role_place_before,
            role_compared_before,
            picked_opening,
            picked_ordinals,
            picked_last,
            sequence_after,
            sequence_before,
            role_define,
            roles_joined,
            aspect_soft,
            job_before,
            job_not_after,
            job_after,
            job_left_before,
            own_job,
            role_denied_before,
            elsewhere,
            in_general,
            same_again,
            same_here,
            job_asked_before,
            turned_back,
            in_the_nhs,
            elsewhere_own,
            elsewhere_asked_after,
            elsewhere_intent,
            role_denied_stand_in,
            alternative_before,
            compare_words,
            aspect_index: PatternIndex::new(aspect_patterns.iter().map(|(_, p)| p)),
            aspect_patterns,
            aspect_words,
            yes_words,
            no_words,
        })
    }

    /// The knowledge base the engine answers from.
    pub fn knowledge(&self) -> &Knowledge {
        &self.knowledge
    }

    /// The analyzer that reads messages (for tools that compare texts as the engine does).
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The intents the engine knows.
    pub fn intents(&self) -> &[Intent] {
        &self.intents
    }

    /// The bot's own sentences, for adapters that answer without taking a turn (e.g. to a
    /// sticker).
    pub fn messages(&self) -> &Messages {
        &self.messages
    }

    /// How a message is understood, for people tuning the content: the analysed words, the
    /// corrections, and the best intents and entries with their confidence.
    pub fn explain(&self, text: &str) -> Explanation {
        let reading = self.read(text);
        let safety = self.assess(&reading);
        let analysis = self.analyzer.weigh(reading.content(), true);
        let vector = self.meaning.encode(&analysis.words.join(" "));
        let by_meaning = self.meaning.entries(&vector, 5);
        let scores = self
            .meaning
            .entry_scores(&vector, self.knowledge.entries.len());
        let lexical = self.retriever.search(&analysis);
        let mut candidates: Vec<(String, f32, f32)> = Vec::new();
        let ids = lexical.iter().take(10).map(|h| h.entry).chain(
            self.meaning
                .entries(&vector, 10)
                .into_iter()
                .map(|(e, _)| e),
        );
        for entry in ids {
            let id = &self.knowledge.entries[entry].id;
            if candidates.iter().any(|(c, _, _)| c == id) {
                continue;
            }
            let words = lexical
                .iter()
                .find(|h| h.entry == entry)
                .map_or(0.0, |h| h.confidence);
            candidates.push((id.clone(), words, scores[entry]));
        }
        let intents = self.intent_index.rank(&analysis).into_iter().take(3);
        let entries = self.search(&analysis).into_iter().take(5);
        let bank = reading
            .clauses
            .iter()
            .map(|c| {
                self.bank
                    .nearest(&self.meaning.encode(&c.words.join(" ")), 5)
            })
            .collect();
        Explanation {
            words: analysis.words.clone(),
            stems: analysis
                .slots
                .iter()
                .map(|s| format!("{}×{:.2}", s.stem, s.factor))
                .collect(),
            corrections: analysis.corrections.clone(),
            intents: intents
                .map(|m| (self.intents[m.doc].id.clone(), m.confidence))
                .collect(),
            entries: entries
                .map(|h| {
                    (
                        self.knowledge.entries[h.entry].id.clone(),
                        h.confidence,
                        h.rank,
                    )
                })
                .collect(),
            reading,
            safety,
            bank,
            meaning: by_meaning
                .into_iter()
                .map(|(e, score)| (self.knowledge.entries[e].id.clone(), score))
                .collect(),
            candidates,
            named: self
                .roles_named(&analysis.words)
                .0
                .into_iter()
                .map(|r| self.knowledge.roles[r].id.clone())
                .collect(),
            describes_role: self.describes_role(&analysis.words),
            aspect: self.aspect(&analysis.words).map(|a| a.ask.clone()),
            roles: self
                .role_candidates(&analysis.words)
                .into_iter()
                .take(5)
                .map(|(r, words, similarity)| {
                    (self.knowledge.roles[r].id.clone(), words, similarity)
                })
                .collect(),
        }
    }

    /// The entries that answer a message, by its words and its meaning together.
    fn search(&self, analysis: &Analysis) -> Vec<Hit> {
        let lexical = self.retriever.search(analysis);
        self.meaning
            .rank(&analysis.words, &lexical, self.knowledge.entries.len())
    }

    /// Reads a message (see `reading`): its clauses, noise and facts about the writer.
    pub fn read(&self, text: &str) -> Reading {
        let mut reading = self.reader.read(&self.analyzer, text);
        for clause in &mut reading.clauses {
            self.facts.mark(&clause.words, &mut clause.parts);
        }
        reading
    }

    /// Notes what the writer says about themselves: the facts of `intents/profile.toml`, the
    /// nation of a place they named, training abroad, and whom they ask for. Returns how the bot
    /// repeats back each new fact.
    fn learn(&self, reading: &Reading, profile: &mut Profile) -> Vec<String> {
        let stem = |w: &str| self.analyzer.stem(w);
        let mut notes = self.facts.learn(&reading.all_words(), stem, profile);
        if let Some((place, nation)) = &reading.place {
            profile.place = Some(place.clone());
            notes.extend(self.facts.set(Field::Nation, nation, profile));
        }
        if reading.abroad.is_some() {
            notes.extend(self.facts.set(Field::Stage, TRAINED_ABROAD, profile));
        }
        if let Some(role) = self.job_named(reading) {
            let id = &self.knowledge.roles[role].id;
            if profile.job.as_ref() != Some(id) {
                profile.job = Some(id.clone());
                let job = self.knowledge.roles[role].name.to_lowercase();
                notes.push(fill(&self.messages.job_note, &[("job", &job)]));
            }
        }
        if let Some(who) = &reading.on_behalf
            && profile.asking_for.as_ref() != Some(who)
        {
            profile.asking_for = Some(who.clone());
            notes.push(fill(&self.messages.asking_for_note, &[("who", who)]));
        }
        notes
    }

    /// The role the writer says is their job ("I've been an HCA for 3 years"): the first of
    /// `jobs_named`.
    fn job_named(&self, reading: &Reading) -> Option<usize> {
        self.jobs_named(reading).first().copied()
    }

    /// The roles the writer says are their jobs: a role named within a few words after a
    /// phrase of `job_before` that no word of `job_not_after` turns into a question ("I'm a
    /// pharmacist"), then one named straight before a phrase of `job_after` in a clause that
    /// asks nothing ("band 6 physio here", "nurse by background"; not "ex nurse here").
    fn jobs_named(&self, reading: &Reading) -> Vec<usize> {
        const WITHIN: usize = 4;
        let before = reading.clauses.iter().flat_map(|clause| {
            let words = &clause.words;
            (0..words.len()).filter_map(|at| {
                let frame = self
                    .job_before
                    .iter()
                    .find(|p| words[at..].starts_with(p))?;
                // "Can I work as a nurse?" asks; it does not say the writer's job.
                if at > 0 && self.job_not_after.contains(&words[at - 1]) {
                    return None;
                }
                let after = at + frame.len();
                let window = &words[after.min(words.len())..(after + WITHIN).min(words.len())];
                // "I'm a pharmacist" names the job; "I'm a nurse from India" too.
                self.role_names
                    .find(&self.analyzer, window)
                    .first()
                    .copied()
            })
        });
        let after = (reading.clauses.iter().filter(|c| !c.asks)).flat_map(|clause| {
            let words = &clause.words;
            (self.role_names.spans_as_written(words).into_iter())
                .filter(|span| {
                    (self.job_after.iter()).any(|p| words[span.end..].starts_with(p))
                        && (span.start == 0
                            || !self.job_left_before.contains(&words[span.start - 1]))
                })
                .filter_map(|span| {
                    (self.role_names.find(&self.analyzer, &words[span]).first()).copied()
                })
        });
        let mut jobs: Vec<usize> = Vec::new();
        for role in before.chain(after) {
            if !jobs.contains(&role) {
                jobs.push(role);
            }
        }
        jobs
    }

    /// True when the bot's last reply to this user answered from the knowledge base: an
    /// entry or a role.
    fn careers_answered(&self, state: &UserState) -> bool {
        (state.turns.last())
            .and_then(|turn| turn.topic.as_deref())
            .is_some_and(|topic| {
                self.knowledge.entry(topic).is_some() || self.knowledge.role(topic).is_some()
            })
    }

    /// The safety stage's assessment of a message that was read.
    /// When no sign of urgency speaks and nothing asks about careers, the bank of examples is
    /// the net: a clause close to examples of an emergency, a crisis or a health worry gets
    /// that reply.
    pub fn assess(&self, reading: &Reading) -> Assessment {
        self.assess_in(reading, &UserState::default())
    }

    /// `assess`, in a conversation: a question that refers back to what the bot just answered
    /// about careers ("does it go up the longer u stay" after pay) is no case for the bank.
    fn assess_in(&self, reading: &Reading, state: &UserState) -> Assessment {
        let mut assessment = self.safety.assess(
            reading,
            |w| self.analyzer.stem(w),
            |words| self.role_names.spans_as_written(words),
            |words| self.bank.confirm(&self.meaning.encode(&words.join(" "))),
        );
        // The bank is weaker than a sign: it speaks only where no sign does.
        // A red flag alone is a health worry the bank may find an emergency ("my uncle has
        // been out in the cold all night and is now confused").
        let unsigned =
            matches!(assessment.outcome, Outcome::Careers | Outcome::Patient) || assessment.flagged;
        if assessment.careers || assessment.idiom || !unsigned || self.asks_known(reading) {
            return assessment;
        }
        let careers_answered = self.careers_answered(state);
        for (index, clause) in reading.clauses.iter().enumerate() {
            let lexicon = self.analyzer.lexicon();
            if careers_answered && clause.asks && lexicon.refers_back(&clause.words) {
                continue;
            }
            // Manners alone ("hiya, bit of a weird one") tell nothing for the bank to catch.
            if !clause.has_content() {
                continue;
            }
            // A telling that refers back to what the question before it asks about is read
            // with that question ("wat even is agenda for change, my mate keeps going on about
            // it"): its "it" is the question's subject, not a person's trouble.
            let asked_before = index
                .checked_sub(1)
                .map(|before| &reading.clauses[before])
                .filter(|before| before.asks && !clause.asks && lexicon.refers_back(&clause.words));
            // Who the writer is says nothing of how they are: a clause that only states a job
            // ("im a porter") has nothing for the bank to catch.
            let told = self.safety.without_jobs_stated(
                &clause.words,
                &self.role_names.spans_as_written(&clause.words),
            );
            if told.is_empty() {
                continue;
            }
            let text = match asked_before {
                Some(before) => format!("{} {}", before.words.join(" "), told.join(" ")),
                None => told.join(" "),
            };
            let vector = self.meaning.encode(&text);
            // A red flag is a sign the bank confirms, as it confirms a held-back health worry.
            let vote = if assessment.flagged {
                self.bank.confirm(&vector)
            } else {
                self.bank.vote(&vector)
            };
            let Some((mut outcome, similarity)) = vote else {
                continue;
            };
            // Near emergencies, but the person is fine now or help has come ("bumped his head,
            // acting totally normal now but there's a big egg on it"), or the trouble has
            // lasted ("my nan keeps getting UTIs"): a worry for NHS 111.
            if (assessment.over || assessment.lasting) && outcome == Outcome::Emergency {
                outcome = Outcome::Health;
            }
            if assessment.flagged && outcome != Outcome::Emergency {
                continue;
            }
            if outcome.urgency() > assessment.outcome.urgency() {
                assessment.outcome = outcome;
                assessment.clause = Some(index);
                let vote = format!("{outcome:?}: near the bank's examples ({similarity:.2})");
                assessment.signals.push(vote.to_lowercase());
            }
        }
        assessment
    }

    /// True when the words beside the greetings and thanks are plainly something other than
    /// small talk that an intent answers ("recommend me something to watch on netflix ty").
    fn asks_other_than_small_talk(&self, reading: &Reading) -> bool {
        let analysis = self.analyzer.weigh(reading.content(), true);
        self.intent_index.rank(&analysis).first().is_some_and(|m| {
            self.intents[m.doc].kind != IntentKind::Smalltalk && m.confidence >= INTENT_MIN
        })
    }

    /// True when the message is plainly something the bot does ("what have you got saved about
    /// me"): an intent other than safety's matches it with confidence, so the bank of
    /// examples has nothing to catch.
    fn asks_known(&self, reading: &Reading) -> bool {
        let analysis = self.analyzer.weigh(reading.content(), true);
        self.intent_index.rank(&analysis).first().is_some_and(|m| {
            let kind = self.intents[m.doc].kind;
            !kind.is_safety() && !kind.is_fallback() && m.confidence >= INTENT_MIN
        })
    }

    /// One turn: the reply to `input` from a user in `state`, and their state afterwards.
    pub fn turn(&self, state: &UserState, input: &Input) -> (Reply, UserState) {
        let mut next = state.clone();
        let reply = self.respond(state, &mut next, input);
        next.offered = self.offers(&reply);
        next.remember(&input.text, reply.topic.as_deref(), reply.fallback);
        (reply, next)
    }

    fn respond(&self, state: &UserState, next: &mut UserState, input: &Input) -> Reply {
        // A typed message is read, and read for safety, before anything else: whatever the
        // conversation's state (a pending "forget me", the career finder).
        let reading = input.press.is_none().then(|| self.read(&input.text));
        let assessment = reading.as_ref().map(|r| self.assess_in(r, state));
        if let Some((reading, assessment)) = reading.as_ref().zip(assessment.as_ref())
            && let Some(reply) = self.safety_reply(assessment, state)
        {
            next.pending = None;
            // What the writer said about themselves is still worth remembering.
            self.learn(reading, &mut next.profile);
            return reply;
        }
        if state.pending == Some(Pending::Forget) {
            next.pending = None;
            if let Some(reply) = self.confirm_forget(input) {
                return reply;
            }
        }
        if let Some(reply) = self.finder_answer(state, next, input) {
            return reply;
        }
        let reply = self.understand(state, next, input, reading.as_ref(), assessment.as_ref());
        match (&state.finder, &next.finder) {
            // A question awaiting a yes ("forget everything?") keeps its own buttons.
            (Some(before), Some(after))
                if before == after && next.pending.is_none() && !self.interrupts(&reply) =>
            {
                self.resume_finder(reply, after)
            }
            _ => reply,
        }
    }

    /// The safety reply to a message, when the safety stage finds an emergency, a crisis or a
    /// health worry. What is under discussion is kept, so the conversation can carry on.
    fn safety_reply(&self, assessment: &Assessment, state: &UserState) -> Option<Reply> {
        let kind = match assessment.outcome {
            Outcome::Emergency => IntentKind::Emergency,
            Outcome::Crisis => IntentKind::Crisis,
            Outcome::Health => IntentKind::Health,
            Outcome::Patient => IntentKind::PatientServices,
            Outcome::Careers => return None,
        };
        let index = self.intents.iter().position(|i| i.kind == kind)?;
        Some(self.plain_intent_reply(index, state))
    }

    /// True for replies that must stand alone: safety redirects, and the finder restarting.
    fn interrupts(&self, reply: &Reply) -> bool {
        let intent = reply
            .topic
            .as_deref()
            .and_then(|id| self.intents.iter().find(|i| i.id == id));
        intent.is_some_and(|i| i.kind.is_fallback() || i.action == Some(Action::Finder))
    }

    /// The reply to a message on its own terms: a press, a command, small talk, safety,
    /// knowledge, what the user says about themselves, or a fallback.
    fn understand(
        &self,
        state: &UserState,
        next: &mut UserState,
        input: &Input,
        reading: Option<&Reading>,
        assessment: Option<&Assessment>,
    ) -> Reply {
        let careers = assessment.is_some_and(|a| a.careers);
        let careers_words = assessment.is_some_and(|a| a.careers_words);
        let mut text = input.text.as_str();
        if let Some(label) = &input.press {
            match find_offer(&state.offered, label) {
                Some(Offer {
                    entry: Some(id), ..
                }) => {
                    if let Some(entry) = self.knowledge.entry(id) {
                        self.note_entry_role(entry, next);
                        return self.answer(entry, 1.0, next);
                    }
                }
                Some(Offer {
                    action: Some(action),
                    ..
                }) if action == MORE => {
                    return self.more(state, next);
                }
                Some(offer) => text = &offer.label,
                None => text = label,
            }
        }
        if text.trim().is_empty() {
            return self.message(&self.messages.empty, true);
        }
        if let Some(reply) = self.command(text, state, next) {
            return reply;
        }
        let owned;
        let reading = match reading {
            Some(reading) => reading,
            None => {
                owned = self.read(text);
                &owned
            }
        };
        let notes = self.learn(reading, &mut next.profile);
        // Only a greeting, thanks or filler: small talk, read on the whole message and on each
        // clause ("diolch! thanks": the thanks, whatever the word before it). Thanks with a
        // remark that asks, wants and tells nothing ("ty that's rly helpful", "cheers, food
        // for thought") is thanks too, read on its noise as well.
        // A longer remark ("thank you, you've put my mind at rest") counts its words besides
        // stop words, when no intent but small talk answers it.
        let lexicon = self.analyzer.lexicon();
        let content = reading.content_words();
        // What the writer will do themselves is no command to the bot, whatever intent its
        // words are near ("thank you so much, I'll show her all this", "ty!! gonna tell my
        // teacher about this").
        let writer_tells = (reading.clauses.iter())
            .filter(|c| c.has_content())
            .all(|c| {
                matches!(c.words.as_slice(), [first, ..] if first == "i" || first == "we")
                    || c.words.starts_with(&["going".to_owned(), "to".to_owned()])
            });
        let remark = content.len() <= REMARK_WORDS
            || content.iter().filter(|w| !lexicon.is_stop_word(w)).count() <= REMARK_WORDS
                && (writer_tells || !self.asks_other_than_small_talk(reading));
        let thanks_only = reading.thanks && remark && !reading.requests() && notes.is_empty();
        if reading.is_only_noise() || thanks_only {
            // What the noise does comes first: "ok fair thanks for the help" thanks.
            let talk = self.reader.small_talk_for(reading);
            if let Some(index) = talk.and_then(|id| self.intents.iter().position(|i| i.id == id)) {
                return self.intent_reply(index, 1.0, state, next, &reading.noise_words());
            }
            let whole = self.analyzer.analyze(text);
            let noise = self.analyzer.analyze(&reading.noise_words().join(" "));
            let clauses = reading
                .clauses
                .iter()
                .map(|c| self.analyzer.analyze(&c.text));
            let best = [whole, noise]
                .into_iter()
                .chain(clauses)
                .filter_map(|analysis| {
                    let mut intents = self.intent_index.rank(&analysis).into_iter();
                    let found = intents.find(|m| !self.intents[m.doc].kind.is_safety())?;
                    Some((found, analysis))
                })
                .max_by(|a, b| a.0.confidence.total_cmp(&b.0.confidence));
            if let Some((m, analysis)) = best
                && m.confidence >= INTENT_MIN
            {
                return self.intent_reply(m.doc, m.confidence, state, next, &analysis.words);
            }
        }
        let analysis = self.analyzer.weigh(self.searched_content(reading), true);
        if let Some(intent) = self.triggered(&analysis) {
            return self.intent_reply(intent, 1.0, state, next, &analysis.words);
        }
        if let Some(intent) = self.elsewhere_intent
            && self.asks_elsewhere(reading)
        {
            return self.intent_reply(intent, 1.0, state, next, &analysis.words);
        }
        let (mut named, named_as_places) = self.roles_named(&analysis.words);
        let named_at_first = named.clone();
        if let Some(reply) = self.compare_named(&named, &analysis.words, state, next) {
            return reply;
        }
        // "I've been an HCA for 3 years and I'd love to be a nurse": the writer's own job is
        // not what they ask about when another role is named.
        let jobs = self.jobs_named(reading);
        let job = jobs.first().copied();
        if named.len() > 1
            && let Some(job) = job
        {
            named.retain(|role| *role != job);
        }
        // "How does a doctor go from junior to consultant": the role moved from is not what is
        // asked about.
        if named.len() > 1 {
            let origins = self.roles_moved_from(&analysis.words);
            if origins.len() < named.len() {
                named.retain(|role| !origins.contains(role));
            }
        }
        // "Do doctors have to register with someone like nurses do?": the role compared with
        // is not what is asked about.
        let mut compared_with = Vec::new();
        if named.len() > 1 {
            let compared = self.roles_compared(&analysis.words);
            if compared.len() < named.len() {
                named.retain(|role| !compared.contains(role));
                compared_with = compared;
            }
        }
        // "Retired nurse, thinking of coming back part time": a wish that says what it is and
        // names no role is not an interest in the role named before it, which is who the
        // writer is.
        let interest = self.facts.states_interest(&analysis.words)
            && (named.is_empty() || !self.wishes_no_role(reading));
        // "I've always fancied being an OT. I'm 41 with an accounting degree", "been an hca
        // on a medical ward, love it but want to be a nurse": the role the wish is about, named
        // after it, not the one in the writer's background.
        if interest && named.len() > 1 {
            let wished: Vec<usize> = reading
                .clauses
                .iter()
                .filter_map(|c| Some(&c.words[self.facts.interest_at(&c.words)?..]))
                .flat_map(|words| self.role_names.find(&self.analyzer, words))
                .filter(|role| named.contains(role))
                .collect();
            if !wished.is_empty() && wished.len() < named.len() {
                named.retain(|role| wished.contains(role));
            }
        }
        // "Nurse with 3 yrs under my belt, would like to get into management": the role wished.
        if named.len() > 1
            && let Some(wished) = reading.wished()
        {
            let wished: Vec<usize> = (self.role_names.find(&self.analyzer, &wished.words))
                .into_iter()
                .filter(|role| named.contains(role))
                .collect();
            if !wished.is_empty() && wished.len() < named.len() {
                named.retain(|role| wished.contains(role));
            }
        }
        // "Someone helps my nan with cooking safely - is that an OT? how do you become one":
        // the role the question names, not one named in what was told before it.
        if named.len() > 1 {
            let asked: Vec<usize> = reading
                .clauses
                .iter()
                .filter(|c| c.asks)
                .flat_map(|c| self.role_names.find(&self.analyzer, &c.words))
                .filter(|role| named.contains(role))
                .collect();
            if !asked.is_empty() && asked.len() < named.len() {
                named.retain(|role| asked.contains(role));
            }
        }
        // "The people who do scans": a role described by what it does. "The nurse who visits
        // people at home": a role more specific than the one named.
        // A wish with no role named may describe one ("always wanted to make artificial legs
        // for people"), when the description fits a role well.
        let cued =
            self.describes_role(&analysis.words) && self.says_more_than_cues(&analysis.words);
        let wish_describes = interest && named.is_empty();
        let description = (cued || wish_describes).then(|| self.description(reading, &analysis));
        // The role helped is never the one described ("a job helping midwives": a maternity
        // support worker).
        let helped = self.roles_named_after(&analysis.words, &self.role_helped_before);
        let described_with = description
            .as_ref()
            .and_then(|words| {
                let others: Vec<usize> = (job.into_iter())
                    .chain(named_as_places.iter().copied())
                    .chain(helped.iter().copied())
                    .collect();
                self.role_described(words, &named, &others)
            })
            .filter(|&(_, fit)| cued || fit >= WISH_DESCRIBED_MIN)
            .map(|(role, confidence)| {
                named = vec![role];
                confidence
            });
        let described = described_with.is_some();
        // "How do i become a phlebotomist": a job no entry speaks of, whatever entry shares
        // another word of the message.
        if named.is_empty() && !described && reading.asks() && self.asks_of_unknown_job(reading) {
            let reply = self.message(&self.messages.careers_unknown, true);
            let mut reply = self.noted_before(reply, &notes.join(", "));
            reply.suggestions = self.messages.fallback_suggestions.clone();
            return reply;
        }
        // "I'm a pharmacist and would like to move into leadership": the writer's job is who
        // they are, not what they ask about, when the rest of the message is answered without
        // it by an entry about something else.
        let searched: Vec<usize> = named.iter().chain(&compared_with).copied().collect();
        let whole = self.search_without_roles(reading, &named_at_first, &searched, &analysis);
        // Not when the whole message already finds an entry surely that is not about the job
        // ("im a registered nurse from the philippines… how can i work in the NHS?": working
        // here from abroad, not NHS experience valued abroad).
        let whole_beyond = whole.first().is_some_and(|best| {
            best.confidence >= CERTAIN
                && job.is_some_and(|job| {
                    self.entry_role(&self.knowledge.entries[best.entry]) != Some(job)
                })
        });
        let beyond_job = match (job, &named[..]) {
            (Some(job), &[only]) if only == job && !described && !whole_beyond => {
                self.beyond_job(reading, &analysis.words, job)
            }
            _ => None,
        };
        // "7 yrs as a hospital pharmacist, keen to step up into leadership": what is wished,
        // when the whole message finds nothing sure and no role is named but the writer's own.
        // Roles named only before the wish are who the writer is ("band 6 nurse in leeds, would
        // love to get into research").
        let wished = (beyond_job.is_none() && !described)
            .then(|| self.wished_alone(reading, &whole, &named, &jobs))
            .flatten();
        // "Paramedics have got her now… back to the receptionist job, how do i apply for one":
        // roles only told of beside a question that asks of something else.
        let told_aside = (beyond_job.is_none() && wished.is_none() && !described && !interest)
            .then(|| self.told_aside(reading, &named, &analysis.words))
            .flatten();
        let beyond_job = beyond_job.or(wished).or(told_aside);
        if beyond_job.is_some() {
            named.clear();
        }
        if let Some(role) = named.last() {
            next.role = Some(self.knowledge.roles[*role].id.clone());
        }
        let named_ids: Vec<String> = named
            .iter()
            .map(|r| self.knowledge.roles[*r].id.clone())
            .collect();
        if interest {
            self.facts.note_interests(&named_ids, &mut next.profile);
        }
        // Safety intents are the safety stage's alone: it has already read this message. A
        // message the safety stage saw asking about a job, a role or a course is not for the
        // patient-services reply.
        // Nor is one that asks about a role named or described for the out-of-scope reply
        // ("the ones who drive people to hospital appointments, how do u get into that").
        // Nor is a question that refers back to the careers answer before it ("is it nhs only
        // or private too" after audiology).
        let follows_careers =
            self.careers_answered(state) && self.analyzer.lexicon().refers_back(&analysis.words);
        let intent = self.intent_index.rank(&analysis).into_iter().find(|m| {
            let kind = self.intents[m.doc].kind;
            !(kind.is_safety()
                || kind == IntentKind::PatientServices && careers
                || kind == IntentKind::OutOfScope
                    && (!named.is_empty() || follows_careers)
                    && reading.requests())
        });
        let (intent, intent_confidence) =
            intent.map_or((None, 0.0), |m| (Some(m.doc), m.confidence));
        let lexicon = self.analyzer.lexicon();
        let refers = lexicon.refers_back(&analysis.words);
        // A role named or described is what the question asks about ("what are they called",
        // "is the degree worth it"): its facts, not an entry found by the question alone.
        // Several roles named are no one subject ("tech jobs, or is it all doctors and
        // nurses?"), nor is a role named only beside a question that asks and wants nothing
        // of it, when that question alone finds its entry with certainty ("what is return to
        // practice? saw it on a group for ex nurses").
        // A question that refers back ("could I retrain as one?") asks about it.
        let refers_to_role = |words: &[String]| {
            self.analyzer.lexicon().refers_back(words)
                || words
                    .windows(2)
                    .any(|p| matches!(p[0].as_str(), "as" | "be" | "become") && p[1] == "one")
        };
        let beside = match named[..] {
            [role] => {
                !described
                    && reading
                        .clauses
                        .iter()
                        .filter(|c| c.asks || c.wants)
                        .all(|c| {
                            !refers_to_role(&c.words)
                                && !self
                                    .role_names
                                    .find(&self.analyzer, &c.words)
                                    .contains(&role)
                        })
            }
            _ => false,
        };
        let alone = if let Some(hits) = beyond_job {
            hits
        } else if beside {
            self.asked_alone(reading, whole, CERTAIN)
        } else if named.len() == 1 {
            whole
        } else {
            self.asked_alone(reading, whole, ANSWER_MIN)
        };
        // Of a role, the role's paths answer.
        let alone = if named.is_empty() && !described {
            self.said_alone(reading, alone)
        } else {
            alone
        };
        // "The foundation one" after the Mary Seacole Programme: what it picks, whatever else
        // the message would be taken for.
        if let Some(index) = (self.picked(state, &analysis.words))
            .or_else(|| self.in_sequence(state, &analysis.words))
        {
            let entry = &self.knowledge.entries[index];
            let reply = self.answer(entry, 1.0, next);
            self.note_entry_role(entry, next);
            return self.noted_before(reply, &notes.join(", "));
        }
        // How sure the message is of its entry in its own words, before the conversation is
        // read into it.
        let own_best = alone.first().copied();
        let own_confidence = own_best.map_or(0.0, |h| h.confidence);
        let hits = self
            .with_context(state, reading, &analysis, &alone, refers)
            .unwrap_or(alone);
        // Only a question with nothing beside it and nothing under discussion: meaning read
        // over several clauses or a conversation drifts to what the rest says.
        let single = reading.clauses.iter().filter(|c| c.has_content()).count() == 1;
        let hits = if single && state.topic.is_none() {
            self.meaning_first(hits, &analysis.words)
        } else {
            hits
        };
        let best = hits.first().copied();
        let knowledge_confidence = best.map_or(0.0, |h| h.confidence);

        let asks = reading.asks();
        // "Leaving school in june and i want an apprenticeship" is answered as a question is.
        let requests = reading.requests();
        // "I'm 17" is about the user, not out of scope: it is noted, not declined.
        let about_user = !notes.is_empty() && !requests;
        // "Where would I work?" after a role: a fact of that role, not small talk.
        let follows_up = named.is_empty()
            && state.role.is_some()
            && self.aspect(&analysis.words).is_some()
            && self.follows_up(&analysis.words, refers);
        // "Been a teaching assistant 10 yrs, thinking of moving into healthcare, what might
        // suit me?": the career finder, when the question alone asks for it and the whole
        // message matches no intent and no entry.
        let (intent, intent_confidence) = match reading.asked() {
            Some(asked) if intent_confidence < INTENT_MIN && knowledge_confidence < ANSWER_MIN => {
                (self.intent_index)
                    .rank(&self.analyzer.weigh(asked, true))
                    .into_iter()
                    .next()
                    .filter(|m| {
                        self.intents[m.doc].action == Some(Action::Finder)
                            && m.confidence >= CERTAIN
                    })
                    .map_or((intent, intent_confidence), |m| (Some(m.doc), m.confidence))
            }
            _ => (intent, intent_confidence),
        };
        // Near what the bot does not answer and far from every entry, naming no role and not
        // the NHS (`in_the_nhs`), in no careers words and matching no intent ("should i put
        // money into bitcoin"): declined, though it says "it" or shares a word with a fact of
        // the role under discussion ("is it gonna rain all week", "can u do my chemistry
        // homework").
        let off_topic = intent_confidence < INTENT_MIN
            && named.is_empty()
            && !described
            && !careers_words
            && knowledge_confidence < CERTAIN
            && !analysis.words.iter().any(|w| self.in_the_nhs.contains(w))
            && self.off_topic(&analysis.words);
        let (intent, intent_confidence) = match self.out_of_scope {
            Some(declined) if off_topic => (Some(declined), DECLINE_MIN.max(knowledge_confidence)),
            _ => (intent, intent_confidence),
        };
        let follows_up = follows_up && !off_topic;
        // Small talk beside a careers question an entry answers is no reply to it ("can i
        // still get a job in the nhs or am i wasting my time"), nor beside a question that
        // names the subject of the entry that answers it ("genetics sounds cool, whats that
        // about").
        let names_entry = || best.is_some_and(|h| self.names_keyword(&analysis.words, h.entry));
        let answered =
            || asks && knowledge_confidence >= ANSWER_MIN && (careers_words || names_entry());
        // A situation told that is itself what is asked ("im 45 and only have like 2 gcses,
        // what jobs could i get", "dropped out of college with nothing, what can i do"), with
        // nothing else asked in words of its own and no role under discussion (of which it
        // asks the way in): the entry that situation suggests, before any decline ("didnt
        // pass any of my gcses, is there anything for me").
        if named.is_empty()
            && state.role.is_none()
            && asks
            && let Some((span, suggested)) =
                (self.facts).asked_told(&analysis.words, |w| self.analyzer.stem(w))
            && let rest = [&analysis.words[..span.start], &analysis.words[span.end..]].concat()
            && self.says_too_little(&rest)
            && let Some(entry) = self.knowledge.entry(suggested)
        {
            let reply = self.answer(entry, ANSWER_MIN, next);
            return self.noted_before(reply, &notes.join(", "));
        }
        if let Some(i) = intent.filter(|i| {
            let kind = self.intents[*i].kind;
            let declines = kind.is_fallback();
            let least = if declines { DECLINE_MIN } else { INTENT_MIN };
            // Nor is a thanks, goodbye or greeting the reply to a question that says none.
            let unsaid =
                || asks && (self.reader.small_talk()).unsaid(&self.intents[*i].id, reading);
            !(follows_up
                || declines && (about_user || self.asked_is_careers(reading))
                || kind == IntentKind::Smalltalk && (answered() || unsaid()))
                && intent_confidence >= least
                && intent_confidence >= knowledge_confidence
        }) {
            return self.intent_reply(i, intent_confidence, state, next, &analysis.words);
        }
        // A message about the user is only noted, unless it also asks something, or says
        // something an entry answers with certainty ("I'm 45 and want to switch careers").
        let words = &analysis.words;
        let best_entry = best.map(|h| &self.knowledge.entries[h.entry]);
        // "I've always fancied being an OT", "the person who takes blood": that role.
        // A description yields to an entry about no role that answers with certainty, or
        // better than the description fits a role ("how does the nhs treat staff who are
        // having a baby", "do people who volunteer end up getting jobs").
        let entry_instead = described_with.is_some_and(|fit| {
            (knowledge_confidence >= CERTAIN || knowledge_confidence > fit)
                && knowledge_confidence >= ANSWER_MIN
        }) && best_entry.is_some_and(|e| {
            self.entry_role(e).is_none()
                && !(self.entry_roles(e).iter()).any(|role| helped.contains(role))
        });
        // Of two roles the description fits about as well, the one the certain entry is about
        // ("who looks after radiation safety and imaging physics": the entry on medical physics
        // settles it).
        if let (Some(fit), Some(description), [role]) =
            (described_with, description.as_ref(), &named[..])
            && let Some(about) = best_entry
                .filter(|_| knowledge_confidence >= CERTAIN)
                .and_then(|e| self.entry_role(e))
            && about != *role
            && !helped.contains(&about)
            && self.description_fit(description, about) + FIT_NEAR >= fit
        {
            named = vec![about];
            next.role = Some(self.knowledge.roles[about].id.clone());
        }
        let facts = notes.join(", ");
        if let [role] = named[..]
            && (described || (interest && !asks))
            && !entry_instead
            && self.aspect(words).is_none()
        {
            let reply = self.role_overview(role, best_entry, knowledge_confidence, next);
            return self.noted_before(reply, &facts);
        }
        // What the clauses that ask say alone, when it finds an answer of its own: a fact asked
        // about elsewhere in the message is then only context.
        let asked = reading.asked().and_then(|asked| {
            let words = asked.words.clone();
            let found = self.search(&self.analyzer.weigh(asked, true));
            found
                .first()
                .is_some_and(|h| h.confidence >= ANSWER_MIN)
                .then_some(words)
        });
        let question = Question {
            words,
            asked: asked.as_deref(),
            refers,
        };
        if let Some(reply) = self.role_fact(
            question,
            &named,
            best_entry.map(|entry| (entry, knowledge_confidence)),
            state,
            next,
        ) {
            return self.noted_before(reply, &facts);
        }
        // A place told with a question that only refers back ("I'm in Swansea tho, what about
        // there?", "i live in glasgow btw does that change anything"): the answer under
        // discussion again, for that nation.
        let refers_to_place = words.iter().any(|w| matches!(w.as_str(), "there" | "here"));
        // The words before such a question tell the place and ask nothing ("i live in cardiff,
        // is the pay any different" asks about pay); nothing of its own comes after it.
        const ASKING: [&str; 9] = [
            "is", "are", "does", "do", "can", "could", "would", "will", "should",
        ];
        let asks_same_here = reading.place.is_some()
            && (self.same_here.iter()).any(|phrase| {
                phrase_position(words, phrase).is_some_and(|at| {
                    !(words[..at].iter())
                        .any(|w| matcher::WH.contains(&w.as_str()) || ASKING.contains(&w.as_str()))
                        && self.own_words(&words[at + phrase.len()..]) == 0
                })
            });
        if reading.place.is_some()
            && (refers && self.own_words(words) == 0
                || refers_to_place && self.own_words(words) == 0
                || asks_same_here)
            && named.is_empty()
            && let Some(entry) = state
                .topic
                .as_deref()
                .and_then(|id| self.knowledge.entry(id))
        {
            let reply = self.answer(entry, ANSWER_MIN, next);
            return self.noted_before(reply, &facts);
        }
        // A fact asked of no role that one entry answers for everyone ("do they take people my
        // age?" after the non-clinical jobs, "am i too old at 45 to start"): that entry.
        // So is a fact the same for every role asked of a group of roles, whatever role was
        // under discussion ("where do i look for ambulance vacancies").
        if named.is_empty()
            && let Some(aspect) = self.aspect(words)
        {
            let entry = match aspect.otherwise.as_deref() {
                // Unless another entry answers the message surely in its own words ("will i
                // get any experience of leadership on the mary seacole programme"), not only
                // with the topic under discussion read into it ("can i do work experience first"
                // after apprenticeships).
                Some(id)
                    if state.role.is_none()
                        && (knowledge_confidence < CERTAIN
                            || own_confidence < CERTAIN
                            || best_entry.is_some_and(|best| best.id == id)
                            || own_best
                                .is_some_and(|own| self.knowledge.entries[own.entry].id == id)) =>
                {
                    self.knowledge.entry(id)
                }
                // Unless what the message finds is already of that kind ("where do u apply for
                // dental foundation training": how doctors and dentists apply).
                _ => (aspect.entry.as_deref())
                    .filter(|id| {
                        self.names_group(words)
                            && !best_entry.is_some_and(|b| same_section(&b.id, id))
                    })
                    .and_then(|id| self.knowledge.entry(id)),
            };
            if let Some(entry) = entry {
                let reply = self.answer(entry, ANSWER_MIN, next);
                return self.noted_before(reply, &facts);
            }
        }
        // "How long does that take?" with nothing under discussion: ask, don't guess.
        let no_context = state.topic.is_none() && state.role.is_none() && named.is_empty();
        let short = words.len() <= SHORT_FOLLOW_UP;
        // It asks about a fact of some role and says nothing else of its own.
        let vague = self
            .beside_aspect(words)
            .is_some_and(|rest| self.own_words(&rest) == VAGUE_WORDS);
        if refers && no_context && short && (vague || self.says_too_little(words)) {
            return self.message(&self.messages.clarify, true);
        }
        // The same follow-up about a subject that is no role (apprenticeships), when what
        // answers it is neither that subject's entry nor one related to it: the bot says its
        // sources don't answer it there, not what another entry says ("how long does it
        // take?" after apprenticeships is not the doctors' training).
        if let Some(reply) =
            self.fact_not_in_topic(state, words, named.is_empty() && short && vague, best)
        {
            return self.noted_before(reply, &facts);
        }
        let least = if requests {
            ANSWER_MIN
        } else {
            STATEMENT_ANSWER_MIN
        };
        // A wish beside what the writer tells of themselves, naming no role ("im 43, been in
        // insurance 20 years… want to do something that actually matters"): past the safety
        // stage, it is about work; when nothing answers it, the ways in (below).
        let wish_told = reading.clauses.iter().any(|c| c.wants)
            && !notes.is_empty()
            && named.is_empty()
            && !asks;
        // A statement about the writer that asks nothing is noted; a question that cannot be
        // answered gets the fallback below, with the note in front.
        if !notes.is_empty() && knowledge_confidence < least && !asks && !wish_told {
            // "Hi, I'm asking on behalf of my daughter": greeted back.
            let noted = if reading.greets {
                &self.messages.noted_with_greeting
            } else {
                &self.messages.noted
            };
            return self.message(&fill(noted, &[("facts", &facts)]), false);
        }
        if let Some(best) = best.filter(|h| {
            h.confidence >= ANSWER_MIN
                || named.is_empty() && notes.is_empty() && asks && self.clear_winner(&hits, words)
        }) {
            // A life stage or a qualification (or the lack of one) just told.
            let situation_told = next.profile.stage.is_some()
                && next.profile.stage != state.profile.stage
                || next.profile.qualifications.len() > state.profile.qualifications.len();
            let best = match self.settle(best, &hits, words, &named, &next.profile, situation_told)
            {
                Ok(hit) => hit,
                // Two questions the whole message cannot choose between ("how does pay work,
                // is everyone on the same money or does it depend on the hospital?"): the
                // first that finds its entry with certainty alone.
                Err(did_you_mean) => match self.first_question_alone(reading) {
                    Some(hit) => hit,
                    None => return did_you_mean,
                },
            };
            let entry = &self.knowledge.entries[best.entry];
            let reply = self.answer(entry, best.confidence, next);
            if named.is_empty() {
                self.note_entry_role(entry, next);
            }
            return self.noted_before(reply, &facts);
        }
        // Two questions joined in one clause ("whats a person spec and how am i meant to write
        // the supporting info bit??"), neither of which the whole message finds surely: the
        // first that finds its entry with certainty alone.
        if named.is_empty()
            && asks
            && !assessment.is_some_and(|a| a.cared_for)
            && let Some(hit) = self.joined_question(reading)
        {
            let entry = &self.knowledge.entries[hit.entry];
            let reply = self.answer(entry, hit.confidence, next);
            self.note_entry_role(entry, next);
            return self.noted_before(reply, &facts);
        }
        // Nothing answers the question, but it asks about careers and the one role named, or
        // the one the writer is thinking of ("I've always fancied being an OT, is it too
        // late?", "thinking about nursing, is that daft at my age"): that role's overview says
        // what is known. A role that is the writer's own clinician ("my physio") is no such sign.
        // So does a question about the role that shows no sign of a patient's own care and
        // nothing a decline answers ("after the 4 yrs am i a fully fledged doctor"; not "the
        // pharmacist gave me the wrong tablets", "my nan's district nurse didn't turn up",
        // "where can i buy cheap nursing scrubs").
        let cared_for = assessment.is_some_and(|a| a.cared_for);
        // The patient-services decline is no answer to what the safety stage read as careers.
        let declined = (self.intent_index.rank(&analysis).into_iter())
            .find(|m| {
                let kind = self.intents[m.doc].kind;
                kind.is_fallback() && !(kind == IntentKind::PatientServices && careers)
            })
            .is_some_and(|m| m.confidence >= DECLINE_MIN);
        let asks_of_role = asks && !cared_for && !declined && !self.own_clinician_named(words);
        if let [role] = named[..]
            && (careers_words || interest || asks_of_role)
        {
            let reply = self.role_overview(role, best_entry, knowledge_confidence, next);
            return self.noted_before(reply, &facts);
        }
        // A question nothing answers, from a writer who has just told who they are, about work
        // ("leaving school this summer with not great grades, what can i actually do in the
        // nhs"): the ways in their life stage suggests.
        let asks_told = asks && careers && !notes.is_empty() && named.is_empty();
        if (wish_told || asks_told)
            && let Some(entry) = self.wish_entry(&next.profile)
        {
            let reply = self.answer(entry, ANSWER_MIN, next);
            return self.noted_before(reply, &facts);
        }
        // What it refers to may be said before it in the message ("ive had depression in the
        // past, will that stop me getting an nhs job"): then there is nothing to ask about.
        let refers_within = |words: &[String]| {
            (self.analyzer.lexicon().reference_at(words))
                .is_some_and(|at| self.own_words(&words[..at]) >= OWN_REFERENT_WORDS)
        };
        if refers && state.topic.is_none() && named.is_empty() && !refers_within(words) {
            return self.message(&self.messages.clarify, true);
        }
        // A question about a job, a role or a course in careers words of its own that nothing
        // answers ("what does a phlebotomist do", "whats it like working in a hospice"): the
        // bot says it does not know and where to look.
        let text = if asks && careers_words && !cared_for && !declined {
            &self.messages.careers_unknown
        } else {
            variant(&self.messages.fallback, state.turn_count)
        };
        let reply = self.message(text, true);
        let mut reply = self.noted_before(reply, &facts);
        reply.suggestions = self.messages.fallback_suggestions.clone();
        reply.confidence = knowledge_confidence.max(intent_confidence);
        reply
    }

    /// The hits for what the message asks, read alone, when the whole message matches its best
    /// entry too weakly to answer and the question alone finds the same entry surely ("hiya
    /// where do u find nhs jobs?? my mate said indeed but idk"): the rest of the message said
    /// who asks, not what. Else `whole`: a question alone that finds another entry has lost
    /// what the rest of the message said ("the people who fit false legs, what's that job").
    /// `least`: how sure the question alone must be.
    fn asked_alone(&self, reading: &Reading, whole: Vec<Hit>, least: f32) -> Vec<Hit> {
        let sure = |hits: &[Hit]| hits.first().map_or(0.0, |h| h.confidence);
        if sure(&whole) >= ANSWER_MIN {
            return whole;
        }
        let Some(asked) = reading.asked() else {
            return whole;
        };
        let lexicon = self.analyzer.lexicon();
        // A question that refers back to the sentence before it ("love watching the physios
        // and OTs work with patients. how could i get into that?") asks with that sentence,
        // when the two find an entry to answer; the rest told who asks ("im a HCA on a rehab
        // ward").
        if lexicon.refers_back(&asked.words)
            && let Some(after) = reading.asked_after()
        {
            let found = self.search(&self.analyzer.weigh(after, true));
            if sure(&found) >= ANSWER_MIN && sure(&found) > sure(&whole) {
                return found;
            }
        }
        let refers = lexicon.refers_back(&asked.words);
        let short = self.said_words(&asked.words) < ASKED_WORDS;
        if short && refers {
            return whole;
        }
        let alone = self.search(&self.analyzer.weigh(asked, true));
        let no_role_named = || {
            (self.role_names)
                .find(&self.analyzer, &reading.all_words())
                .is_empty()
        };
        // A short question that refers to nothing before it and finds its entry with
        // certainty is what is asked, where the whole message finds nothing and names no role
        // ("made redundant from the factory after 20 years … what sort of jobs are there?").
        if short {
            return if sure(&alone) >= CERTAIN && no_role_named() {
                alone
            } else {
                whole
            };
        }
        let same = alone.first().map(|h| h.entry) == whole.first().map(|h| h.entry);
        // A question that says all it asks in its own words and finds its entry with
        // certainty is what is asked, whatever the rest finds ("which nhs roles are gonna be
        // needed most? want a safe bet for my 17 yr old").
        // Not beside a role named: "offered a job on a stroke unit as an hca, whats the
        // training like" asks about the role.
        let whole_question = !refers && sure(&alone) >= CERTAIN && no_role_named();
        if same && sure(&alone) >= least || whole_question {
            alone
        } else {
            whole
        }
    }

    /// True when a clause that asks names a job after `job_asked_before` ("how do i become a
    /// phlebotomist") in a word no entry holds: a job the sources do not cover.
    fn asks_of_unknown_job(&self, reading: &Reading) -> bool {
        const JOB_WORDS: usize = 3;
        let lexicon = self.analyzer.lexicon();
        (reading.clauses.iter().filter(|c| c.asks)).any(|clause| {
            let words = &clause.words;
            self.job_asked_before.iter().any(|phrase| {
                phrase_position(words, phrase).is_some_and(|at| {
                    (words[at + phrase.len()..].iter())
                        .take(JOB_WORDS)
                        .take_while(|w| !lexicon.is_stop_word(w) && !lexicon.is_weak_word(w))
                        .any(|w| !self.retriever.holds(w) && !self.in_the_nhs.contains(w))
                })
            })
        })
    }

    /// How many of `words` are no stop words: what a question says beyond its asking.
    fn said_words(&self, words: &[String]) -> usize {
        let lexicon = self.analyzer.lexicon();
        words.iter().filter(|w| !lexicon.is_stop_word(w)).count()
    }

    /// Of a message that asks in several clauses, the first question that finds its entry
    /// with certainty alone, saying enough of its own and referring to nothing before it.
    fn first_question_alone(&self, reading: &Reading) -> Option<Hit> {
        let asking = reading.each_asked();
        if asking.len() < 2 {
            return None;
        }
        let lexicon = self.analyzer.lexicon();
        asking.into_iter().find_map(|asked| {
            if self.said_words(&asked.words) < ASKED_WORDS || lexicon.refers_back(&asked.words) {
                return None;
            }
            let found = self.search(&self.analyzer.weigh(asked, true));
            found.first().copied().filter(|h| h.confidence >= CERTAIN)
        })
    }

    /// The first of the questions a clause joins with "and", "but" or "also" ("whats a person
    /// spec and how do i write the supporting info bit") that finds its entry with certainty
    /// in words of its own, read alone.
    fn joined_question(&self, reading: &Reading) -> Option<Hit> {
        let lexicon = self.analyzer.lexicon();
        for clause in reading.clauses.iter().filter(|c| c.asks) {
            let words = &clause.words;
            let joins: Vec<usize> = (1..words.len())
                .filter(|&at| {
                    matches!(words[at - 1].as_str(), "and" | "but" | "also" | "plus")
                        && lexicon.is_question("", &words[at..])
                })
                .collect();
            if joins.is_empty() {
                continue;
            }
            let starts = std::iter::once(0).chain(joins.iter().copied());
            let ends = joins.iter().map(|at| at - 1).chain([words.len()]);
            for (start, end) in starts.zip(ends) {
                let content: Vec<usize> = (start..end)
                    .filter(|&at| clause.parts[at] == Part::Content)
                    .collect();
                let piece: Vec<String> = content.iter().map(|&at| words[at].clone()).collect();
                if self.own_words(&piece) < ASKED_WORDS || lexicon.refers_back(&piece) {
                    continue;
                }
                let read = Words {
                    words: piece,
                    factors: content.iter().map(|&at| clause.factors[at]).collect(),
                    corrections: Vec::new(),
                };
                let found = self.search(&self.analyzer.weigh(read, true));
                if let Some(hit) = found.first().filter(|h| h.confidence >= CERTAIN) {
                    return Some(*hit);
                }
            }
        }
        None
    }

    /// What the clauses that tell say, alone, when the one clause that asks asks only about
    /// them ("no qualifications at all but i really want to work in a hospital. is that even
    /// possible?", "wants to work in a hospital but has no idea what. where should he
    /// start?") or finds the same entry the whole message finds first ("I've got a history
    /// degree, want to switch into healthcare. Is there a quicker route?"): searched when the
    /// whole message finds nothing sure. A question that says almost nothing of its own finds
    /// what they wish alone when that is certain and names no role, however sure the whole
    /// ("want to work on the ambulances. whats my options": the ambulance service, not every
    /// way in; not "i dont want to be a doctor, what else is there").
    fn said_alone(&self, reading: &Reading, whole: Vec<Hit>) -> Vec<Hit> {
        let sure = |hits: &[Hit]| hits.first().map_or(0.0, |h| h.confidence);
        let mut asking = reading.clauses.iter().filter(|c| c.asks && c.has_content());
        let (Some(question), None) = (asking.next(), asking.next()) else {
            return whole;
        };
        let lexicon = self.analyzer.lexicon();
        let own = self.said_words(&question.words);
        let only_about_them = own < ASKED_WORDS || lexicon.refers_back(&question.words);
        let told = Reading {
            clauses: reading
                .clauses
                .iter()
                .filter(|c| !c.asks)
                .cloned()
                .collect(),
            ..Reading::default()
        };
        if !told.clauses.iter().any(Clause::has_content) {
            return whole;
        }
        let alone = self.search(&self.analyzer.weigh(told.content(), true));
        let same = alone.first().map(|h| h.entry) == whole.first().map(|h| h.entry);
        let unsure = sure(&whole) < ANSWER_MIN;
        let surer = own < ASKED_WORDS
            && told.clauses.iter().any(|c| c.wants)
            && sure(&alone) >= CERTAIN
            && sure(&alone) > sure(&whole)
            && (self.role_names)
                .find(&self.analyzer, &told.all_words())
                .is_empty();
        if unsure && sure(&alone) >= ANSWER_MIN && (only_about_them || same) || surer {
            alone
        } else {
            whole
        }
    }

    /// The hits for what the writer says they want, read alone, when the whole message finds
    /// nothing sure and asks nothing but about the wish, the wish names no role, and it finds
    /// an entry surely that is not about a role `named` before it, which is who the writer is
    /// ("staff nurse in enniskillen here, keen to move into leadership one day"). A message
    /// that asks something of its own is read by what it asks.
    fn wished_alone(
        &self,
        reading: &Reading,
        whole: &[Hit],
        named: &[usize],
        jobs: &[usize],
    ) -> Option<Vec<Hit>> {
        // A question that says too little to be asked alone ("what's out there?", "where do
        // I start?") asks about the wish, when the writer names no role but their own jobs;
        // one that names a role asks of its own ("is there a type of nurse for that?").
        let only_own_job = named.iter().all(|role| jobs.contains(role));
        let asks_of_its_own = (reading.clauses.iter()).any(|c| {
            c.asks
                && c.has_content()
                && (!only_own_job
                    || self.own_words(&c.words) >= ASKED_WORDS
                    || !self.role_names.find(&self.analyzer, &c.words).is_empty())
        });
        // Beside such a question, the whole message must find its entry surely to outweigh
        // the wish.
        let least = if reading.asks() { CERTAIN } else { ANSWER_MIN };
        if asks_of_its_own || whole.first().is_some_and(|h| h.confidence >= least) {
            return None;
        }
        if !self.wishes_no_role(reading) {
            return None;
        }
        let wished = reading.wished()?;
        let hits = self.search(&self.analyzer.weigh(wished, true));
        // Two unrelated entries about as near, words and meaning together: the wish is too
        // vague to choose ("work in the nhs but idk doing what").
        if let [best, next, ..] = hits[..]
            && best.rank - next.rank < WISH_GAP
        {
            let (a, b) = (
                &self.knowledge.entries[best.entry],
                &self.knowledge.entries[next.entry],
            );
            if !(a.related.contains(&b.id) || b.related.contains(&a.id)) {
                return None;
            }
        }
        let best = hits.first()?;
        let entry = &self.knowledge.entries[best.entry];
        let about_named = self
            .entry_role(entry)
            .is_some_and(|role| named.contains(&role));
        (best.confidence >= ANSWER_MIN && !about_named).then_some(hits)
    }

    /// The roles named only straight after a word of `compared_before` ("like nurses do"),
    /// after another role.
    fn roles_compared(&self, words: &[String]) -> Vec<usize> {
        let spans = self.role_names.spans_as_written(words);
        let after_comparison = |start: usize| {
            (self.compared_before.iter()).any(|phrase| {
                start >= phrase.len() && words[start - phrase.len()..start] == phrase[..]
            })
        };
        let roles_in = |span: &std::ops::Range<usize>| {
            self.role_names.find(&self.analyzer, &words[span.clone()])
        };
        // Only after another role named first, the subject ("which jobs help with scars, like
        // prosthetists or physios?" gives examples).
        let Some(first) = spans.iter().find(|span| !after_comparison(span.start)) else {
            return Vec::new();
        };
        let mut compared: Vec<usize> = spans
            .iter()
            .filter(|span| span.start > first.start && after_comparison(span.start))
            .flat_map(roles_in)
            .collect();
        let elsewhere: Vec<usize> = spans
            .iter()
            .filter(|span| !after_comparison(span.start))
            .flat_map(roles_in)
            .collect();
        compared.retain(|role| !elsewhere.contains(role));
        compared.sort_unstable();
        compared.dedup();
        compared
    }

    /// True when a role is named as someone's own clinician ("my nan's district nurse").
    fn own_clinician_named(&self, words: &[String]) -> bool {
        const BEFORE: usize = 3;
        self.role_names
            .spans_as_written(words)
            .into_iter()
            .any(|span| {
                words[span.start.saturating_sub(BEFORE)..span.start]
                    .iter()
                    .any(|w| self.messages.own_clinician_before.contains(w))
            })
    }

    /// True when what the writer wishes has words of its own and names no role.
    fn wishes_no_role(&self, reading: &Reading) -> bool {
        let Some(wished) = reading.wished() else {
            return false;
        };
        let lexicon = self.analyzer.lexicon();
        let own = (wished.words.iter())
            .filter(|w| !lexicon.is_stop_word(w))
            .count();
        own >= ASKED_WORDS
            && self
                .role_names
                .find(&self.analyzer, &wished.words)
                .is_empty()
    }

    /// `content` without what the writer says they do not want instead ("can I do an
    /// apprenticeship instead of uni?"): a phrase of `alternative_before` and up to
    /// `ALTERNATIVE_WORDS` words after it, up to a word that starts something else.
    fn without_alternatives(&self, content: Words) -> Words {
        const ENDS: [&str; 12] = [
            "and", "or", "but", "so", "what", "how", "where", "which", "who", "why", "when", "is",
        ];
        let words = &content.words;
        let runs: Vec<std::ops::Range<usize>> = (0..words.len())
            .filter_map(|start| {
                let phrase = self
                    .alternative_before
                    .iter()
                    .find(|p| words[start..].starts_with(p))?;
                let after = start + phrase.len();
                let end = (after..words.len().min(after + ALTERNATIVE_WORDS))
                    .find(|&at| ENDS.contains(&words[at].as_str()))
                    .unwrap_or(words.len().min(after + ALTERNATIVE_WORDS));
                Some(start..end)
            })
            .collect();
        without_runs(content, &runs)
    }

    /// True when the subject of `entry` is one word besides stop words and `words` turn to it
    /// ("what about apprenticeships", "how about apprenticeships").
    fn turns_to_one_word_subject(&self, words: &[String], entry: &Entry) -> bool {
        let lexicon = self.analyzer.lexicon();
        let subject = self.analyzer.normal_words(&entry.subject);
        let own: Vec<&String> = (subject.iter())
            .filter(|w| !lexicon.is_stop_word(w))
            .collect();
        match own[..] {
            [word] => words.windows(2).any(|p| p[0] == "about" && &p[1] == word),
            _ => false,
        }
    }

    /// True when `words` name a group of roles by its subject ("ambulance", "digital").
    fn names_group(&self, words: &[String]) -> bool {
        (self.group_names.iter()).any(|name| contains_phrase(words, name))
    }

    /// The roles `words` name, and the roles they name only as places ("at the gp", "gp
    /// surgery": `role_place_before`, `role_place_after`), which are where someone works, as
    /// who told the writer something ("my manager mentioned": `role_messenger_after`;
    /// "manager mentioned": `role_teller_after`), or as
    /// what another is compared with ("the same lot as physios": `role_compared_before`): not
    /// roles asked about.
    fn roles_named(&self, words: &[String]) -> (Vec<usize>, Vec<usize>) {
        let places: Vec<std::ops::Range<usize>> = (self.role_names.spans_as_written(words))
            .into_iter()
            .filter(|span| {
                let after =
                    |list: &[Vec<String>]| list.iter().any(|p| words[span.end..].starts_with(p));
                let before =
                    |list: &[Vec<String>]| list.iter().any(|p| words[..span.start].ends_with(p));
                after(&self.role_place_after)
                    || after(&self.role_messenger_after) && before(&self.role_messenger_before)
                    || after(&self.role_teller_after)
                    || before(&self.role_place_before)
                    || before(&self.role_compared_before)
            })
            .collect();
        if places.is_empty() {
            return (self.role_names.find(&self.analyzer, words), Vec::new());
        }
        let mut kept = words.to_vec();
        for span in &places {
            kept[span.clone()].fill(String::new());
        }
        let named = self.role_names.find(&self.analyzer, &kept);
        let as_places = (places.into_iter())
            .flat_map(|span| self.role_names.find(&self.analyzer, &words[span]))
            .filter(|role| !named.contains(role))
            .collect();
        (named, as_places)
    }

    /// The roles `words` name straight after a phrase of `role_origin_before` ("from junior"):
    /// where someone moves from.
    fn roles_moved_from(&self, words: &[String]) -> Vec<usize> {
        self.roles_named_after(words, &self.role_origin_before)
    }

    /// The roles `words` name straight after one of `phrases`, each once (as `roles_compared`
    /// gives them: they are counted against the roles named).
    fn roles_named_after(&self, words: &[String], phrases: &[Vec<String>]) -> Vec<usize> {
        let mut roles: Vec<usize> = (self.role_names.spans_as_written(words).into_iter())
            .filter(|span| phrases.iter().any(|p| words[..span.start].ends_with(p)))
            .flat_map(|span| self.role_names.find(&self.analyzer, &words[span]))
            .collect();
        roles.sort_unstable();
        roles.dedup();
        roles
    }

    /// `content` without the roles it says are not meant ("the ones who drive ambulances but
    /// aren't paramedics"): a role named straight after a phrase of `role_denied_before`, with
    /// that phrase, read as `role_denied_stand_in`.
    fn without_roles_denied(&self, content: Words) -> Words {
        let mut spans = self.role_names.spans_as_written(&content.words);
        spans.sort_unstable_by_key(|span| (span.start, std::cmp::Reverse(span.end)));
        let mut denied: Vec<std::ops::Range<usize>> = Vec::new();
        for span in spans {
            if denied.last().is_some_and(|last| span.start < last.end) {
                continue;
            }
            // An article may sit between ("instead of a midwife").
            let article = span.start > 0
                && matches!(content.words[span.start - 1].as_str(), "a" | "an" | "the");
            let start = span.start - usize::from(article);
            let before = &content.words[..start];
            // "apart from doctors and nurses": a role listed straight after one denied.
            if let Some(last) = denied.last_mut()
                && last.end + 1 == start
                && matches!(content.words[last.end].as_str(), "and" | "or" | "nor")
            {
                last.end = span.end;
                continue;
            }
            if let Some(phrase) = self.role_denied_before.iter().find(|p| before.ends_with(p)) {
                denied.push(start - phrase.len()..span.end);
            }
        }
        replacing_runs(content, &denied, &self.role_denied_stand_in)
    }

    /// The words of the message that are searched: its content without the roles it says are
    /// not meant and without the alternatives it sets aside.
    fn searched_content(&self, reading: &Reading) -> Words {
        self.without_alternatives(self.without_roles_denied(reading.content()))
    }

    /// The hits for the message, without the names of the roles it names (`named_at_first`)
    /// that are neither what it asks about nor compared with it (`named`): "I'm an HCA and
    /// want to be a nurse, what would I need" is not asked of HCAs' qualifications.
    fn search_without_roles(
        &self,
        reading: &Reading,
        named_at_first: &[usize],
        named: &[usize],
        analysis: &Analysis,
    ) -> Vec<Hit> {
        if named.is_empty()
            || named_at_first.len() < 2
            || named_at_first.iter().all(|role| named.contains(role))
        {
            return self.search(analysis);
        }
        let content = self.searched_content(reading);
        let dropped: Vec<_> = (self.role_names.spans_as_written(&content.words))
            .into_iter()
            .filter(|span| {
                let roles = self
                    .role_names
                    .find(&self.analyzer, &content.words[span.clone()]);
                !roles.is_empty() && roles.iter().all(|role| !named.contains(role))
            })
            .map(|span| with_band_before(&content.words, span))
            .collect();
        self.search(&self.analyzer.weigh(without_runs(content, &dropped), true))
    }

    /// The entries the question finds alone when the roles `named` are only told of, in
    /// clauses that ask nothing, no aspect of a role is asked (`asked_without_roles`), and the
    /// question's meaning agrees.
    fn told_aside(&self, reading: &Reading, named: &[usize], words: &[String]) -> Option<Vec<Hit>> {
        if named.is_empty() || self.aspect(words).is_some() {
            return None;
        }
        // The question's meaning agrees: what it finds alone is among the entries nearest it.
        let alone = self.asked_without_roles(reading, named)?;
        let asked = reading.asked()?;
        let best = alone.first()?.entry;
        let nearest = self.nearest_in_meaning(&asked.words, CLEAR_NEAREST);
        nearest
            .iter()
            .any(|(entry, _)| *entry == best)
            .then_some(alone)
    }

    /// The hits for the message without the name of the writer's `job`, when an entry that is
    /// not about that role answers them, the message asks no fact of a role and does not
    /// speak of the writer's own job ("is my job in demand?").
    fn beyond_job(&self, reading: &Reading, words: &[String], job: usize) -> Option<Vec<Hit>> {
        if self.aspect(words).is_some() || self.own_job.iter().any(|p| contains_phrase(words, p)) {
            return None;
        }
        let content = reading.content();
        let job_spans: Vec<_> = self
            .role_names
            .spans_as_written(&content.words)
            .into_iter()
            .filter(|span| {
                self.role_names
                    .find(&self.analyzer, &content.words[span.clone()])
                    == [job]
            })
            .collect();
        let rest = without_runs(content, &job_spans);
        // A question that says all it asks in its own words and finds its entry surely is
        // what is asked ("I'm a porter at my local hospital… how do I move up").
        if let Some(alone) = self.asked_without_roles(reading, &[job]) {
            return Some(alone);
        }
        let hits = self.search(&self.analyzer.weigh(rest, true));
        let best = hits.first()?;
        let entry = &self.knowledge.entries[best.entry];
        // A statement that asks nothing is answered only with certainty, as below.
        let least = if reading.requests() {
            ANSWER_MIN
        } else {
            STATEMENT_ANSWER_MIN
        };
        (best.confidence >= least && self.entry_role(entry) != Some(job)).then_some(hits)
    }

    /// The entries the question finds alone, when it says all it asks in its own words, names
    /// no role and finds its entry surely, and that entry is about none of `roles`: the roles
    /// told beside it are not what is asked ("I'm a porter at my local hospital… how do I move
    /// up"). A question that refers back ("does a human read it?") is not read alone.
    fn asked_without_roles(&self, reading: &Reading, roles: &[usize]) -> Option<Vec<Hit>> {
        let asked = reading.asked()?;
        if self.own_words(&asked.words) < ASKED_WORDS
            || self.analyzer.lexicon().refers_back(&asked.words)
            || !self
                .role_names
                .find(&self.analyzer, &asked.words)
                .is_empty()
        {
            return None;
        }
        let alone = self.search(&self.analyzer.weigh(asked, true));
        let best = alone.first()?;
        let about = self.entry_role(&self.knowledge.entries[best.entry]);
        (best.confidence >= CERTAIN && about.is_none_or(|role| !roles.contains(&role)))
            .then_some(alone)
    }

    /// The `k` entries nearest in meaning to `words`, best first, with their similarity.
    fn nearest_in_meaning(&self, words: &[String], k: usize) -> Vec<(usize, f32)> {
        self.meaning
            .entries(&self.meaning.encode(&words.join(" ")), k)
    }

    /// True when `words` are near an example of what the bot does not answer and far nearer
    /// to it than to any entry (`OFF_TOPIC_MIN`, `OFF_TOPIC_GAP`).
    fn off_topic(&self, words: &[String]) -> bool {
        let vector = self.meaning.encode(&words.join(" "));
        let declined = self.declined.nearest(&vector);
        // The few examples first: the many entries only for a message near one of them.
        declined >= OFF_TOPIC_MIN
            && (self.meaning.entries(&vector, 1).first())
                .is_none_or(|&(_, entry)| declined - entry >= OFF_TOPIC_GAP)
    }

    /// True when the best hit, though under `ANSWER_MIN`, is clearly ahead of the next by
    /// words and meaning, and is among the entries nearest in meaning too: two signals agree
    /// on one entry ("is volunteering at a hospital actually worth it or a waste of my
    /// weekends"). Used only for a question that names no role and tells nothing about the
    /// writer, where a role's card or a note would be the better reply.
    fn clear_winner(&self, hits: &[Hit], words: &[String]) -> bool {
        let [best, next, ..] = hits else {
            return false;
        };
        let nearest = self.nearest_in_meaning(words, CLEAR_NEAREST);
        // The nearest in meaning of all, and near: the words' best agrees with it.
        let agrees = match nearest[..] {
            [(entry, similarity), (_, second), ..] => {
                entry == best.entry
                    && similarity >= AGREE_SIMILARITY
                    && similarity - second >= AGREE_GAP
                    && best.confidence >= AGREE_MIN
            }
            _ => false,
        };
        if agrees {
            return true;
        }
        if best.confidence < CLEAR_MIN || best.confidence - next.confidence < CLEAR_MARGIN {
            return false;
        }
        nearest.iter().any(|(entry, _)| *entry == best.entry)
    }

    /// `hits` with the entry clearly nearest in meaning first, when the words are unsure and
    /// their best is another ("got an interview for a ward clerk job, what kind of interview
    /// is it?": the words of the role outweigh the one word "interview"). That entry keeps its
    /// confidence by words, or the least that answers.
    fn meaning_first(&self, mut hits: Vec<Hit>, words: &[String]) -> Vec<Hit> {
        let Some(best) = hits.first() else {
            return hits;
        };
        if best.confidence >= MEANING_OVERRULES_BELOW {
            return hits;
        }
        let nearest_few = self.nearest_in_meaning(words, MEANING_FAR);
        let [(nearest, similarity), (_, second), ..] = nearest_few[..] else {
            return hits;
        };
        // A sure best by words is overruled only when far from the message in meaning.
        let far = best.confidence < CERTAIN
            || similarity >= MEANING_SURE_SIMILARITY
                && !nearest_few.iter().any(|&(entry, _)| entry == best.entry);
        if nearest == best.entry
            || !far
            || similarity < MEANING_FIRST_SIMILARITY
            || similarity - second < MEANING_FIRST_GAP
        {
            return hits;
        }
        let at = hits.iter().position(|h| h.entry == nearest);
        let mut first = at.map_or(
            Hit {
                entry: nearest,
                confidence: 0.0,
                rank: 0.0,
            },
            |at| hits.remove(at),
        );
        first.confidence = first.confidence.max(ANSWER_MIN);
        hits.insert(0, first);
        hits
    }

    /// `reply`, with what was just noted about the writer (`facts`, when any) said first.
    fn noted_before(&self, mut reply: Reply, facts: &str) -> Reply {
        if !facts.is_empty() {
            let noted = fill(&self.messages.noted_briefly, &[("facts", facts)]);
            reply.text = format!("{noted}\n\n{}", reply.text);
        }
        reply
    }

    /// Hits for a follow-up, read together with the subject under discussion, when the message
    /// refers back to it ("how long does that take?") or does not match well on its own. The
    /// follow-up reading wins only when it is clearly better than the message alone.
    fn with_context(
        &self,
        state: &UserState,
        reading: &Reading,
        analysis: &Analysis,
        alone: &[Hit],
        refers: bool,
    ) -> Option<Vec<Hit>> {
        let asks = reading.asks();
        // A message with no words of its own (only emoji) follows nothing up.
        if analysis.words.is_empty() {
            return None;
        }
        // "Ok back to the apprenticeship thing, what areas can u do them in" after holidays:
        // "them" is the subject the sentence before the question names surely, not the topic
        // under discussion.
        let told = refers.then(|| self.referent_told(reading)).flatten();
        let topic = match told {
            Some(told) => told,
            None => self.knowledge.entry(state.topic.as_deref()?)?,
        };
        // "What's involved in that?" after return to practice: a question's frame, its subject
        // left to the reference. The frame alone finds entries of different kinds as well as
        // each other ("what's involved in nursing", "… in physics"), none of whose subjects
        // the message says: no rival to the follow-up.
        let frame_only = refers
            && self.own_words(&analysis.words) <= BARE_WORDS
            && match alone {
                [first, second, ..] => {
                    let id = |h: &Hit| self.knowledge.entries[h.entry].id.as_str();
                    second.confidence + FRAME_MARGIN >= first.confidence
                        && !same_section(id(first), id(second))
                        && [first, second].iter().all(|h| {
                            !self.says_subject(&analysis.words, &self.knowledge.entries[h.entry])
                        })
                }
                _ => false,
            };
        let alone_best = match alone.first() {
            Some(_) if frame_only => 0.0,
            Some(hit) => hit.confidence,
            None => 0.0,
        };
        // A short question the message alone answers only unsurely may still follow up what
        // was just answered, in no words that refer back ("would i have to retrain from
        // scratch?" after return to practice): the follow-up reading, when clearly better.
        let implicit = !refers
            && asks
            && (ANSWER_MIN..CERTAIN).contains(&alone_best)
            && self.own_words(&analysis.words) <= SHORT_FOLLOW_UP / 2;
        if !refers && alone_best >= ANSWER_MIN && !implicit {
            return None;
        }
        // "How is specialty training recruited, is it nhs jobs?" after psychiatry: "it" is the
        // subject the message names, of the entry it finds with certainty.
        // So is a subject of one word turned to ("wat about apprenticeships, is it paid??"
        // after jobs from school), of an entry found at all ("what about radiopharmacy that
        // sounds cool" after aseptic units: "that" is radiopharmacy).
        if alone.first().is_some_and(|h| {
            let entry = &self.knowledge.entries[h.entry];
            h.confidence >= CERTAIN && self.says_subject(&analysis.words, entry)
                || h.confidence >= ANSWER_MIN
                    && self.turns_to_one_word_subject(&analysis.words, entry)
        }) {
            return None;
        }
        if refers && self.referent_within(reading, alone) {
            return None;
        }
        let mut together = analysis.clone();
        let subject = self.analyzer.analyze_content(topic.subject());
        together.words.extend(subject.words);
        together
            .slots
            .extend(subject.slots.into_iter().map(|mut slot| {
                slot.factor *= SUBJECT_WEIGHT;
                slot
            }));
        let hits = self.retriever.search(&together);
        let best = hits.first()?;
        // A message that refers back prefers the follow-up reading unless it is clearly worse.
        let margin = if refers { -FOLLOW_UP_MARGIN } else { 0.0 };
        let margin = if implicit { FOLLOW_UP_MARGIN } else { margin };
        let better = best.confidence >= ANSWER_MIN && best.confidence > alone_best + margin;
        let same_again = self.knowledge.entries[best.entry].id == topic.id;
        let moves_on = refers || implicit || !same_again;
        // "Could I do a secondment to try it out?" after advanced practice: the entry just
        // shown again is no answer when another answers the message alone with certainty.
        let other_certain = alone_best >= CERTAIN
            && self.own_words(&analysis.words) > FOLLOW_UP_WORDS
            && alone
                .first()
                .is_some_and(|h| self.knowledge.entries[h.entry].id != topic.id);
        // "Would they fund a masters?" after mentoring: "they" is the employer. The message
        // alone finds an entry its own words back far better than the follow-up's, and its
        // meaning agrees; the subject under discussion adds nothing the message asks for.
        // A short message does so only when it finds its entry surely and its own words give
        // the follow-up's none ("if i get an interview what are they like" after the person
        // specification).
        let own_support = alone
            .iter()
            .find(|h| h.entry == best.entry)
            .map_or(0.0, |h| h.confidence);
        // "And what about later on, when I'm more senior?" asks the same again of something
        // else: a follow-up by its first words.
        let asks_same_of_other = (self.role_switch.iter())
            .any(|phrase| phrase.len() > 1 && analysis.words.starts_with(phrase));
        let says_otherwise = || {
            !asks_same_of_other
                && alone_best >= ANSWER_MIN
                && own_support + OWN_SUPPORT_GAP < alone_best
                && (self.own_words(&analysis.words) > FOLLOW_UP_WORDS
                    || alone_best >= CERTAIN && own_support == 0.0)
                && alone.first().is_some_and(|h| {
                    (self
                        .nearest_in_meaning(&analysis.words, CLEAR_NEAREST)
                        .iter())
                    .any(|(entry, _)| *entry == h.entry)
                })
        };
        // "Where do I apply up here?" after school leavers' roles: a follow-up in no words that
        // refer back, where the message's meaning agrees with its own reading and not with
        // the follow-up's, is no follow-up.
        let unrelated = || {
            let nearest = self.nearest_in_meaning(&analysis.words, CLEAR_NEAREST);
            let near = |entry: usize| nearest.iter().any(|(near, _)| *near == entry);
            implicit
                && !asks_same_of_other
                && alone.first().is_some_and(|h| near(h.entry))
                && !near(best.entry)
        };
        // Checked last: they read the message's meaning.
        (better && moves_on && !(same_again && other_certain) && !says_otherwise() && !unrelated())
            .then_some(hits)
    }

    /// The entry that the sentence told before a question that refers back turns back to
    /// (`turned_back`) and finds with certainty.
    fn referent_told(&self, reading: &Reading) -> Option<&Entry> {
        let lexicon = self.analyzer.lexicon();
        let told = reading.clause_told_before_reference(|words| lexicon.refers_back(words))?;
        if !(self.turned_back.iter()).any(|p| contains_phrase(&told.words, p)) {
            return None;
        }
        let found = self.search(&self.analyzer.weigh(reading.clause_content(told), true));
        let best = found.first().filter(|h| h.confidence >= CERTAIN)?;
        Some(&self.knowledge.entries[best.entry])
    }

    /// True when a message's question refers back to a sentence of its own told before it
    /// ("she's been going on about the hearing job, what does that involve?"): that sentence
    /// names a role ("paramedic sounds right up my street. is that in demand?"), or alone finds
    /// with certainty the entry the whole message finds, surely enough to answer.
    fn referent_within(&self, reading: &Reading, alone: &[Hit]) -> bool {
        let lexicon = self.analyzer.lexicon();
        let Some(words) = reading.told_before_reference(|words| lexicon.refers_back(words)) else {
            return false;
        };
        if !self
            .role_names
            .find(&self.analyzer, &words.words)
            .is_empty()
        {
            return true;
        }
        let Some(best) = alone.first().filter(|h| h.confidence >= ANSWER_MIN) else {
            return false;
        };
        let found = self.search(&self.analyzer.weigh(words, true));
        found
            .first()
            .is_some_and(|h| h.entry == best.entry && h.confidence >= CERTAIN)
    }

    /// "How many holidays would I get, cos the salon only gives me 20 days": what the message
    /// asks, alone, an entry answers better than a decline does, whatever the rest is about.
    fn asked_is_careers(&self, reading: &Reading) -> bool {
        reading.asked().is_some_and(|asked| {
            let analysis = self.analyzer.weigh(asked, true);
            let declined = (self.intent_index.rank(&analysis).into_iter())
                .find(|m| !self.intents[m.doc].kind.is_safety())
                .filter(|m| self.intents[m.doc].kind.is_fallback())
                .map_or(0.0, |m| m.confidence);
            (self.search(&analysis).first())
                .is_some_and(|h| h.confidence >= ANSWER_MIN && h.confidence > declined)
        })
    }

    /// "The foundation one" after the Mary Seacole Programme: the related entry that the
    /// answer just given names on the line that says what tells it apart ("Edward Jenner
    /// Programme: foundation leadership").
    fn picked(&self, state: &UserState, words: &[String]) -> Option<usize> {
        const WITHIN: usize = 3;
        if let Some(place) = self.picked_place(words) {
            let topic = self.knowledge.entry(state.topic.as_deref()?)?;
            let items: Vec<Listed> = (self.listed(topic).into_iter())
                .filter(|line| line.item)
                .collect();
            let at = place.unwrap_or(items.len().checked_sub(1)?);
            let item = items.get(at)?;
            let index = self
                .knowledge
                .entries
                .iter()
                .position(|e| std::ptr::eq(e, topic));
            return (item.names)
                .or(index.filter(|_| item.names_itself))
                .or_else(|| self.names_one_entry(&item.words));
        }
        let lexicon = self.analyzer.lexicon();
        let telling = words.iter().enumerate().find_map(|(end, word)| {
            if !self.picked_after.contains(word) {
                return None;
            }
            (end.saturating_sub(WITHIN + 1)..end.saturating_sub(1)).find_map(|open| {
                let between = &words[open + 1..end];
                let content: Vec<String> = (between.iter())
                    .filter(|w| !lexicon.is_stop_word(w))
                    .map(|w| self.analyzer.stem(w))
                    .collect();
                (self.picked_opening.contains(&words[open])
                    && !lexicon.refers_back(between)
                    && !content.is_empty())
                .then_some(content)
            })
        })?;
        let topic = self.knowledge.entry(state.topic.as_deref()?)?;
        let mut picked = (self.listed(topic).into_iter())
            .filter(|line| telling.iter().all(|w| line.stems.contains(w)))
            .filter_map(|line| line.names);
        let first = picked.next()?;
        picked.all(|other| other == first).then_some(first)
    }

    /// The one entry whose title, label or subject `words` say ("Nye Bevan Programme: senior
    /// leaders"), if only one.
    fn names_one_entry(&self, words: &[String]) -> Option<usize> {
        let mut named = (self.knowledge.entries.iter().enumerate())
            .filter(|(_, entry)| {
                (self.entry_names(entry).iter()).any(|name| contains_phrase(words, name))
            })
            .map(|(index, _)| index);
        named.next().filter(|_| named.next().is_none())
    }

    /// An entry's title, label and subject as normalised words: the names a line of an answer
    /// may call it by.
    fn entry_names(&self, entry: &Entry) -> Vec<Vec<String>> {
        [&entry.title, &entry.label, &entry.subject]
            .into_iter()
            .map(|name| self.analyzer.normal_words(name))
            .filter(|name| !name.is_empty())
            .collect()
    }

    /// Where in the list just given "the second one" picks: `Some(Some(1))`; "the last one"
    /// `Some(None)`; `None` when the message picks no place.
    fn picked_place(&self, words: &[String]) -> Option<Option<usize>> {
        let place = (2..words.len()).find_map(|end| {
            (self.picked_after.contains(&words[end])
                && self.picked_opening.contains(&words[end - 2]))
            .then(|| &words[end - 1])
        })?;
        if self.picked_last.contains(place) {
            return Some(None);
        }
        let at = self.picked_ordinals.iter().position(|o| o == place)?;
        Some(Some(at))
    }

    /// "What comes after that one?" after the Mary Seacole Programme: the related entry the
    /// answer just given lists next to its own line ("Elizabeth Garrett Anderson Programme:
    /// mid-level leaders"), or before it ("is there one before it?").
    fn in_sequence(&self, state: &UserState, words: &[String]) -> Option<usize> {
        let after = (self.sequence_after.iter()).any(|phrase| contains_phrase(words, phrase));
        let before = (self.sequence_before.iter()).any(|phrase| contains_phrase(words, phrase));
        if after == before {
            return None;
        }
        // The thing the message names ("what comes after mary seacole"), else the one just
        // answered.
        let named = (self.knowledge.entries.iter()).filter(|entry| self.says_subject(words, entry));
        let topic = self
            .knowledge
            .entry(state.topic.as_deref().unwrap_or_default());
        named.chain(topic).find_map(|anchor| {
            // Its own list, else the list of an entry related to it that names it ("and after
            // that?" after the STP: the career levels list it, then the HSST).
            let index = self
                .knowledge
                .entries
                .iter()
                .position(|e| std::ptr::eq(e, anchor))?;
            let related = (anchor.related.iter()).filter_map(|id| self.knowledge.entry(id));
            std::iter::once(anchor).chain(related).find_map(|owner| {
                let lines = self.listed(owner);
                let own = lines.iter().position(|line| {
                    line.item
                        && if std::ptr::eq(owner, anchor) {
                            line.names_itself
                        } else {
                            line.names == Some(index)
                        }
                })?;
                let next = if after { own + 1 } else { own.checked_sub(1)? };
                (lines.get(next))
                    .filter(|line| line.item)
                    .and_then(|line| line.names)
            })
        })
    }

    /// The lines of an entry's answer: each line's word stems, whether it is an item of a
    /// list, whether it names the entry itself, and the one related entry it names, if any.
    fn listed(&self, entry: &Entry) -> Vec<Listed> {
        let own_names = self.entry_names(entry);
        let related: Vec<(usize, Vec<Vec<String>>)> = (entry.related.iter())
            .filter_map(|id| self.knowledge.entries.iter().position(|e| &e.id == id))
            .map(|index| (index, self.entry_names(&self.knowledge.entries[index])))
            .collect();
        let said = |line: &[String], names: &[Vec<String>]| {
            names.iter().any(|name| contains_phrase(line, name))
        };
        (entry.answer.lines())
            .map(|line| {
                let words = self.analyzer.normal_words(line);
                let mut named = (related.iter())
                    .filter(|(_, names)| said(&words, names))
                    .map(|(index, _)| *index);
                let names = named.next().filter(|_| named.next().is_none());
                let trimmed = line.trim_start();
                Listed {
                    item: trimmed.starts_with("- ")
                        || trimmed.split_once(". ").is_some_and(|(n, _)| {
                            !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())
                        }),
                    names_itself: said(&words, &own_names),
                    stems: words.iter().map(|w| self.analyzer.stem(w)).collect(),
                    names,
                    words,
                }
            })
            .collect()
    }

    /// True when the message asks about an employer or a kind of work outside the NHS ("any
    /// jobs going at tesco?", "what grades do you need to be a vet"), not the writer's own
    /// ("i work at tesco, what could i do in the nhs"), and says nothing of the NHS, health
    /// care or an NHS role besides.
    fn asks_elsewhere(&self, reading: &Reading) -> bool {
        // Where each employer named starts in each clause, and how many words it has.
        let found: Vec<Vec<(usize, usize)>> = (reading.clauses.iter())
            .map(|clause| self.elsewhere_spans(&clause.words))
            .collect();
        if found.iter().all(Vec::is_empty) {
            return false;
        }
        let mut asked = false;
        for (clause, found) in reading.clauses.iter().zip(&found) {
            let words = &clause.words;
            if words.iter().any(|w| self.in_the_nhs.contains(w)) {
                return false;
            }
            let mut rest = std::borrow::Cow::Borrowed(words);
            for &(at, len) in found {
                let before = &words[at.saturating_sub(ELSEWHERE_OWN_WORDS)..at];
                let asked_after =
                    (words.get(at + len)).is_some_and(|w| self.elsewhere_asked_after.contains(w));
                asked |= asked_after || !before.iter().any(|w| self.elsewhere_own.contains(w));
                rest.to_mut()[at..at + len]
                    .iter_mut()
                    .for_each(String::clear);
            }
            if !self.role_names.find(&self.analyzer, &rest).is_empty() {
                return false;
            }
        }
        asked
    }

    /// Where each employer of `elsewhere` starts in `words` (the longest there), and how many
    /// words it has.
    fn elsewhere_spans(&self, words: &[String]) -> Vec<(usize, usize)> {
        (0..words.len())
            .filter_map(|at| {
                (self.elsewhere.iter())
                    .filter(|p| !p.is_empty() && words[at..].starts_with(p))
                    .map(|p| (at, p.len()))
                    .max_by_key(|&(_, len)| len)
            })
            .collect()
    }

    /// The intent whose trigger phrase the message contains, emergencies first.
    fn triggered(&self, analysis: &Analysis) -> Option<usize> {
        self.triggers
            .iter()
            .find(|(phrase, _)| analysis.has_phrase(phrase))
            .map(|(_, i)| *i)
    }

    /// The entry for a wish to work in the NHS: the one the writer's life stage suggests, or
    /// `wish_entry`.
    fn wish_entry(&self, profile: &Profile) -> Option<&Entry> {
        // The life stage first, then the qualifications ("only got like 3 gcses": the
        // entry-level roles).
        let suggested = [Field::Stage, Field::Qualification]
            .iter()
            .flat_map(|field| (self.facts.tailors.iter()).filter(move |t| t.field == *field))
            .filter(|t| t.holds(profile))
            .find_map(|t| t.suggest.as_deref());
        self.knowledge
            .entry(suggested.or(self.messages.wish_entry.as_deref())?)
    }

    /// The entry to answer with: `best`, unless the entry the life stage or qualification the
    /// writer has just told (`situation_told`) suggests is near behind it (`SUGGESTED_MARGIN`),
    /// or the next is too close to choose between by confidence. Then the one of the two that
    /// the writer's situation suggests (return to practice for a returner, the entry-level roles
    /// for someone with few qualifications), or the one nearest in meaning to the message's
    /// `words` when the nearest entry of all is one of them; otherwise "did you mean A or B?".
    fn settle(
        &self,
        best: Hit,
        hits: &[Hit],
        words: &[String],
        named: &[usize],
        profile: &Profile,
        situation_told: bool,
    ) -> Result<Hit, Reply> {
        let Some(&second) = hits.get(1) else {
            return Ok(best);
        };
        let suggested = |entry: &Entry| {
            self.facts
                .tailors
                .iter()
                .filter(|t| matches!(t.field, Field::Stage | Field::Qualification))
                .filter(|t| t.holds(profile))
                .any(|t| t.suggest.as_deref() == Some(entry.id.as_str()))
        };
        // The entry the stage the writer has just told suggests, not far behind an uncertain
        // best ("registered nurse from the philippines, 6 yrs experience… how can i work in the
        // NHS?": joining from overseas, not working abroad later).
        if situation_told
            && best.confidence < CERTAIN
            && let Some(&near) = hits.iter().skip(1).find(|h| {
                h.confidence >= best.confidence - SUGGESTED_MARGIN
                    && suggested(&self.knowledge.entries[h.entry])
            })
        {
            return Ok(near);
        }
        // The best is that entry: no near one takes its place ("… registered nurse in
        // philippines… how can i work as nurse in nhs?" is not nursing's own entry).
        if situation_told && suggested(&self.knowledge.entries[best.entry]) {
            return Ok(best);
        }
        let close = second.confidence >= best.confidence - AMBIGUITY_MARGIN;
        // Of two close entries about the one role named, the one whose title names the fact
        // asked, however sure the other ("are there loads of nursing jobs": demand for
        // nurses, not nursing in general).
        if close && let ([role], Some(aspect)) = (named, self.aspect(words)) {
            let names_fact = |hit: &Hit| {
                let entry = &self.knowledge.entries[hit.entry];
                self.entry_role(entry) == Some(*role) && self.title_names(entry, aspect)
            };
            if names_fact(&second) && !names_fact(&best) {
                return Ok(second);
            }
        }
        // Of two close entries, the one whose subject the message says in its words when the
        // other's it does not ("what other non-clinical areas are there": not clinical roles).
        if close
            && best.confidence < CERTAIN
            && self.says_subject(words, &self.knowledge.entries[second.entry])
            && !self.says_subject(words, &self.knowledge.entries[best.entry])
        {
            return Ok(second);
        }
        if !close || best.confidence >= CERTAIN {
            return Ok(best);
        }
        let (a, b) = (
            &self.knowledge.entries[best.entry],
            &self.knowledge.entries[second.entry],
        );
        if a.related.contains(&b.id) || b.related.contains(&a.id) {
            return Ok(best);
        }
        // The one that answers the fact asked of the role named ("what qualifications would my
        // son need to become a radiographer?": those of the allied health professions, not
        // volunteering).
        let asked = self.aspect(words);
        let about_named = |entry: &Entry| match (named, asked) {
            ([role], Some(aspect)) => self.entry_answers(entry, *role, aspect, None),
            _ => false,
        };
        match (about_named(a), about_named(b)) {
            (true, false) => return Ok(best),
            (false, true) => return Ok(second),
            _ => {}
        }
        // Else the role's own entry ("can nurses specialise? like in cancer or A&E": nursing,
        // not working abroad later).
        let own_entry = |entry: &Entry| matches!(named, [role] if self.knowledge.roles[*role].entry == entry.id);
        match (own_entry(a), own_entry(b)) {
            (true, false) => return Ok(best),
            (false, true) => return Ok(second),
            _ => {}
        }
        match (suggested(a), suggested(b)) {
            (true, false) => return Ok(best),
            (false, true) => return Ok(second),
            _ => {}
        }
        match self.nearest_in_meaning(words, 1).first() {
            Some((nearest, _)) if *nearest == best.entry => return Ok(best),
            Some((nearest, _)) if *nearest == second.entry => return Ok(second),
            _ => {}
        }
        let options = format!("{}{}{}", a.title, self.messages.or, b.title);
        Err(Reply {
            text: fill(&self.messages.did_you_mean, &[("options", &options)]),
            confidence: best.confidence,
            suggestions: vec![a.label.clone(), b.label.clone()],
            ..Reply::default()
        })
    }

    /// True when `words` say at most one word of their own, and that names no subject of the
    /// knowledge ("is that hard?", "is it worth it"; not "hsst, what is it pls").
    fn says_too_little(&self, words: &[String]) -> bool {
        let lexicon = self.analyzer.lexicon();
        let own: Vec<&String> = (words.iter())
            .filter(|w| !lexicon.is_stop_word(w) && !lexicon.is_weak_word(w))
            .collect();
        own.len() <= BARE_WORDS && !own.iter().any(|w| self.subject_words.contains(*w))
    }

    /// A vague follow-up asking a role's fact (`asks_fact`) about the subject under discussion
    /// when that is an entry about no role and the best answer (`best`) is neither it nor one
    /// related to it: the bot says its sources don't answer that there.
    fn fact_not_in_topic(
        &self,
        state: &UserState,
        words: &[String],
        asks_fact: bool,
        best: Option<Hit>,
    ) -> Option<Reply> {
        if !asks_fact || state.role.is_some() {
            return None;
        }
        let topic = self.knowledge.entry(state.topic.as_deref()?)?;
        let aspect = self.aspect(words)?;
        let best = &self.knowledge.entries[best?.entry];
        let related = best.id == topic.id
            || topic.related.contains(&best.id)
            || best.related.contains(&topic.id);
        if related || aspect.entry.is_some() || self.entry_role(topic).is_some() {
            return None;
        }
        let text = fill(
            &self.messages.fact_not_in_topic,
            &[("ask", &aspect.ask), ("topic", &topic.label)],
        );
        let mut reply = self.message(&text, false);
        reply.topic = Some(topic.id.clone());
        reply.sources = topic.sources.clone();
        Some(reply)
    }

    /// The reply that answers from a knowledge entry, with any note that tailors it to what
    /// the user told about themselves.
    fn answer(&self, entry: &Entry, confidence: f32, next: &mut UserState) -> Reply {
        if next.topic.as_deref() != Some(entry.id.as_str()) {
            next.shown.clear();
        }
        next.topic = Some(entry.id.clone());
        let mut text = entry.answer.clone();
        let mut sources = entry.sources.clone();
        let mut suggestions = Vec::new();
        if !entry.more.is_empty() {
            suggestions.push(self.messages.more_label.clone());
        }
        for tailor in self
            .facts
            .tailors
            .iter()
            .filter(|t| t.applies(&entry.id, &next.profile))
        {
            text.push_str("\n\n");
            text.push_str(&tailor.note);
            sources.extend(
                tailor
                    .sources
                    .iter()
                    .filter(|s| !entry.sources.contains(s))
                    .cloned(),
            );
            let suggested = tailor
                .suggest
                .as_deref()
                .and_then(|id| self.knowledge.entry(id));
            suggestions.extend(suggested.map(|e| e.label.clone()));
        }
        let related = entry
            .related
            .iter()
            .filter_map(|id| self.knowledge.entry(id))
            .map(|e| e.label.clone());
        for label in related {
            if suggestions.len() >= MAX_BUTTONS {
                break;
            }
            if !suggestions.contains(&label) {
                suggestions.push(label);
            }
        }
        Reply {
            text,
            topic: Some(entry.id.clone()),
            confidence,
            fallback: false,
            sources,
            suggestions,
            ..Reply::default()
        }
    }

    /// Makes the role an entry is about the one under discussion, if it is about one.
    fn note_entry_role(&self, entry: &Entry, next: &mut UserState) {
        let Some(role) = self.entry_role(entry) else {
            return;
        };
        let role = &self.knowledge.roles[role];
        // An entry on the group that the role under discussion belongs to ("is it hard to get a
        // job after?" after dietitian, answered by the demand for allied health professions)
        // leaves that role under discussion, not the group's.
        let in_group = (next.role.as_deref())
            .and_then(|id| self.role_index(id))
            .map(|current| &self.knowledge.roles[current])
            .is_some_and(|current| current.id != role.id && current.entry == role.entry);
        if !in_group {
            next.role = Some(role.id.clone());
        }
    }

    /// "Tell me more": the topic's longer part, then its related entries, never twice.
    fn more(&self, state: &UserState, next: &mut UserState) -> Reply {
        let Some(topic) = state
            .topic
            .as_deref()
            .and_then(|id| self.knowledge.entry(id))
        else {
            return self.message(&self.messages.more_without_topic, true);
        };
        if !topic.more.is_empty() && !state.shown.contains(&topic.id) {
            next.shown.push(topic.id.clone());
            let mut reply = self.answer(topic, 1.0, next);
            reply.text = topic.more.clone();
            reply.suggestions.retain(|s| *s != self.messages.more_label);
            return reply;
        }
        // Never an entry already read in this conversation, as an answer or through "more".
        let read = |id: &String| {
            state.shown.contains(id) || state.turns.iter().any(|t| t.topic.as_ref() == Some(id))
        };
        let unseen = topic.related.iter().filter(|id| !read(id));
        match unseen.filter_map(|id| self.knowledge.entry(id)).next() {
            Some(related) => {
                let mut reply = self.answer(related, 1.0, next);
                next.topic = Some(topic.id.clone());
                next.shown = state.shown.clone();
                next.shown.push(related.id.clone());
                reply.suggestions.retain(|s| *s != self.messages.more_label);
                reply
            }
            None => {
                let text = fill(&self.messages.no_more, &[("subject", topic.subject())]);
                let mut reply = self.message(&text, false);
                reply.topic = Some(topic.id.clone());
                reply
            }
        }
    }

    /// The reply to an intent: its action, its knowledge entry, or one of its replies.
    fn intent_reply(
        &self,
        index: usize,
        confidence: f32,
        state: &UserState,
        next: &mut UserState,
        words: &[String],
    ) -> Reply {
        let intent = &self.intents[index];
        if let Some(action) = intent.action {
            return self.act(action, index, state, next, words);
        }
        if let Some(entry) = intent
            .entry
            .as_deref()
            .and_then(|id| self.knowledge.entry(id))
        {
            return self.answer(entry, confidence, next);
        }
        let mut reply = self.plain_intent_reply(index, state);
        reply.confidence = confidence;
        reply
    }

    /// One of the intent's replies, with its buttons and sources.
    fn plain_intent_reply(&self, index: usize, state: &UserState) -> Reply {
        let intent = &self.intents[index];
        Reply {
            text: variant(&intent.replies, state.turn_count).to_owned(),
            topic: Some(intent.id.clone()),
            confidence: 1.0,
            fallback: intent.kind.is_fallback(),
            sources: intent.sources.clone(),
            suggestions: intent.suggestions.clone(),
            ..Reply::default()
        }
    }

    /// The one reply to a user who sends messages too fast.
    pub(crate) fn flood_reply(&self) -> Reply {
        self.message(&self.messages.flood, false)
    }

    fn message(&self, text: &str, fallback: bool) -> Reply {
        Reply {
            text: text.to_owned(),
            fallback,
            ..Reply::default()
        }
    }

    /// The buttons of a reply, with what each does when pressed.
    fn offers(&self, reply: &Reply) -> Vec<Offer> {
        reply
            .suggestions
            .iter()
            .map(|label| {
                if *label == self.messages.more_label {
                    return Offer {
                        label: label.clone(),
                        entry: None,
                        action: Some(MORE.to_owned()),
                    };
                }
                let entry = self.knowledge.entries.iter().find(|e| e.label == *label);
                Offer {
                    label: label.clone(),
                    entry: entry.map(|e| e.id.clone()),
                    action: None,
                }
            })
            .collect()
    }
}

/// A line of an entry's answer, as `Engine::listed` reads it.
struct Listed {
    /// The line is an item of a list ("- …", "1. …").
    item: bool,
    /// The line names the entry itself.
    names_itself: bool,
    /// The stems of the line's words.
    stems: Vec<String>,
    /// The one related entry the line names.
    names: Option<usize>,
    /// The line's normalised words.
    words: Vec<String>,
}

/// `span`, a role's name in `words`, with the pay band told straight before it ("band 6
/// nurse"): the grade is part of who the writer is, not what they ask about.
fn with_band_before(words: &[String], span: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let banded = span.start >= 2
        && words[span.start - 2] == "band"
        && crate::pattern::is_number(&words[span.start - 1]);
    if banded {
        span.start - 2..span.end
    } else {
        span
    }
}

/// `content` without the words in `runs`.
fn without_runs(mut content: Words, runs: &[std::ops::Range<usize>]) -> Words {
    if runs.is_empty() {
        return content;
    }
    let kept = |at: &usize| !runs.iter().any(|run| run.contains(at));
    let mut at = 0..;
    content
        .words
        .retain(|_| at.next().is_some_and(|i| kept(&i)));
    let mut at = 0..;
    content
        .factors
        .retain(|_| at.next().is_some_and(|i| kept(&i)));
    content
}

/// `content` with each of the `runs` (in order, apart) read as the words `stand_in`.
fn replacing_runs(content: Words, runs: &[std::ops::Range<usize>], stand_in: &[String]) -> Words {
    if runs.is_empty() {
        return content;
    }
    let mut replaced = Words {
        corrections: content.corrections,
        ..Words::default()
    };
    let mut runs = runs.iter().peekable();
    let pairs = content.words.into_iter().zip(content.factors);
    for (at, (word, factor)) in pairs.enumerate() {
        match runs.peek() {
            Some(run) if run.contains(&at) => {
                if at + 1 == run.end {
                    runs.next();
                    replaced.words.extend(stand_in.iter().cloned());
                    replaced.factors.extend(stand_in.iter().map(|_| 1.0));
                }
            }
            _ => {
                replaced.words.push(word);
                replaced.factors.push(factor);
            }
        }
    }
    replaced
}

/// True when the phrase (normalised words) occurs in `words` as a run.
pub(crate) fn contains_phrase(words: &[String], phrase: &[String]) -> bool {
    phrase_position(words, phrase).is_some()
}

/// The section of the knowledge an entry id belongs to: `apply` for `apply.oriel`.
pub(crate) fn section(id: &str) -> &str {
    id.split_once('.').map_or(id, |(section, _)| section)
}

/// True when two entry ids are in the same section of the knowledge ("apply.oriel" and
/// "apply.nhs-jobs").
fn same_section(one: &str, other: &str) -> bool {
    section(one) == section(other)
}

/// Where the phrase (normalised words) first occurs in `words` as a run.
pub(crate) fn phrase_position(words: &[String], phrase: &[String]) -> Option<usize> {
    if phrase.is_empty() {
        return None;
    }
    words.windows(phrase.len()).position(|w| w == phrase)
}

/// The offer whose label contains `label`, ignoring case.
fn find_offer<'a>(offered: &'a [Offer], label: &str) -> Option<&'a Offer> {
    let wanted = label.trim().to_lowercase();
    let exact = offered.iter().find(|o| o.label.to_lowercase() == wanted);
    exact.or_else(|| {
        offered
            .iter()
            .find(|o| o.label.to_lowercase().contains(&wanted))
    })
}

/// Every text the engine matches against, for the analyzer's vocabulary.
fn vocabulary<'a>(knowledge: &'a Knowledge, intents: &'a [Intent]) -> Vec<&'a str> {
    let mut texts: Vec<&str> = Vec::new();
    for entry in &knowledge.entries {
        texts.extend([
            entry.title.as_str(),
            &entry.answer,
            &entry.more,
            &entry.subject,
        ]);
        texts.extend(
            entry
                .questions
                .iter()
                .chain(&entry.keywords)
                .map(String::as_str),
        );
    }
    for role in &knowledge.roles {
        texts.extend(role.descriptions());
    }
    for intent in intents {
        texts.extend(
            intent
                .examples
                .iter()
                .chain(&intent.triggers)
                .map(String::as_str),
        );
    }
    texts
}

/// The patterns of each aspect of a role (`aspect` in `intents/messages.toml`), read.
/// An aspect names facts of a role or an entry that exists, not neither.
fn aspect_patterns(
    messages: &Messages,
    file: &SourceFile,
    analyzer: &Analyzer,
    knowledge: &Knowledge,
) -> Result<Vec<(usize, WordPattern)>, Error> {
    let normal = |t: &str| analyzer.normal_words(t);
    let stem = |w: &str| analyzer.stem(w);
    let classes = std::collections::HashMap::new();
    let read = |written: &String| {
        WordPattern::parse(written, &classes, &normal, &stem).map_err(|message| {
            let at = file.text.find(&format!("\"{written}\"")).unwrap_or(0);
            Error::content(&file.path, matcher::line_of(&file.text, at), message)
        })
    };
    let mut patterns = Vec::new();
    for (position, aspect) in messages.aspect.iter().enumerate() {
        let line = || {
            let at = file.text.find(&format!("\"{}\"", aspect.ask)).unwrap_or(0);
            matcher::line_of(&file.text, at)
        };
        if let Some(id) = aspect.otherwise.as_deref()
            && knowledge.entry(id).is_none()
        {
            let message = format!("aspect '{}': no knowledge entry '{id}'", aspect.ask);
            return Err(Error::content(&file.path, line(), message));
        }
        match aspect.entry.as_deref() {
            Some(id) if knowledge.entry(id).is_none() => {
                let message = format!("aspect '{}': no knowledge entry '{id}'", aspect.ask);
                return Err(Error::content(&file.path, line(), message));
            }
            None if aspect.fields.is_empty() => {
                let message = format!("aspect '{}': neither fields nor an entry", aspect.ask);
                return Err(Error::content(&file.path, line(), message));
            }
            _ => {}
        }
        for written in &aspect.phrases {
            patterns.push((position, read(written)?));
        }
    }
    Ok(patterns)
}

/// Every intent that answers with a knowledge entry names one that exists.
fn check_intent_entries(
    intents: &[Intent],
    knowledge: &Knowledge,
    content: &Content,
) -> Result<(), Error> {
    for intent in intents {
        if let Some(id) = intent
            .entry
            .as_deref()
            .filter(|id| knowledge.entry(id).is_none())
        {
            let file = content
                .intent_files()
                .find(|f| f.text.contains(&format!("\"{}\"", intent.id)))
                .map_or("intents", |f| f.path.as_str());
            let message = format!("intent '{}': no knowledge entry '{id}'", intent.id);
            return Err(Error::content(file, 1, message));
        }
    }
    Ok(())
}

/// Every entry a tailoring note names exists.
fn check_tailors(facts: &FactFinder, knowledge: &Knowledge, file: &str) -> Result<(), Error> {
    for tailor in &facts.tailors {
        let named = tailor.entries.iter().filter(|id| !id.ends_with('.'));
        if let Some(id) = named
            .chain(tailor.suggest.as_ref())
            .find(|id| knowledge.entry(id).is_none())
        {
            let message = format!("tailoring note: no knowledge entry '{id}'");
            return Err(Error::content(file, 1, message));
        }
    }
    Ok(())
}

fn check_unique_intents(intents: &[Intent], content: &Content) -> Result<(), Error> {
    let mut seen = std::collections::HashSet::new();
    for intent in intents {
        if !seen.insert(&intent.id) {
            let file = content
                .intent_files()
                .find(|f| f.text.contains(&format!("\"{}\"", intent.id)))
                .map_or("intents", |f| f.path.as_str());
            return Err(Error::content(
                file,
                1,
                format!("the intent id '{}' is used twice", intent.id),
            ));
        }
    }
    Ok(())
}

/// For each knowledge entry, the phrases of its subject and keywords with two words or more that
/// are not stop words ("specialty training" of Oriel's entry; not "register with"), as
/// normalised words.
fn subject_phrases(knowledge: &Knowledge, analyzer: &Analyzer) -> Vec<Vec<Vec<String>>> {
    let lexicon = analyzer.lexicon();
    (knowledge.entries.iter())
        .map(|entry| {
            std::iter::once(&entry.subject)
                .chain(&entry.keywords)
                .map(|phrase| analyzer.normal_words(phrase))
                .filter(|phrase| phrase.iter().filter(|w| !lexicon.is_stop_word(w)).count() >= 2)
                .collect()
        })
        .collect()
}

/// The subjects and keywords of the knowledge's entries, and the names of its roles, that
/// are one word besides stop words: that word, normalised.
fn subject_words(knowledge: &Knowledge, analyzer: &Analyzer) -> FxHashSet<String> {
    let lexicon = analyzer.lexicon();
    let entries = (knowledge.entries.iter())
        .flat_map(|entry| std::iter::once(&entry.subject).chain(&entry.keywords));
    let roles =
        (knowledge.roles.iter()).flat_map(|role| std::iter::once(&role.name).chain(&role.aliases));
    entries
        .chain(roles)
        .filter_map(|phrase| one_word(phrase, analyzer, |w| !lexicon.is_stop_word(w)))
        .collect()
}

/// For each knowledge entry, its subject and keywords that are one word besides stop and weak
/// words ("genetics" of the genetic sciences), normalised: how a message names it in a word.
fn entry_words(knowledge: &Knowledge, analyzer: &Analyzer) -> Vec<Vec<String>> {
    let lexicon = analyzer.lexicon();
    let kept = |w: &str| !lexicon.is_stop_word(w) && !lexicon.is_weak_word(w);
    (knowledge.entries.iter())
        .map(|entry| {
            (std::iter::once(&entry.subject).chain(&entry.keywords))
                .filter_map(|phrase| one_word(phrase, analyzer, kept))
                .collect()
        })
        .collect()
}

/// The one word of `phrase`, normalised, that `kept` keeps, when it keeps exactly one.
fn one_word(phrase: &str, analyzer: &Analyzer, kept: impl Fn(&str) -> bool) -> Option<String> {
    let mut words = (analyzer.normal_words(phrase).into_iter()).filter(|w| kept(w));
    let one = words.next()?;
    words.next().is_none().then_some(one)
}

/// For each of `count` aspects, the words its phrases (`patterns`, with their aspect's
/// position) name ("take" of "does it take"): they ask about the fact, not about what it is a
/// fact of.
fn aspect_words(count: usize, patterns: &[(usize, WordPattern)]) -> Vec<FxHashSet<String>> {
    let mut words = vec![FxHashSet::default(); count];
    for (aspect, pattern) in patterns {
        words[*aspect].extend(pattern.words().map(str::to_owned));
    }
    words
}
