//! The safety stage: before anything else, every clause of every message is read for an
//! emergency, a person in crisis, a health worry, or a patient's question about using NHS
//! services (which the bot does not answer either).
//!
//! Three signals are combined, clause by clause: the signs of each outcome, written as patterns
//! in `intents/safety-signs.toml` and matched on the clause's normalised, typo-corrected words;
//! the frames of a careers question ("I want to work on a stroke ward", a role named), which keep
//! a careers question that uses medical words from being diverted; and, when the engine has a
//! semantic encoder, the similarity of the clause to examples of each outcome and of careers
//! questions that share their words. Where the signals disagree, an emergency or a crisis wins
//! unless the clause clearly asks about a job, a role or a course and nothing in it says the
//! danger is happening now.

use std::collections::{HashMap, HashSet};

use rustc_hash::FxHashSet;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::pattern::{PatternIndex, WordPattern, Words};
use crate::reading::Reading;

/// How near the bank's nearest example must be to make an emergency of a part beside a
/// careers question that no sign speaks for.
const EMERGENCY_BESIDE_CAREERS: f32 = 0.75;

/// What the safety stage makes of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// A life at risk now: call 999.
    Emergency,
    /// Thoughts of suicide or self-harm: Samaritans.
    Crisis,
    /// Symptoms that are not an emergency: NHS 111.
    Health,
    /// Using NHS services as a patient ("can my physio see me sooner?"): not what the bot does.
    Patient,
    /// Anything else: on to the careers engine.
    Careers,
}

impl Outcome {
    /// Which outcome wins when clauses disagree: the most urgent.
    pub(crate) fn urgency(self) -> u8 {
        match self {
            Outcome::Emergency => 4,
            Outcome::Crisis => 3,
            Outcome::Health => 2,
            Outcome::Patient => 1,
            Outcome::Careers => 0,
        }
    }
}

/// The safety stage's reading of a message, with the reasons, for `careerbot explain`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// The outcome.
    pub outcome: Outcome,
    /// The clause that decided it, when one did.
    pub clause: Option<usize>,
    /// What was seen: the signs matched and the frames found.
    pub signals: Vec<String>,
    /// Some part asks about a job, a role or a course.
    pub careers: bool,
    /// Some part has words of a careers question of its own ("fancied being", "jobs"), not
    /// only a role named or a word patients use too.
    pub careers_words: bool,
    /// Some part has a sign of a patient's own care or of a health worry ("open on sunday",
    /// "an ingrown toenail"), whatever the outcome.
    pub cared_for: bool,
    /// Some part holds an everyday saying ("what's the point of doing one"): its words are
    /// explained, so the semantic check has nothing to catch there.
    pub idiom: bool,
    /// Some part says the event is over or the person is fine now ("acting totally normal
    /// now"): no emergency is happening for the semantic check to catch.
    pub over: bool,
    /// Some part says the trouble has lasted, with nothing happening now ("my nan keeps
    /// getting UTIs", "keep getting a fluttery feeling in my chest"): a worry
    /// for NHS 111, whatever emergencies the semantic check finds it near.
    pub lasting: bool,
    /// The health worry is only a red flag of someone the writer knows ("my nan is confused
    /// today"): the semantic check may find it an emergency.
    pub flagged: bool,
}

/// What a pattern says about a clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Hash)]
#[serde(rename_all = "kebab-case")]
enum Sign {
    Emergency,
    /// Thoughts of suicide or self-harm, said as a statement ("I want to die").
    Crisis,
    /// Words of a crisis that jobs also deal with ("suicide prevention", "self-harm teams").
    CrisisTopic,
    Health,
    /// A question about a symptom of the writer's or someone they know ("should I get it looked
    /// at?", "could it be the gloves?"): a health sign, and a message whose question is this
    /// one asks about health, so the careers words around it are background.
    HealthQuestion,
    /// A long-term condition or a diagnosis ("I have ADHD", "my anxiety is controlled"): a
    /// health worry on its own, but beside a careers question it is what the writer discloses
    /// about themselves ("can I still work in the NHS?"), not a worry to divert.
    Condition,
    /// A symptom that with another makes an emergency (NHS "red flags": confusion after a
    /// head injury, a purple rash with a stiff neck, the worst headache of their life with
    /// sight lost): an emergency when two come together; alone, of someone the writer knows, a
    /// health worry that the bank of examples may find an emergency, and of the writer no
    /// sign (the health words in it still count: "a purple rash" is a rash).
    RedFlag,
    /// A sign of violence ("he's got a knife", "hiding in the bathroom", "smashing the house
    /// up", "says he's going to kill me"): two together are an emergency; one alone is nothing
    /// ("mum's going to kill me when she sees my grades"). Like a red flag it hides nothing.
    Violence,
    /// A warning sign of suicide ("gave my cat to my sister", "sorted all my accounts", "feel
    /// weirdly calm now"): two together are a crisis sign; one alone is nothing. Like a red
    /// flag it hides nothing.
    Warning,
    /// Using NHS services as a patient.
    Patient,
    /// The clause asks about a job, a role or a course.
    Careers,
    /// Words careers questions use, and so do patients talking about their own care ("the
    /// pharmacist", "an nhs psychologist", "the ward"): a careers frame unless the clause is
    /// about the writer or someone they know and has a sign of using NHS services (a health
    /// worry beside a job named is more often a careers question: "can I be a nurse with
    /// asthma?").
    CareersWeak,
    /// An everyday saying ("this application is killing me"): the words in it are no sign.
    Idiom,
    /// The point of something asked in words that point back to it ("what's the point of
    /// it"): where another part of the message asks or tells with careers words, the point
    /// asked is of that ("my manager keeps mentioning my appraisal, what's the point of it")
    /// and a crisis sign inside it is none; alone, the crisis stands.
    Purpose,
    /// The people a job serves, told as what they say or do ("a patient says", "people
    /// ringing"): in a careers question with nothing of the writer's own, a crisis told of
    /// them is what the job deals with.
    Served,
    /// A case rehearsed or quoted for a course, an exam or an interview ("for my osce the
    /// scenario is…", "my personal statement starts with…", "how do i answer 'tell me about a
    /// time…'"): in a message that asks about careers, the case is the subject, not an
    /// emergency or a crisis under way.
    Rehearsed,
    /// A case supposed for a course, a lesson or a job, told after these words ("our lecturer
    /// made us practise what to do when someone's not breathing", "a video of someone having
    /// a seizure", "the sim scenario today was a patient going blue"): `Rehearsed`, and what
    /// says the case is happening now after it is part of the case.
    Supposed,
    /// Thoughts of suicide or self-harm denied ("not suicidal, just flat", "no thoughts of
    /// hurting myself"): the words in it are no sign, and nothing else.
    Denied,
    /// The danger is happening now ("just", "right now", "help").
    Now,
    /// A state told as it is, of someone in particular ("the lad I look after is fitting", "my
    /// client won't wake up"): a `Now`, unless the message asks about careers in words of its
    /// own, where it is what a job meets ("what do HCAs do when a resident won't wake up").
    Happening,
    /// Something goes on ("still", "keeps"): a `Now`, unless the event is told as past ("had
    /// an overdose at 16 and is still struggling" is the writer's past).
    Ongoing,
    /// The event itself goes on ("its still going", "won't stop"): a `Now`, and what is told
    /// as past does not hide it ("had a seizure at work and its still going").
    Continues,
    /// The event is in the past ("last year", "when I was little").
    Past,
    /// The event is long past ("when I was 17", "years ago"): a crisis told of so, beside a
    /// careers question and with nothing happening now, is the writer's past, not a crisis
    /// ("tried to kill myself at 17… im 25 now and want to be a wellbeing practitioner, how?").
    LongAgo,
    /// What comes back ("again", "lately"): a crisis long ago beside it is no past.
    Recurring,
    /// The person is well again ("fine now", "back to normal"): an emergency told as past
    /// beside it, in a message that asks nothing and has no careers frame, is a worry to get
    /// checked ("passed out at the gym last week, fine now tho"). It hides nothing and is
    /// never hidden.
    Recovered,
    /// A symptom that has lasted days or more, or comes and goes ("chest tightness on and off
    /// for a week"): an emergency's signs in it are a health worry, unless something says it
    /// is happening now.
    Lasting,
    /// The event is over and help has come ("the ambulance came and he's ok now"): in the
    /// past whatever says "now" beside it.
    Over,
    /// The clause is about the writer or someone they know ("I", "my mum").
    Personal,
    /// The clause is about someone the writer knows ("my nan", "he"), not the writer.
    Someone,
    /// When the writer did their own work or study ("just started as a hca", "atm im a call
    /// handler", "today on my paramedic course"): the "now" inside is the writer's, not an
    /// event's. It says nothing else, so it frames nothing as careers.
    OwnTime,
    /// What the writer saw at work, on placement or on shift, of the people there ("saw my
    /// first overdose", "we had someone collapse in the waiting room"): beside a careers
    /// question, the writer's "I" or "we" does not make it an emergency of their own. Like
    /// `OwnTime` it hides only the "now" inside it ("today i saw"), and frames nothing.
    Witnessed,
    /// What happened told as the reason a job appeals ("…, made me want to be a paramedic",
    /// "…, thats why im applying for nursing"): beside a careers question, an emergency told in
    /// the message is past, unless something says it is happening now. It hides nothing.
    Motive,
}

#[derive(Debug, Clone)]
struct Pattern {
    sign: Sign,
    words: WordPattern,
    /// The pattern as written, for explanations.
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignsFile {
    /// Words where a clause changes subject ("but", "also", "btw"): each part is read alone.
    breaks: Vec<String>,
    /// Words straight after which a word of `breaks` changes no subject ("is the nhs actually
    /// inclusive").
    #[serde(default)]
    breaks_not_after: Vec<String>,
    /// Words of `breaks` that add another subject rather than lead up to a question ("also",
    /// "btw"): a careers question opening with one is not why a symptom before it was told.
    #[serde(default)]
    additions: Vec<String>,
    /// Words that make a role named straight after them the writer's own clinician ("my
    /// nurse said"), not a careers question.
    owners: Vec<String>,
    /// Words straight before a role named that say it is the writer's job ("I'm a porter at
    /// my local hospital"): a careers frame, not a patient's words.
    #[serde(default)]
    jobs_before: Vec<String>,
    /// Words that may sit inside a sign's run of words ("feeling really down").
    soft: Vec<String>,
    /// Words that deny what follows them ("face isn't swollen"): inside a sign's run of words
    /// that does not say them itself, there is no sign.
    negations: Vec<String>,
    classes: HashMap<String, Vec<String>>,
    signs: Vec<SignList>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignList {
    sign: Sign,
    patterns: Vec<String>,
}

/// A match of a pattern in a clause: its sign and the words it covers.
#[derive(Debug, Clone)]
struct Hit<'a> {
    pattern: &'a Pattern,
    span: std::ops::Range<usize>,
}

/// The safety stage, built once from `intents/safety-signs.toml`.
#[derive(Debug)]
pub struct Safety {
    patterns: Vec<Pattern>,
    /// The patterns filed by the words they need.
    index: PatternIndex,
    /// Words where a clause changes subject, as normalised words.
    breaks: Vec<Vec<String>>,
    /// Words straight after which a word of `breaks` changes no subject, normalised.
    breaks_not_after: HashSet<String>,
    /// Words that add another subject rather than lead up to a question, normalised.
    additions: Vec<Vec<String>>,
    /// Words that make a role named after them someone's own clinician, normalised.
    owners: HashSet<String>,
    /// Words straight before a role named that say it is the writer's job, normalised.
    jobs_before: Vec<Vec<String>>,
    /// Words that may sit inside a sign's run of words, normalised.
    soft: HashSet<String>,
    /// Words that deny what follows them, normalised.
    negations: Vec<String>,
    /// The careers frame of a role named in a part (found by the engine, not by a pattern).
    role_named: Pattern,
    /// The careers frame of a role the writer says is their job.
    job_stated: Pattern,
}

impl Safety {
    /// Parses the signs; `normal` turns a phrase into normalised words as the analyzer does.
    pub(crate) fn parse(
        file: &str,
        text: &str,
        normal: impl Fn(&str) -> Vec<String>,
        stem: impl Fn(&str) -> String,
    ) -> Result<Safety, Error> {
        let data: SignsFile = toml::from_str(text).map_err(|e| Error::toml(file, text, &e))?;
        let classes: HashMap<&str, Vec<Vec<String>>> = data
            .classes
            .iter()
            .map(|(name, members)| {
                let phrases = members
                    .iter()
                    .map(|m| normal(m))
                    .filter(|m| !m.is_empty())
                    .collect();
                (name.as_str(), phrases)
            })
            .collect();
        let mut patterns = Vec::new();
        for list in &data.signs {
            for written in &list.patterns {
                let line_error = |message: String| {
                    let at = text.find(&format!("\"{written}\"")).unwrap_or(0);
                    Error::content(file, matcher::line_of(text, at), message)
                };
                let words =
                    WordPattern::parse(written, &classes, &normal, &stem).map_err(line_error)?;
                patterns.push(Pattern {
                    sign: list.sign,
                    words,
                    text: written.clone(),
                });
            }
        }
        let breaks = data.breaks.iter().map(|b| normal(b)).collect();
        let breaks_not_after = (data.breaks_not_after.iter())
            .flat_map(|w| normal(w))
            .collect();
        let additions = data.additions.iter().map(|a| normal(a)).collect();
        let owners = data.owners.iter().flat_map(|o| normal(o)).collect();
        let jobs_before = data.jobs_before.iter().map(|j| normal(j)).collect();
        let soft = data.soft.iter().flat_map(|o| normal(o)).collect();
        let negations = data.negations.iter().flat_map(|o| normal(o)).collect();
        Ok(Safety {
            index: PatternIndex::new(patterns.iter().map(|p| &p.words)),
            patterns,
            breaks,
            breaks_not_after,
            additions,
            owners,
            jobs_before,
            soft,
            negations,
            role_named: Pattern {
                sign: Sign::CareersWeak,
                words: WordPattern::default(),
                text: "a role named".to_owned(),
            },
            job_stated: Pattern {
                sign: Sign::Careers,
                words: WordPattern::default(),
                text: "a job stated".to_owned(),
            },
        })
    }

    /// `words` without the jobs they state ("i'm a hca and i feel like there's no point
    /// living" without "i'm a hca"): who the writer is says nothing of how they are.
    /// `roles` are the runs of words that name roles.
    pub(crate) fn without_jobs_stated(
        &self,
        words: &[String],
        roles: &[std::ops::Range<usize>],
    ) -> Vec<String> {
        let mut kept = vec![true; words.len()];
        for span in roles {
            if let Some(said) = self.job_said(words, span) {
                kept[said].fill(false);
            }
        }
        (words.iter().zip(kept))
            .filter(|(_, kept)| *kept)
            .map(|(word, _)| word.clone())
            .collect()
    }

    /// The words that state a job, when the role named at `span` is one (`jobs_before`: "i
    /// am a" porter).
    /// One word may sit between them ("i am a trainee nurse").
    fn job_said(
        &self,
        words: &[String],
        span: &std::ops::Range<usize>,
    ) -> Option<std::ops::Range<usize>> {
        let before = |end: usize| {
            (self.jobs_before.iter())
                .find(|job| words[..end].ends_with(job))
                .map(|job| end - job.len()..span.end)
        };
        before(span.start).or_else(|| before(span.start.checked_sub(1)?))
    }

    /// Assesses a message: the most urgent outcome of any part of any of its clauses (a
    /// clause is read in parts where it changes subject: "…nursing? also my dad just collapsed").
    /// `roles_named` gives where the engine sees roles named in some words (a careers question
    /// unless the role is the writer's own clinician, "my nurse"), besides the careers frames of
    /// the signs; `stem` stems a word as the analyzer does.
    ///
    /// `bank` is the semantic check: the urgent outcome the examples nearest some words agree
    /// on, with the nearest one's similarity. It settles a part whose health worry a careers
    /// frame would hold back ("so stressed since starting my placement, can't eat and feel sick
    /// all the time"): the worry stands when the examples nearest the part are health worries,
    /// not careers questions. Beside a careers question, a part of its own about someone now
    /// that the examples put near agreed emergencies is one, in words the signs do not know.
    pub fn assess(
        &self,
        reading: &Reading,
        stem: impl Fn(&str) -> String,
        roles_named: impl Fn(&[String]) -> Vec<std::ops::Range<usize>>,
        bank: impl Fn(&[String]) -> Option<(Outcome, f32)>,
    ) -> Assessment {
        // A subject may run across sentences ("my daughter keeps scratching her head, could it
        // be nits?"): the message's segments between words that change the subject are read
        // too, where they hold more than one clause.
        let joined: Vec<String> = reading
            .clauses
            .iter()
            .flat_map(|c| c.words.iter().cloned())
            .collect();
        let mut clause_of = Vec::new();
        for (index, clause) in reading.clauses.iter().enumerate() {
            clause_of.extend(std::iter::repeat_n(index, clause.words.len()));
        }
        let runs: Vec<std::ops::Range<usize>> = self
            .segments(&joined)
            .into_iter()
            .filter(|run| clause_of.get(run.start) != clause_of.get(run.end - 1))
            .collect();
        // The clauses each segment runs over.
        let segment_clauses: Vec<std::ops::RangeInclusive<usize>> = (runs.iter())
            .map(|run| clause_of[run.start]..=clause_of[run.end - 1])
            .collect();
        let segments = runs
            .into_iter()
            .map(|run| (clause_of[run.start], &joined[run]));
        let clauses = reading
            .clauses
            .iter()
            .enumerate()
            .flat_map(|(index, clause)| {
                self.parts(&clause.words, &clause.pieces)
                    .into_iter()
                    .map(move |range| (index, range.start, &clause.words[range]))
            });
        let mut words_read: Vec<(usize, usize, &[String])> = clauses.collect();
        let segments_from = words_read.len();
        words_read.extend(segments.map(|(index, words)| (index, 0, words)));
        let mut parts: Vec<(usize, &[String], Signs)> = Vec::new();
        // The urgent signs the whole clause reads inside a longer sign of another kind, where
        // they start and end in it: no sign in its pieces either ("my shoulder is really
        // stiff, cant raise my arm" is the stiff shoulder across the comma).
        let mut covered_in_clause: Vec<std::ops::Range<usize>> = Vec::new();
        for (at, (index, start, words)) in words_read.into_iter().enumerate() {
            let piece = Words::new(words, &stem, |w| self.soft.contains(w));
            let roles: Vec<_> = roles_named(words)
                .into_iter()
                .filter(|run| run.start == 0 || !self.owners.contains(&words[run.start - 1]))
                .collect();
            let whole = start == 0
                && at < segments_from
                && words.len() == reading.clauses[index].words.len();
            let covered: Vec<std::ops::Range<usize>> = if whole || at >= segments_from {
                Vec::new()
            } else {
                (covered_in_clause.iter())
                    .filter(|span| start <= span.start && span.end <= start + words.len())
                    .map(|span| span.start - start..span.end - start)
                    .collect()
            };
            let signs = self.signs(&piece, roles, &covered);
            if whole {
                covered_in_clause.clone_from(&signs.urgent_covered);
            }
            parts.push((index, words, signs));
        }
        // A message that asks about careers anywhere frames the rest: an emergency sign in it
        // needs a sign that it is happening now.
        // A run across sentences about the writer's own care ("ingrown toenail is agony. is
        // that a gp thing or pharmacy"): the words careers questions share with patients in
        // its clauses ("gp", "pharmacy") frame nothing.
        let own_care: Vec<&std::ops::RangeInclusive<usize>> = (parts[segments_from..].iter())
            .zip(&segment_clauses)
            .filter(|((_, _, signs), _)| {
                signs.has(Sign::Patient) && signs.has(Sign::Health) && !signs.careers
            })
            .map(|(_, clauses)| clauses)
            .collect();
        // A case rehearsed for a course, an exam or an interview, or feared in a job, in a
        // message that asks or wishes something, is a careers question ("for my osce the
        // scenario is…, what do i do first", "i want to be a paramedic but i'm scared of someone
        // choking").
        let rehearsal_asked = parts.iter().any(|(_, _, signs)| signs.has(Sign::Rehearsed))
            && reading.clauses.iter().any(|c| c.asks || c.wants);
        // In a message that never changes subject, the case is all of it ("interview
        // scenario: patient says they feel hopeless… how do i answer this").
        let cuts = self.cuts(&joined);
        let rehearsal_throughout = cuts.is_empty();
        // A message that asks and wishes nothing: a job stated in it is who someone is, not a
        // careers question ("im a student nurse and my mum's face has gone droopy", "i'm a hca
        // and i feel like there's no point living").
        if !reading.requests() {
            for (_, _, signs) in parts.iter_mut().filter(|(_, _, s)| s.frame_is_who) {
                signs.careers = false;
                signs.found.remove(&Sign::Careers);
                signs.found.remove(&Sign::CareersWeak);
            }
        }
        // What happened told as why a job appeals is a careers wish ("made me want to be one").
        let motive = parts.iter().any(|(_, _, signs)| signs.has(Sign::Motive));
        let careers_anywhere = rehearsal_asked
            || motive
            || parts.iter().any(|(index, _, signs)| {
                signs.careers
                    && (signs.has(Sign::Careers) || !own_care.iter().any(|c| c.contains(index)))
            });
        // A message that asks or wishes nothing: a careers frame in it is background ("my back
        // has ached since I started my HCA shifts").
        // A question about a symptom asks nothing about careers.
        let asks_health = parts
            .iter()
            .any(|(_, _, signs)| signs.has(Sign::HealthQuestion));
        // Asked openly: "been dizzy when i stand up on my shifts" tells, it does not ask.
        let asks_openly =
            (reading.clauses.iter()).any(|c| (c.asks_openly || c.wants) && c.has_content());
        let asks = !asks_health
            && (asks_openly
                || reading
                    .clauses
                    .iter()
                    .flat_map(|c| c.words.first())
                    .any(|w| matcher::WH.contains(&w.as_str())));
        let careers_words = parts.iter().any(|(_, _, signs)| signs.has(Sign::Careers));
        let roles_named = parts.iter().any(|(_, _, signs)| signs.role_named);
        let cared_for =
            (parts.iter()).any(|(_, _, signs)| signs.has(Sign::Patient) || signs.has(Sign::Health));
        // A clause that asks with careers words of its own ("any admin jobs I could move
        // into?"): the examples cannot outvote it. Read in the clause itself, not in a run
        // across sentences, which is filed under the clause it starts in.
        let careers_question = parts[..segments_from]
            .iter()
            .filter(|(index, _, signs)| {
                signs.has(Sign::Careers) && reading.clauses[*index].asks_openly
            })
            .map(|(index, _, _)| *index)
            .min();
        let asks_careers = careers_question.is_some();
        // The clauses that ask about a job, a role or a course, and not as a patient or about
        // the writer's own care; the writer's own way into a job is no care of theirs ("how do
        // i get into audiology, my hearing aid lady made it look class").
        let careers_asked: HashSet<usize> = parts
            .iter()
            .filter(|(index, _, signs)| {
                signs.careers
                    && reading.clauses[*index].asks_openly
                    && !signs.has(Sign::Patient)
                    && (!signs.has(Sign::Personal) || signs.has(Sign::Careers))
            })
            .map(|(index, _, _)| *index)
            .collect();
        let idiom = parts.iter().any(|(_, _, signs)| signs.has(Sign::Idiom));
        // Nothing told of a body or a patient: "is that normal?" then asks about what else the
        // message tells ("my trust might fund a masters, is that normal"). A patient's words in
        // a careers frame are no patient ("applied for a job at my local hospital").
        let nothing_of_health = !parts.iter().any(|(_, _, signs)| {
            signs.symptom
                || signs.has(Sign::Patient) && !signs.careers
                || [Sign::Condition, Sign::Emergency, Sign::RedFlag]
                    .iter()
                    .any(|&sign| signs.has(sign))
        });
        // The writer turns to another subject after asking about careers ("… also my throat
        // is killing me"), or adds the question as another subject ("… hot flushes. also are
        // there admin jobs part time"); a subject changed before the question is what leads
        // up to it ("been a hairdresser 18 yrs but my wrist is knackered. are there science
        // jobs…").
        let question_start = careers_question.map_or(0, |question| {
            clause_of.iter().take_while(|&&c| c < question).count()
        });
        let question_added = careers_question.is_some()
            && cuts.contains(&question_start)
            && (self.additions.iter()).any(|a| joined[question_start..].starts_with(a));
        let turned_from_careers = question_added || cuts.iter().any(|&cut| cut > question_start);
        let mut best = Assessment {
            outcome: Outcome::Careers,
            clause: None,
            signals: Vec::new(),
            careers: careers_anywhere,
            careers_words,
            cared_for,
            idiom,
            over: false,
            lasting: false,
            flagged: false,
        };
        // A message about the writer or someone they know: its pieces without a subject are
        // too ("so stressed since starting my placement, can't eat properly").
        let personal = parts.iter().any(|(_, _, signs)| signs.has(Sign::Personal));
        // Help has come and the event is over ("ambulance came and hes ok now, they think he
        // fainted"): an emergency told beside it is what happened, unless it is still going on.
        let over = parts.iter().any(|(_, _, signs)| signs.has(Sign::Over));
        // For the semantic check, a part told as past with nothing happening now is over too
        // ("my mate had a seizure last night, first one ever, but he's fine now").
        best.over = over
            || (parts.iter()).any(|(_, _, signs)| signs.has(Sign::Past) && !signs.has(Sign::Now));
        best.lasting =
            (parts.iter()).any(|(_, _, signs)| signs.has(Sign::Lasting) && !signs.has(Sign::Now));
        // Suicide or self-harm named anywhere in the message, if only as a careers topic ("does
        // the nhs take people who've tried to kill themselves before?").
        let crisis_named = parts
            .iter()
            .any(|(_, _, signs)| signs.has(Sign::Crisis) || signs.has(Sign::CrisisTopic));
        for (at, (index, words, mut signs)) in parts.into_iter().enumerate() {
            // Not in what someone a job serves is told saying ("caller says my husband has
            // collapsed").
            if signs.has(Sign::Happening) && !asks_careers && !signs.has(Sign::Served) {
                signs.found.insert(Sign::Now);
            }
            // What happened told as why a job appeals: the message's emergencies are past.
            if motive && careers_anywhere && !signs.has(Sign::Now) {
                signs.found.insert(Sign::Past);
            }
            let mut outcome = signs.outcome(careers_anywhere, asks);
            // Unless the examples put the whole message among crises ("got rejected again,
            // whats the point of it").
            if outcome == Outcome::Crisis
                && signs.crisis_is_purpose
                && careers_words
                && !bank(&joined).is_some_and(|(outcome, _)| outcome == Outcome::Crisis)
            {
                outcome = Outcome::Careers;
                (signs.signals).push("careers: the point asked of a careers thing named".into());
            }
            if over && outcome == Outcome::Emergency && !signs.has(Sign::Now) {
                outcome = Outcome::Careers;
                signs.signals.push("past: help has come".into());
            }
            // Across sentences, only a health worry: an emergency or a crisis is read where
            // its words sit together ("cheers for the help! … a stroke unit" is no emergency).
            if at >= segments_from
                && outcome.urgency() > Outcome::Health.urgency()
                && !(outcome == Outcome::Emergency && signs.only_red_flagged())
            {
                outcome = Outcome::Careers;
            }
            // A symptom told beside a clause that asks about jobs in words of its own is why
            // the writer asks ("my wrists ache from the hoisting, any admin jobs I could move
            // into?"), unless they ask about the symptom or turn to it as another subject
            // after the question.
            if outcome == Outcome::Health && asks_careers && !asks_health && !turned_from_careers {
                outcome = Outcome::Careers;
                signs
                    .signals
                    .push("careers: a symptom beside a careers question".into());
            }
            // Where the writer met the role they ask about is no patient's question ("what's a
            // social prescribing link worker? my GP mentioned one").
            // A run across sentences holds the question too.
            let across = at >= segments_from;
            if outcome == Outcome::Patient
                && careers_asked.iter().any(|&asked| asked != index || across)
            {
                outcome = Outcome::Careers;
                signs
                    .signals
                    .push("careers: another clause asks about careers".into());
            }
            let unframed = signs.unframed(careers_anywhere, personal, asks);
            // Not "is that normal?" with nothing of health told ("applied 2 weeks ago and its
            // gone quiet. is that normal??").
            if unframed == Outcome::Health
                && !nothing_of_health
                && !asks_careers
                && outcome.urgency() < unframed.urgency()
                && bank(words).is_some_and(|(outcome, _)| outcome == Outcome::Health)
            {
                outcome = unframed;
                let vote = format!("{unframed:?}: a careers frame held back, near health worries");
                signs.signals.push(vote.to_lowercase());
            }
            // A part of its own about the writer or someone they know, told as happening
            // (nothing past or over, no idiom: "i faint at the sight of blood lol"), that the
            // examples put among emergencies, where a careers frame left a careers answer:
            // - an emergency told in words the signs do not know, beside a careers question
            //   ("how do u become a paramedic btw... also my dads just gone really pale and
            //   says his chest feels like someones sitting on it"), with no careers words of
            //   its own, in a message where no sign names a symptom or a patient's care, near
            //   the bank's agreed emergencies (`EMERGENCY_BESIDE_CAREERS`);
            // - an emergency sign held back only by where it happened ("my mate collapsed on
            //   placement and isnt breathing", "my sister had a seizure at work and its still
            //   going"), in a message that asks nothing about careers, with no patient and no
            //   role named (a story from work: "on my placement a patient collapsed") and
            //   nothing lasting.
            let told_happening = outcome == Outcome::Careers
                && !across
                && !over
                && signs.has(Sign::Personal)
                && !signs.has(Sign::Past)
                && !signs.has(Sign::Idiom);
            let unsigned = careers_anywhere && !signs.careers && !cared_for;
            let held_back = signs.has(Sign::Emergency)
                && !asks_careers
                && !signs.has(Sign::CareersWeak)
                && !signs.role_named
                && !signs.lasting;
            if told_happening
                && (unsigned || held_back)
                && let Some((Outcome::Emergency, similarity)) = bank(words)
                && (held_back || similarity >= EMERGENCY_BESIDE_CAREERS)
            {
                outcome = Outcome::Emergency;
                let vote = if held_back {
                    "emergency: held back by a careers word, near the bank's emergencies"
                } else {
                    "emergency: a part of its own, near the bank's agreed emergencies"
                };
                signs.signals.push(vote.into());
            }
            // The writer back there now, beside suicide or self-harm named ("… asking bc im
            // kinda back in that place again atm"): a crisis, whatever careers words frame the
            // naming.
            if outcome == Outcome::Careers
                && crisis_named
                && !signs.careers
                && !signs.has(Sign::Idiom)
                && [Sign::Personal, Sign::Recurring, Sign::Now]
                    .iter()
                    .all(|&sign| signs.has(sign))
            {
                outcome = Outcome::Crisis;
                signs
                    .signals
                    .push("crisis: back again now, beside a crisis named".into());
            }
            // A role named counts as careers words do ("we did a sim today… i totally froze, is
            // that normal for 1st yr paramedic students").
            if outcome == Outcome::Health && (careers_words || roles_named) && nothing_of_health {
                outcome = Outcome::Careers;
                let vote = "careers: a question whether careers matters told are normal";
                signs.signals.push(vote.into());
            }
            // A case rehearsed or quoted for a course, an exam or an interview, in a message
            // that asks something, is the subject, unless a state is told as happening with no
            // careers question ("for my osce the scenario is a man whose face has dropped").
            // Not the writer's own crisis told beside it ("help with my personal statement…
            // been planning how i'd kill myself"), unless it is past.
            let writers_crisis = outcome == Outcome::Crisis
                && signs.has(Sign::Personal)
                && !signs.has(Sign::Someone)
                && !signs.has(Sign::Past);
            if (signs.has(Sign::Rehearsed) || rehearsal_throughout)
                && rehearsal_asked
                && !signs.has(Sign::Now)
                && !writers_crisis
                && outcome != Outcome::Careers
            {
                outcome = Outcome::Careers;
                signs
                    .signals
                    .push("careers: a case rehearsed or quoted".into());
            }
            if outcome.urgency() > best.outcome.urgency() {
                let flagged = outcome == Outcome::Health && signs.flagged_only(careers_anywhere);
                best = Assessment {
                    outcome,
                    clause: Some(index),
                    signals: signs.signals,
                    careers: careers_anywhere,
                    careers_words,
                    cared_for,
                    idiom,
                    over,
                    lasting: best.lasting,
                    flagged,
                };
            } else if best.clause.is_none() {
                best.signals.extend(signs.signals);
            }
        }
        best.signals.dedup();
        best
    }

    /// Where `words` change subject: the runs between words of `breaks`.
    fn segments(&self, words: &[String]) -> Vec<std::ops::Range<usize>> {
        let mut cuts = self.cuts(words);
        cuts.extend([0, words.len()]);
        cuts.sort_unstable();
        cuts.dedup();
        cuts.windows(2).map(|w| w[0]..w[1]).collect()
    }

    /// The positions in `words` where a word of `breaks` begins, unless straight after a word
    /// of `breaks_not_after`.
    fn cuts(&self, words: &[String]) -> Vec<usize> {
        (1..words.len())
            .filter(|&at| {
                !self.breaks_not_after.contains(&words[at - 1])
                    && (self.breaks.iter()).any(|b| !b.is_empty() && words[at..].starts_with(b))
            })
            .collect()
    }

    /// The parts of a clause: the whole; its segments, split at words that change the
    /// subject; and its pieces, split there and where a comma was.
    fn parts(&self, words: &[String], pieces: &[usize]) -> Vec<std::ops::Range<usize>> {
        let mut breaks = self.cuts(words);
        breaks.extend([0, words.len()]);
        breaks.sort_unstable();
        let mut starts: Vec<usize> = pieces.iter().copied().chain(breaks.clone()).collect();
        starts.sort_unstable();
        starts.dedup();
        // The whole clause and its segments too: a sign may run across a comma ("hit her
        // head, now she's being sick"; "my daughter keeps scratching her head, could it be
        // nits").
        let mut parts: Vec<std::ops::Range<usize>> = Vec::new();
        parts.push(0..words.len());
        for cuts in [&breaks, &starts] {
            for w in cuts.windows(2) {
                let part = w[0]..w[1];
                if !part.is_empty() && !parts.contains(&part) {
                    parts.push(part);
                }
            }
        }
        parts
    }

    /// The signs in one part of a clause, where `roles` are the roles named in it.
    /// The urgent signs at `covered` (a longer sign of another kind holds them in the whole
    /// clause) are none.
    fn signs(
        &self,
        part: &Words,
        roles: Vec<std::ops::Range<usize>>,
        covered: &[std::ops::Range<usize>],
    ) -> Signs {
        let present: FxHashSet<&str> = part.words.iter().map(String::as_str).collect();
        let mut hits: Vec<Hit> = self
            .index
            .candidates(part)
            .into_iter()
            .map(|number| &self.patterns[number])
            .filter(|p| p.words.anchors().all(|a| present.contains(a)))
            .filter_map(|p| p.words.find(part).map(|span| Hit { pattern: p, span }))
            .filter(|hit| !self.denied(hit, part.words))
            // A state under a condition is no state told ("what do you do if the person you
            // look after has collapsed").
            .filter(|hit| {
                hit.pattern.sign != Sign::Happening
                    || !(part.words[..hit.span.start].iter())
                        .any(|w| matches!(w.as_str(), "if" | "when" | "whenever" | "incase"))
            })
            .filter(|hit| !(hit.pattern.sign.is_urgent() && covered.contains(&hit.span)))
            .chain(roles.into_iter().map(|span| {
                // "I'm a porter": the writer's job, with the words that say so.
                match self.job_said(part.words, &span) {
                    Some(said) => Hit {
                        pattern: &self.job_stated,
                        span: said,
                    },
                    None => Hit {
                        pattern: &self.role_named,
                        span,
                    },
                }
            }))
            .collect();
        // What a supposed case says is happening is the case ("what to do if someone has a
        // seizure that won't stop"), unless someone the writer knows is told of after it ("was
        // doing a scenario for my course and my mum just collapsed").
        let supposed_from = (hits.iter())
            .filter(|h| h.pattern.sign == Sign::Supposed)
            .map(|h| h.span.end)
            .min()
            .filter(|&from| {
                !(hits.iter()).any(|h| h.pattern.sign == Sign::Someone && h.span.start >= from)
            });
        if let Some(from) = supposed_from {
            hits.retain(|h| !(h.pattern.sign.says_now() && h.span.start >= from));
        }
        // The most specific sign wins: a hit inside a longer hit of another kind ("planning to
        // overdose" holds "overdose"; "this is killing me" holds "killing") is no sign.
        // A health worry's long run hides no red flag and no "now" inside it ("nan's been sick
        // loads and now shes really confused" is more than a worry about a muddled nan).
        // An event that goes on keeps its urgent sign out of a past one ("had a seizure at
        // work and its still going" is a seizure now).
        // What comes back is never hidden: "again" inside a crisis's words still says the
        // past is back ("used to self harm and ive started again").
        let covered_by = |hit: &Hit, continues: bool| {
            !matches!(
                hit.pattern.sign,
                Sign::Personal | Sign::Someone | Sign::Recurring | Sign::Recovered | Sign::Motive
            ) && hits.iter().any(|other| {
                other.pattern.sign != hit.pattern.sign
                        && other.pattern.sign.is_reading()
                        && !(continues
                            && other.pattern.sign == Sign::Past
                            && hit.pattern.sign.is_urgent())
                        && !(other.pattern.sign == Sign::Health
                            && matches!(hit.pattern.sign, Sign::RedFlag | Sign::Now))
                        // A crisis inside an emergency's words stays: where careers words
                        // frame the emergency away, the crisis is still the writer's ("on the way
                        // home from my shift i stop on the bridge and think about jumping").
                        && !(other.pattern.sign == Sign::Emergency && hit.pattern.sign == Sign::Crisis)
                        // The writer's own time, and what they saw at work, hide only the "now" inside.
                        && (!matches!(other.pattern.sign, Sign::OwnTime | Sign::Witnessed)
                            || hit.pattern.sign == Sign::Now)
                        // Nor is an urgent sign inside the words that say it is happening
                        // now or goes on ("the lad is fitting" holds "fitting", "he's still
                        // not breathing" holds "not breathing").
                        && !(other.pattern.sign.says_now() && hit.pattern.sign.is_urgent())
                        && other.span.start <= hit.span.start
                        && hit.span.end <= other.span.end
                        && other.span.len() > hit.span.len()
                        // An idiom holding a crisis sign's last word cancels it too ("this
                        // job search is killing me" is no search for a way to kill). Not a
                        // symptom's: "my back's been killing me" is pain.
                        || other.pattern.sign == Sign::Idiom
                            && hit.pattern.sign == Sign::Crisis
                            && other.span.start < hit.span.end
                            && hit.span.end <= other.span.end
                            && hit.span.start < other.span.start
            })
        };
        let said =
            |sign: Sign| (hits.iter()).any(|h| h.pattern.sign == sign && !covered_by(h, false));
        let continues = said(Sign::Continues);
        let now_said = said(Sign::Now)
            || continues
            || said(Sign::Ongoing) && !said(Sign::Past) && !said(Sign::LongAgo);
        let covered = |hit: &Hit| covered_by(hit, continues);
        let mut found: HashSet<Sign> = hits
            .iter()
            .filter(|h| !covered(h))
            .map(|h| h.pattern.sign)
            .collect();
        if now_said {
            found.insert(Sign::Now);
        }
        let kept: Vec<&Hit> = hits.iter().filter(|h| !covered(h)).collect();
        let symptom = found.contains(&Sign::Health);
        let role_named = hits.iter().any(|h| {
            std::ptr::eq(h.pattern, &self.role_named) || std::ptr::eq(h.pattern, &self.job_stated)
        });
        if found.contains(&Sign::HealthQuestion) {
            found.insert(Sign::Health);
        }
        if found.contains(&Sign::LongAgo) {
            found.insert(Sign::Past);
        }
        if found.contains(&Sign::Supposed) {
            found.insert(Sign::Rehearsed);
        }
        let signals = hits
            .iter()
            .map(|h| {
                let dropped = if covered(h) { " (inside another)" } else { "" };
                format!("{:?}: {}{dropped}", h.pattern.sign, h.pattern.text).to_lowercase()
            })
            .collect();
        // "Can the pharmacist give me antibiotics": a patient naming who cares for them; "an
        // ingrown toenail is agony, is that a gp thing or pharmacy": one with a symptom; "are
        // nhs dentist check ups free for under 18s": two signs of a patient's care.
        let patient_signs = (hits.iter())
            .filter(|h| h.pattern.sign == Sign::Patient && !covered(h))
            .count();
        let cared_for = found.contains(&Sign::Personal) || found.contains(&Sign::Health);
        let own_care = found.contains(&Sign::Patient) && (cared_for || patient_signs >= 2);
        // An emergency's words that have lasted, with nothing happening now, are a worry in
        // the pieces too ("been really forgetful lately, keeps asking the same thing").
        let lasts = lasting(&kept);
        let lasted = lasts && !found.contains(&Sign::Now);
        let urgent_covered = (hits.iter())
            .filter(|h| {
                h.pattern.sign.is_urgent() && covered(h)
                    || lasted && h.pattern.sign == Sign::Emergency && !covered(h)
            })
            .map(|h| h.span.clone())
            .collect();
        Signs {
            urgent_covered,
            lasting: lasts,
            emergency_of_served: emergency_of_served(&kept),
            served_supposed: (kept.iter()).any(|h| {
                h.pattern.sign == Sign::Served
                    && matches!(part.words[h.span.start].as_str(), "if" | "when")
            }),
            red_flags: apart(&kept, Sign::RedFlag),
            violence: apart(&kept, Sign::Violence),
            warnings: apart(&kept, Sign::Warning),
            careers: found.contains(&Sign::Careers)
                || found.contains(&Sign::CareersWeak) && !own_care,
            frame_is_who: frame_is_who(&kept, &self.job_stated),
            crisis_is_purpose: crisis_is_purpose(&kept),
            symptom,
            role_named,
            found,
            signals,
        }
    }
}

impl Safety {
    /// True when a word that denies sits inside the hit's run of words, or straight before an
    /// emergency's, and its pattern does not say it ("face isn't swollen" is no "face **
    /// swollen", "no chest pain" no "chest pain").
    fn denied(&self, hit: &Hit, words: &[String]) -> bool {
        let denies = |w: &String| self.negations.contains(w) && !hit.pattern.words.says(w);
        let inside = &words[(hit.span.start + 1).min(hit.span.end)..hit.span.end];
        // Straight before an emergency's signs too ("no trouble breathing", "not coughing up
        // blood"); never before a crisis's, whose recall comes first ("i would never kill
        // myself but…").
        let before = matches!(hit.pattern.sign, Sign::Emergency | Sign::RedFlag)
            && hit.span.start > 0
            && denies(&words[hit.span.start - 1]);
        before || inside.iter().any(denies)
    }
}

/// True when the careers frame of a part is only a job stated (`job_stated`): careers words
/// inside the words that state it ("i am a trainee nurse", "i am a support worker") are part
/// of who the writer is.
fn frame_is_who(hits: &[&Hit], job_stated: &Pattern) -> bool {
    let stated: Vec<&std::ops::Range<usize>> = (hits.iter())
        .filter(|h| std::ptr::eq(h.pattern, job_stated))
        .map(|h| &h.span)
        .collect();
    !stated.is_empty()
        && !hits.iter().any(|h| {
            h.pattern.sign == Sign::Careers
                && !std::ptr::eq(h.pattern, job_stated)
                && !(stated.iter()).any(|s| s.start <= h.span.start && h.span.end <= s.end)
        })
}

/// True when the part has a crisis sign and every one lies inside a `Purpose` sign ("what's the
/// point of it").
fn crisis_is_purpose(hits: &[&Hit]) -> bool {
    let purposes: Vec<&std::ops::Range<usize>> = (hits.iter())
        .filter(|h| h.pattern.sign == Sign::Purpose)
        .map(|h| &h.span)
        .collect();
    let mut crises = hits
        .iter()
        .filter(|h| h.pattern.sign == Sign::Crisis)
        .peekable();
    crises.peek().is_some()
        && crises.all(|c| (purposes.iter()).any(|p| p.start <= c.span.start && c.span.end <= p.end))
}

/// True when a sign that something has lasted sits right next to every emergency's or red
/// flag's words, or next to words of theirs that do ("chest tightness on and off for a week";
/// "forgetful lately, keeps asking the same thing"): what lasted is that sign, not something
/// else told beside it ("had a cough for five days and he collapsed").
fn lasting(hits: &[&Hit]) -> bool {
    let urgent: Vec<&std::ops::Range<usize>> = (hits.iter())
        .filter(|h| matches!(h.pattern.sign, Sign::Emergency | Sign::RedFlag))
        .map(|h| &h.span)
        .collect();
    let touches = |a: &std::ops::Range<usize>, b: &std::ops::Range<usize>| {
        a.start <= b.end && b.start <= a.end
    };
    (hits.iter().filter(|h| h.pattern.sign == Sign::Lasting)).any(|lasted| {
        let mut reached = vec![false; urgent.len()];
        let mut spans = vec![&lasted.span];
        while let Some(span) = spans.pop() {
            for (at, sign) in urgent.iter().enumerate() {
                if !reached[at] && touches(span, sign) {
                    reached[at] = true;
                    spans.push(sign);
                }
            }
        }
        reached.iter().all(|&r| r)
    })
}

/// How many words may sit between the people a job serves and an emergency told of them
/// ("kids who are choking").
const SERVED_REACH: usize = 2;

/// True when every emergency sign of `hits` is told of the people a job serves, as what
/// befalls them ("help kids who are choking", "is it just kids who can't talk properly"):
/// the sign starts just after a `Served` sign ends.
fn emergency_of_served(hits: &[&Hit]) -> bool {
    let served: Vec<&std::ops::Range<usize>> = (hits.iter())
        .filter(|h| h.pattern.sign == Sign::Served)
        .map(|h| &h.span)
        .collect();
    let mut emergencies = hits.iter().filter(|h| h.pattern.sign == Sign::Emergency);
    let of_served = |span: &std::ops::Range<usize>| {
        (served.iter()).any(|s| s.end <= span.start && span.start <= s.end + SERVED_REACH)
    };
    !served.is_empty()
        && emergencies.clone().next().is_some()
        && emergencies.all(|h| of_served(&h.span))
}

/// How many signs of `sign` (red flags, signs of violence) `hits` hold that do not overlap one
/// another.
fn apart(hits: &[&Hit], sign: Sign) -> usize {
    let mut flags: Vec<&std::ops::Range<usize>> = hits
        .iter()
        .filter(|h| h.pattern.sign == sign)
        .map(|h| &h.span)
        .collect();
    flags.sort_by_key(|span| (span.start, std::cmp::Reverse(span.end)));
    let mut apart = 0;
    let mut end = 0;
    for span in flags {
        if apart == 0 || span.start >= end {
            apart += 1;
            end = span.end;
        }
    }
    apart
}

/// The signs found in one part of a clause.
struct Signs {
    /// Every emergency sign in the part is one that has lasted (`lasting`).
    lasting: bool,
    /// The part's careers frame is only a job stated ("im a porter", "my friend who's a
    /// hca"), with no careers words of its own.
    frame_is_who: bool,
    /// Every emergency sign in the part is told of the people a job serves
    /// (`emergency_of_served`).
    emergency_of_served: bool,
    /// Someone a job serves is supposed saying something ("if a caller says…"): what the
    /// writer asks about is the job, though they speak of themselves ("what do i say").
    served_supposed: bool,
    found: HashSet<Sign>,
    /// The red flags found, as many as do not overlap one another.
    red_flags: usize,
    /// The signs of violence found, as many as do not overlap one another.
    violence: usize,
    /// The warning signs of suicide found, as many as do not overlap one another.
    warnings: usize,
    /// The part asks about a job, a role or a course.
    careers: bool,
    /// A symptom or a health worry is told, not only asked about ("is that normal?").
    symptom: bool,
    /// A role of the catalogue is named.
    role_named: bool,
    /// Where the urgent signs inside a longer sign of another kind are.
    urgent_covered: Vec<std::ops::Range<usize>>,
    /// Every crisis sign of the part lies inside a `Purpose` sign.
    crisis_is_purpose: bool,
    signals: Vec<String>,
}

impl Signs {
    fn has(&self, sign: Sign) -> bool {
        self.found.contains(&sign)
    }

    /// Two red flags together, or two signs of violence: an emergency.
    fn red_flagged(&self) -> bool {
        self.red_flags >= 2 || self.violence >= 2
    }

    /// An emergency only because red flags come together: a health worry's signs, read
    /// across sentences as a health worry is.
    fn only_red_flagged(&self) -> bool {
        self.red_flagged() && !self.has(Sign::Emergency)
    }

    /// A red flag of someone the writer knows, with nothing of careers in the message and
    /// nothing over ("my nan is confused today"): a health worry, that the bank may find an
    /// emergency unless it has lasted.
    fn flagged(&self, careers_anywhere: bool) -> bool {
        self.red_flags >= 1
            && !self.lasting
            && self.has(Sign::Someone)
            && !careers_anywhere
            && !self.has(Sign::Past)
            && !self.has(Sign::Over)
    }

    /// A health worry only because of `flagged`: no other sign of health.
    fn flagged_only(&self, careers_anywhere: bool) -> bool {
        self.flagged(careers_anywhere)
            && !self.has(Sign::Health)
            && !self.has(Sign::Condition)
            && !self.has(Sign::Emergency)
    }

    /// The outcome of this part were it not framed by careers words of its own; `personal`
    /// when the message is about the writer or someone they know.
    fn unframed(&self, careers_anywhere: bool, personal: bool, asks: bool) -> Outcome {
        let mut found = self.found.clone();
        if personal {
            found.insert(Sign::Personal);
        }
        // Unframed, a condition is a worry like any symptom ("is it anxiety?").
        if found.contains(&Sign::Condition) {
            found.insert(Sign::Health);
        }
        Signs {
            lasting: self.lasting,
            frame_is_who: self.frame_is_who,
            emergency_of_served: self.emergency_of_served,
            served_supposed: self.served_supposed,
            crisis_is_purpose: self.crisis_is_purpose,
            careers: false,
            symptom: self.symptom,
            role_named: self.role_named,
            found,
            red_flags: self.red_flags,
            violence: self.violence,
            warnings: self.warnings,
            urgent_covered: Vec::new(),
            signals: Vec::new(),
        }
        .outcome(careers_anywhere, asks)
    }

    /// The outcome of this part, knowing whether the message asks about careers anywhere.
    /// `asks`: whether the message asks anything.
    fn outcome(&self, careers_anywhere: bool, asks: bool) -> Outcome {
        let now = self.has(Sign::Now);
        let past = self.has(Sign::Past) && !now || self.has(Sign::Over);
        let personal = self.has(Sign::Personal);
        // An emergency or a crisis word in a careers question is what the job deals with,
        // unless something says it is happening now, or to someone the writer knows.
        let careers = careers_anywhere && !now;
        // Not an emergency of someone the writer knows, in a message that asks nothing: careers
        // words there tell where the writer was ("got back from placement and my mum is on the
        // floor not breathing").
        // Not when that person's job is named ("my sister is a midwife and had a baby not
        // breathing on shift"), nor in jest.
        let known_told = self.has(Sign::Someone)
            && !asks
            && !self.role_named
            && !self.has(Sign::Idiom)
            && self.violence == 0;
        // What the writer saw at work is of the people there, not of the writer.
        let seen_at_work = self.has(Sign::Witnessed) && !self.has(Sign::Someone);
        let framed = careers && (self.careers || !personal || seen_at_work) && !known_told;
        // A role merely named, in a message that asks nothing, beside someone the writer knows,
        // is who it happened to ("the electrician got a shock and he's not breathing"), not the
        // job asked about.
        let named_only = !self.has(Sign::Careers) && !asks && self.has(Sign::Someone);
        // An emergency told of the people a job serves, in a careers question with nothing of
        // the writer's own, is what the job deals with, whatever says "just" or "help" beside
        // it ("do ambulance techs get trained to help kids who are choking").
        let of_served = self.emergency_of_served && careers_anywhere && asks && !personal;
        let emergency = self.has(Sign::Emergency) && !of_served || self.red_flagged();
        let lasting = self.lasting && !now;
        let long_ago = self.has(Sign::LongAgo) && !now && !self.has(Sign::Recurring);

        // A health worry: a symptom, a condition not disclosed beside a careers question, or a
        // red flag of someone the writer knows (of the writer, alone, none: "confused af"
        // about careers).
        let health = self.has(Sign::Health)
            || self.has(Sign::Condition) && !careers_anywhere
            || (emergency || self.red_flags >= 1 && self.has(Sign::Someone)) && lasting
            // An emergency over, asked about with no careers frame, is a worry about what
            // happened ("i fainted at work yesterday, feel ok now but should i get checked").
            // Not when help has come (`Over`): that is what happened. Only asked about: "my dad
            // collapsed last year" tells what happened.
            || emergency
                && asks
                && self.has(Sign::Past)
                && !now
                && !self.has(Sign::Over)
                && !long_ago
                && !careers_anywhere
                && personal
            // Told, not asked: an emergency over with the person well again, and nothing of
            // careers ("my mate fainted in the heat yesterday but she's fine now").
            || emergency
                && !asks
                && self.has(Sign::Past)
                && self.has(Sign::Recovered)
                && !now
                && !long_ago
                && !careers_anywhere
            || self.flagged(careers_anywhere);
        // A symptom of the writer's or someone they know, told in a message that asks nothing:
        // the careers words around it are background, not a question about a job.
        let background = !asks && personal && !past && self.has(Sign::Health);
        // A careers question about a worry that is over, or not the writer's own ("is a nurse
        // with asthma ok?").
        let careers_topic = careers_anywhere && (past || !personal);
        // A symptom asked about, of no role ("is it normal to feel dizzy after a night
        // shift?"; not "do nurses often get back pain?").
        let asks_symptom = self.has(Sign::HealthQuestion) && self.symptom && !self.role_named;
        // What the people a job serves say, asked about as part of the job ("what training do
        // HCAs get for when a patient says they want to kill themselves"), by a writer who may
        // speak of themselves when careers words of the part frame it ("for my mmi they asked
        // 'a patient tells you they want to end their life'").
        let served = self.has(Sign::Served)
            && careers_anywhere
            && asks
            && !now
            && (!personal || self.has(Sign::Careers) || self.served_supposed);
        // Two warning signs of suicide, with no careers frame to give them a reason ("sold my
        // guitar, gave my cat to my sister"; not "sold my car and gave my dog to my mum, im
        // moving for a nursing job").
        let warned = self.warnings >= 2 && !careers_anywhere && !past;
        if emergency && !past && (!framed || named_only) && !lasting {
            Outcome::Emergency
        } else if self.has(Sign::Crisis) && !(long_ago && careers_anywhere && asks) && !served
            || warned
            || (self.has(Sign::CrisisTopic) && !past && !careers)
        {
            Outcome::Crisis
        } else if health && (background || asks_symptom || !self.careers && !careers_topic) {
            Outcome::Health
        } else if self.has(Sign::Patient) && !self.careers && (personal || !careers_anywhere) {
            Outcome::Patient
        } else {
            Outcome::Careers
        }
    }
}

impl Sign {
    /// True for signs that say the event is happening now.
    fn says_now(self) -> bool {
        matches!(
            self,
            Sign::Now | Sign::Happening | Sign::Ongoing | Sign::Continues
        )
    }

    /// True for signs whose longer matches hide shorter ones inside them ("help people", a
    /// careers frame, holds "help", no sign of urgency); a red flag hides nothing ("a purple
    /// rash" is still a rash), nor does when something happened ("took an overdose at 16 and
    /// just took another one tonight" still holds an overdose).
    fn is_reading(self) -> bool {
        !matches!(
            self,
            Sign::Personal
                | Sign::Someone
                | Sign::Purpose
                | Sign::RedFlag
                | Sign::Violence
                | Sign::Warning
                | Sign::LongAgo
                | Sign::Recurring
                | Sign::Recovered
                | Sign::Motive
        )
    }

    /// An emergency's or a crisis's sign.
    fn is_urgent(self) -> bool {
        matches!(self, Sign::Emergency | Sign::Crisis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNS: &str = r#"
breaks = ["but", "also"]
owners = ["my"]
soft = ["really"]
negations = ["not"]

[classes]
person = ["he", "she", "my dad", "my mum"]

[[signs]]
sign = "emergency"
patterns = ["not breathing", "<person> * collapsed", "face dropped|drooping", "overdose"]

[[signs]]
sign = "crisis"
patterns = ["want to die", "better off without me", "~kill himself|myself", "planning to overdose"]

[[signs]]
sign = "crisis-topic"
patterns = ["self harm"]

[[signs]]
sign = "health"
patterns = ["sore throat", "feeling down", "rash"]

[[signs]]
sign = "health-question"
patterns = ["should i see a gp"]

[[signs]]
sign = "condition"
patterns = ["adhd"]

[[signs]]
sign = "patient"
patterns = ["my dentist", "see me sooner"]

[[signs]]
sign = "red-flag"
patterns = ["confused", "purple rash", "hit * head", "stiff neck"]

[[signs]]
sign = "violence"
patterns = ["got a knife", "going to kill me", "hiding in the bathroom"]

[[signs]]
sign = "warning"
patterns = ["gave my cat away", "sorted my accounts"]

[[signs]]
sign = "served"
patterns = ["kids who"]

[[signs]]
sign = "denied"
patterns = ["not * suicidal", "no * thoughts of ** ~hurt|~harm|~kill ** myself"]

[[signs]]
sign = "careers"
patterns = ["work on a", "become a", "jobs"]

[[signs]]
sign = "idiom"
patterns = ["dying to"]

[[signs]]
sign = "now"
patterns = ["just", "right now"]

[[signs]]
sign = "past"
patterns = ["last year"]

[[signs]]
sign = "lasting"
patterns = ["for # days"]

[[signs]]
sign = "over"
patterns = ["is ok now"]

[[signs]]
sign = "personal"
patterns = ["i", "my", "<person>"]
"#;

    fn stem(word: &str) -> String {
        word.trim_end_matches("ing")
            .trim_end_matches('s')
            .to_owned()
    }

    fn check(text: &str, expect: Outcome) {
        check_message(&[text], false, expect);
    }

    /// Checks a message of these clauses, where the bank finds every part a health worry
    /// (`urgent`) or none.
    fn check_message(clauses: &[&str], urgent: bool, expect: Outcome) {
        let safety = Safety::parse("signs.toml", SIGNS, matcher::words, stem).expect("signs");
        let clauses = clauses
            .iter()
            .map(|text| {
                let asks = text.contains('?')
                    || text.split(' ').next().is_some_and(|w| {
                        [
                            "can", "what", "how", "is", "do", "does", "are", "should", "would",
                        ]
                        .contains(&w.to_lowercase().as_str())
                    });
                crate::reading::Clause {
                    parts: vec![crate::reading::Part::Content; matcher::words(text).len()],
                    words: matcher::words(text),
                    asks,
                    asks_openly: asks,
                    wants: text.contains("want"),
                    ..Default::default()
                }
            })
            .collect();
        let reading = Reading {
            clauses,
            ..Reading::default()
        };
        let got = safety.assess(
            &reading,
            stem,
            |_| Vec::new(),
            |_| urgent.then_some((Outcome::Health, 1.0)),
        );
        assert_eq!(got.outcome, expect, "{reading:?}: {:?}", got.signals);
    }

    #[test]
    fn soft_words_segments_and_the_bank() {
        // Soft words inside a sign.
        check("i am feeling really down", Outcome::Health);
        // A subject running across sentences, after a word that changes it.
        check_message(
            &["ty for the jobs info but my dad", "has a sore throat"],
            false,
            Outcome::Health,
        );
        check_message(
            &["ty for the jobs info", "has a sore throat"],
            false,
            Outcome::Careers,
        );
        // A health worry held back by a careers frame stands when the examples are urgent.
        let framed = "i want to become a nurse and i have a sore throat";
        check_message(&[framed], false, Outcome::Careers);
        check_message(&[framed], true, Outcome::Health);
        // A careers frame in a message that asks and wishes nothing is background.
        check("my sore throat started with my new jobs", Outcome::Health);
        check("can i do jobs with a sore throat", Outcome::Careers);
        // A question about the symptom is no careers question: the frame is background.
        check(
            "i work on a ward and have a sore throat, should i see a gp?",
            Outcome::Health,
        );
        // Nor when a clause asks with careers words of its own.
        check_message(
            &[
                "my back aches from all the lifting",
                "any jobs i could move into?",
            ],
            true,
            Outcome::Careers,
        );
        // A symptom beside a question about jobs is why the writer asks, unless it is
        // another subject.
        let moving = "any jobs i could move into?";
        check_message(
            &["i have a rash from the gloves", moving],
            false,
            Outcome::Careers,
        );
        check_message(&[moving, "also i have a rash"], false, Outcome::Health);
        check_message(
            &["i have a rash", "should i see a gp?", moving],
            false,
            Outcome::Health,
        );
        // A patient's words beside a question about a role are where the writer met it.
        check_message(
            &["are there jobs in dentistry?", "my dentist has one"],
            false,
            Outcome::Careers,
        );
        check_message(&["can my dentist see me sooner?"], false, Outcome::Patient);
        // The bank never makes an emergency of a careers question.
        let careers = "i want to become a paramedic, do they help people who are not breathing";
        check_message(&[careers], true, Outcome::Careers);
    }

    #[test]
    fn signs_frames_and_time() {
        check("my dad has just collapsed", Outcome::Emergency);
        check("she suddenly collapsed", Outcome::Emergency);
        // A word that denies, inside a sign's run that does not say it, leaves no sign; one
        // the pattern says itself is the sign.
        check("my dad has not collapsed", Outcome::Careers);
        check("she is not face drooping", Outcome::Careers);
        // Help has come: what happened is told, not happening.
        check_message(&["he collapsed"], false, Outcome::Emergency);
        check_message(&["he collapsed", "he is ok now"], false, Outcome::Careers);
        check("he is not breathing", Outcome::Emergency);
        // Thoughts of self-harm denied are no sign; the words around still speak.
        check("feeling down but not really suicidal", Outcome::Health);
        check(
            "feeling down, no real thoughts of wanting to kill myself",
            Outcome::Health,
        );
        check("feeling down and want to kill myself", Outcome::Crisis);
        check("not sure but i want to die", Outcome::Crisis);
        check("her face is drooping", Outcome::Careers); // "face drooping" needs the words in a run
        check("face drooping", Outcome::Emergency);
        // What has lasted days next to an emergency's signs is a health worry, unless it is
        // happening now; days told apart from them are no reason to wait.
        check("face drooping for five days", Outcome::Health);
        check("face drooping for 5 days", Outcome::Health);
        check("face drooping for five days right now", Outcome::Emergency);
        check("face drooping, a cough for five days", Outcome::Emergency);
        check("a cough for five days and he collapsed", Outcome::Emergency);
        check("i just want to die", Outcome::Crisis);
        check("everyone would be better off without me", Outcome::Crisis);
        check("i have a sore throat", Outcome::Health);
        check("jobs in self harm teams", Outcome::Careers);
        check("i self harm", Outcome::Crisis);
        check(
            "i want to become a nurse but i just want to die",
            Outcome::Crisis,
        );
        check(
            "i want to work on a ward where people are not breathing",
            Outcome::Careers,
        );
        check(
            "i want to become a nurse and he is not breathing right now",
            Outcome::Emergency,
        );
        check("my dad collapsed last year", Outcome::Careers);
        check("i am dying to become a nurse", Outcome::Careers);
        check("how do i apply for nhs jobs", Outcome::Careers);
        check("my dad keeps killing himself", Outcome::Crisis); // any form of "kill"
        check("she is planning to overdose", Outcome::Crisis); // the longer sign wins
        // A careers question elsewhere in the message frames a sign about nobody in
        // particular, never one about someone the writer knows.
        check(
            "i want to become a paramedic, do they help people who are not breathing",
            Outcome::Careers,
        );
        check(
            "i want to become a nurse but he is not breathing",
            Outcome::Emergency,
        );
        check(
            "i want to become a nurse but he is not breathing right now",
            Outcome::Emergency,
        );
    }

    #[test]
    fn violence_by_two_signs_and_emergencies_of_people_served() {
        // One sign of violence is nothing; two together are an emergency, unless a careers
        // question frames them.
        check("my mum is going to kill me", Outcome::Careers);
        check(
            "he has got a knife and is going to kill me",
            Outcome::Emergency,
        );
        check_message(
            &["he has got a knife", "i am hiding in the bathroom"],
            false,
            Outcome::Emergency,
        );
        check(
            "do jobs on a ward mean patients who have got a knife and are going to kill me",
            Outcome::Careers,
        );
        // An emergency told of the people a job serves, in a careers question, whatever says
        // it is now; told of nobody served, or with no careers question, still an emergency.
        check(
            "can you become a nurse who helps kids who are not breathing right now",
            Outcome::Careers,
        );
        check("kids who are not breathing right now", Outcome::Emergency);
        check(
            "can you help, he is not breathing right now",
            Outcome::Emergency,
        );
    }

    #[test]
    fn warning_signs_together_and_with_no_reason_of_work() {
        // Two warning signs are a crisis, one is nothing, and a careers frame gives them a
        // reason.
        check("i gave my cat away", Outcome::Careers);
        check("i gave my cat away and sorted my accounts", Outcome::Crisis);
        check(
            "i gave my cat away and sorted my accounts, can i become a nurse",
            Outcome::Careers,
        );
    }

    #[test]
    fn conditions_and_red_flags() {
        // A condition is a health worry alone, and what the writer discloses beside a
        // careers question.
        check("i have adhd", Outcome::Health);
        check_message(
            &["i have adhd", "can i get jobs in the nhs"],
            false,
            Outcome::Careers,
        );
        check_message(
            &["i have adhd", "and a sore throat"],
            false,
            Outcome::Health,
        );
        // One red flag is a health worry; two together are an emergency, across sentences
        // too, and never in a careers question about nobody in particular.
        check("my son has a purple rash", Outcome::Health);
        check("what is primary care, i am confused", Outcome::Careers);
        check(
            "my son has a purple rash and a stiff neck",
            Outcome::Emergency,
        );
        check_message(
            &["i hit my head on the door", "now i am confused"],
            false,
            Outcome::Emergency,
        );
        check("i hit my head and have a sore throat", Outcome::Health);
        check(
            "jobs where you treat a purple rash and a stiff neck",
            Outcome::Careers,
        );
    }

    #[test]
    fn malformed_patterns_name_their_line() {
        let bad = "[classes]\n[[signs]]\nsign = \"crisis\"\npatterns = [\"<nobody> dies\"]\n";
        let bad = format!("breaks = []\nowners = []\nsoft = []\nnegations = []\n{bad}");
        let err = Safety::parse("signs.toml", &bad, matcher::words, |w| w.to_owned())
            .expect_err("unknown class");
        assert!(err.to_string().starts_with("signs.toml:8: "), "{err}");
        // A phrase among a "~"'s words would match its words one by one.
        let phrase = bad.replace("<nobody> dies", "~search|looked_up ** suicide");
        let err = Safety::parse("signs.toml", &phrase, matcher::words, |w| w.to_owned())
            .expect_err("a phrase in a '~'");
        assert!(err.to_string().contains("a '~' takes words only"), "{err}");
    }
}
