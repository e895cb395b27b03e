//! The bot's own sentences, read from `intents/messages.toml`.

use serde::Deserialize;

use crate::Error;

/// Sentences the engine puts together itself. `{name}` marks a value filled in at run time.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Messages {
    /// When nothing matched well enough (variants used in turn).
    pub fallback: Vec<String>,
    /// Buttons offered with a fallback.
    pub fallback_suggestions: Vec<String>,
    /// Asking which of close candidates was meant: `{options}`.
    pub did_you_mean: String,
    /// Joins the options of `did_you_mean`.
    pub or: String,
    /// A follow-up ("how long does it take?") with nothing under discussion.
    pub clarify: String,
    /// A question about a job, a role or a course that nothing the bot knows answers ("what
    /// does a phlebotomist do"): it says so and where to look, rather than guess.
    pub careers_unknown: String,
    /// An empty message.
    pub empty: String,
    /// After the user told the bot about themselves: `{facts}`.
    pub noted: String,
    /// Jobs outside the NHS whose names hold a role's ("combat medic", "vet nurse"): they name
    /// no role.
    #[serde(default)]
    pub other_jobs: Vec<String>,
    /// The same, when the message also greeted ("Hi, I'm asking for my daughter"): `{facts}`.
    pub noted_with_greeting: String,
    /// Before an answer, after the user also told the bot about themselves: `{facts}`.
    pub noted_briefly: String,
    /// The entry that answers a wish to work in the NHS that nothing else answers ("I'm 52 and
    /// want a change, something in healthcare"), unless the writer's life stage suggests one.
    #[serde(default)]
    pub wish_entry: Option<String>,
    /// Button label for the longer part of an answer.
    pub more_label: String,
    /// "Tell me more" when everything about `{subject}` has been shown.
    pub no_more: String,
    /// "Tell me more" with nothing under discussion.
    pub more_without_topic: String,
    /// To a user sending messages faster than they are answered (sent once, then silence).
    pub flood: String,
    /// To a sticker, photo, voice note or other message that is not text.
    pub non_text: String,
    /// A slash command the bot does not know: `{command}`.
    pub unknown_command: String,
    /// The button that confirms "forget me".
    pub forget_yes: String,
    /// The button that cancels "forget me".
    pub forget_no: String,
    /// After everything about the user was deleted.
    pub forgotten: String,
    /// After the user chose not to be forgotten.
    pub kept: String,
    /// Typed answers that mean yes.
    pub yes: Vec<String>,
    /// Typed answers that mean no.
    pub no: Vec<String>,
    /// "What do you know about me": `{facts}` is the list.
    pub mydata: String,
    /// "What do you know about me" with nothing stored.
    pub mydata_empty: String,
    /// The names of what is stored, in `mydata`.
    pub mydata_labels: MyDataLabels,
    /// Repeats back whom the user asks for: `{who}` ("you're asking for your son").
    pub asking_for_note: String,
    /// Repeats back the user's job: `{job}` ("you work as a healthcare assistant").
    pub job_note: String,
    /// Phrases after which the user names their job ("I'm a", "I work as a").
    pub job_before: Vec<String>,
    /// Words that make a `job_before` phrase straight after them a question or a wish ("can I
    /// work as a nurse?"), not a statement of the user's job.
    #[serde(default)]
    pub job_not_after: Vec<String>,
    /// Phrases straight after which a role named is the user's job, in a clause that asks
    /// nothing ("band 6 physio here", "nurse by background").
    #[serde(default)]
    pub job_after: Vec<String>,
    /// Words straight before a role that make it a job the user has left ("ex nurse here"),
    /// not their job, for `job_after`.
    #[serde(default)]
    pub job_left_before: Vec<String>,
    /// Words that speak of the user's own job ("is my job in demand?"): a question about it,
    /// not about something beyond it.
    #[serde(default)]
    pub own_job: Vec<String>,
    /// Words before a role named that make it someone's own clinician.
    #[serde(default)]
    pub own_clinician_before: Vec<String>,
    /// Words before a role named that make it what another role is compared with.
    #[serde(default)]
    pub compared_before: Vec<String>,
    /// Words after which a role named is one the user does not mean ("the ones who drive
    /// ambulances but aren't paramedics").
    #[serde(default)]
    pub role_denied_before: Vec<String>,
    /// Words read in place of a role denied ("I don't want to be a nurse, what else is
    /// there?" asks of other roles).
    #[serde(default)]
    pub role_denied_stand_in: String,
    /// Words after which the writer names what they do not want instead ("instead of uni").
    #[serde(default)]
    pub alternative_before: Vec<String>,
    /// Phrases that ask about NHS jobs in general ("most nhs jobs"), not the role under
    /// discussion.
    #[serde(default)]
    pub in_general: Vec<String>,
    /// Phrases that ask the question just answered again, of another role ("what about
    /// medicine, same thing?").
    #[serde(default)]
    pub same_again: Vec<String>,
    /// Phrases before the job a question asks about ("how do i become a", "work as a"): a job
    /// there in a word no entry holds is one the sources do not cover ("how do i become a
    /// phlebotomist").
    #[serde(default)]
    pub job_asked_before: Vec<String>,
    /// Phrases that ask whether what was just answered holds where the writer is ("i live in
    /// glasgow btw does that change anything").
    #[serde(default)]
    pub same_here: Vec<String>,
    /// Phrases that turn back to a subject said before ("ok back to the apprenticeship thing"):
    /// a question after them that refers back refers to that subject.
    #[serde(default)]
    pub turned_back: Vec<String>,
    /// Employers and kinds of work outside the NHS ("tesco", "vet"): a question about one of
    /// them that says nothing of the NHS or health care (`in_the_nhs`) and names no NHS role
    /// gets the reply of the intent `elsewhere_intent`.
    #[serde(default)]
    pub elsewhere: Vec<String>,
    /// Words that say a message is about the NHS or health care after all.
    #[serde(default)]
    pub in_the_nhs: Vec<String>,
    /// The intent that answers a question about work outside the NHS.
    #[serde(default)]
    pub elsewhere_intent: Option<String>,
    /// Words before an employer of `elsewhere` that make it the writer's own ("i work at
    /// tesco") or what an NHS job is compared with ("better paid than tesco"): not what they
    /// ask about.
    #[serde(default)]
    pub elsewhere_own: Vec<String>,
    /// Words straight after an employer of `elsewhere` that make it what is asked about, even
    /// when it is the writer's own ("any tips for my tesco interview").
    #[serde(default)]
    pub elsewhere_asked_after: Vec<String>,
    /// Phrases that describe a job rather than name it ("the person who", "what's the job
    /// where").
    pub role_cues: Vec<String>,
    /// Phrases that describe a job after the words that name the person ("front desk person
    /// at"): role cues that take the words before them.
    #[serde(default)]
    pub role_cues_after_name: Vec<String>,
    /// Phrases that ask what a job described before them is called ("hospital cleaner jobs,
    /// what are they called in nhs speak"): role cues that take the words before them, when
    /// those say enough.
    #[serde(default)]
    pub role_cues_after_description: Vec<String>,
    /// Words that say a job is described by what it does and whose verb is part of the
    /// description ("who makes false legs"): they mark a description but are not removed
    /// from it, as `role_cues` are.
    #[serde(default)]
    pub role_verbs: Vec<String>,
    /// Words that may sit inside an aspect's phrase without breaking it ("what would i
    /// actually be doing").
    #[serde(default)]
    pub aspect_soft: Vec<String>,
    /// Words that turn to another role and ask nothing else ("what about", "and"): with a
    /// role named and no fact asked before, the role's card.
    #[serde(default)]
    pub role_switch: Vec<String>,
    /// Words after a role's name that make it a place ("gp surgery").
    #[serde(default)]
    pub role_place_after: Vec<String>,
    /// Words after a role's name that make it who told the writer something ("my manager
    /// mentioned").
    #[serde(default)]
    pub role_messenger_after: Vec<String>,
    /// Words before a role's name that, with `role_messenger_after`, make it who told the
    /// writer something ("my").
    #[serde(default)]
    pub role_messenger_before: Vec<String>,
    /// Words after a role's name that make it who told the writer something, whatever comes
    /// before it ("manager mentioned a secondment", "a nurse said i'd be good at it").
    #[serde(default)]
    pub role_teller_after: Vec<String>,
    /// Words before a role's name that make it where the writer comes from, when another role
    /// is named ("go from junior to consultant").
    #[serde(default)]
    pub role_origin_before: Vec<String>,
    /// Words before a role's name that make it the role helped, not the one described ("a job
    /// helping midwives").
    #[serde(default)]
    pub role_helped_before: Vec<String>,
    /// Words before a role's name that make it a place ("at the gp").
    #[serde(default)]
    pub role_place_before: Vec<String>,
    /// Words straight before a role named that compare another with it ("does she register
    /// with the same lot as physios?"): not the role asked about.
    #[serde(default)]
    pub role_compared_before: Vec<String>,
    /// Words that end a pick of one of the things just listed, after what tells it apart
    /// ("the foundation one").
    #[serde(default)]
    pub picked_after: Vec<String>,
    /// Words that open what tells a picked thing apart ("the").
    #[serde(default)]
    pub picked_opening: Vec<String>,
    /// Words that pick a thing just listed by its place in the list, in order ("the second
    /// one").
    #[serde(default)]
    pub picked_ordinals: Vec<String>,
    /// Words that pick the last thing just listed ("the last one").
    #[serde(default)]
    pub picked_last: Vec<String>,
    /// Words that ask for the thing listed after the one just answered ("what comes after
    /// that one").
    #[serde(default)]
    pub sequence_after: Vec<String>,
    /// Words that ask for the thing listed before the one just answered ("is there one
    /// before it").
    #[serde(default)]
    pub sequence_before: Vec<String>,
    /// Heads what a role's record says when it does not give the fact asked: `{ask}` (the
    /// aspect's question), `{role}`.
    pub role_fact_unknown: String,
    /// A follow-up asking what the subject under discussion (no role) does not say: `{ask}`,
    /// `{topic}` (the entry's label).
    pub fact_not_in_topic: String,
    /// Words that ask what a role is and nothing else ("what is a", "whats a … do"): with a
    /// role named, the role's card.
    #[serde(default)]
    pub role_define: Vec<String>,
    /// Heads a comparison: `{roles}`.
    pub compare_intro: String,
    /// Heads a fact asked of several roles at once: `{roles}`.
    pub roles_fact_intro: String,
    /// Words that join roles asked about together ("nurses n midwives"): a fact asked of
    /// roles joined by them gets that fact of each.
    #[serde(default)]
    pub roles_joined: Vec<String>,
    /// "Compare" with fewer than two roles named.
    pub compare_needs_roles: String,
    /// Words that ask for a comparison of the roles named with them.
    pub compare_words: Vec<String>,
    /// Joins the last two items of a list ("A, B and C").
    pub and: String,
    /// The names of a role's facts.
    pub role_labels: RoleLabels,
    /// Phrases that ask about one fact of a role ("how long" asks about training), in order of
    /// precedence.
    pub aspect: Vec<Aspect>,
}

/// A fact of a role in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum RoleField {
    What,
    EntryRoutes,
    Qualifications,
    Regulator,
    Training,
    Demand,
    Settings,
}

/// The phrases that ask about one fact of a role.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aspect {
    /// The facts shown, the one asked about first.
    #[serde(default)]
    pub fields: Vec<RoleField>,
    /// A knowledge entry that answers this question for every role ("where are porter jobs
    /// advertised?" is answered by where NHS jobs are advertised, tailored to the writer's
    /// nation), instead of facts from the role's record.
    #[serde(default)]
    pub entry: Option<String>,
    /// A knowledge entry that answers this question when no role is named or under
    /// discussion and no entry answers the message surely ("do they take people my age?"
    /// after the non-clinical jobs).
    #[serde(default)]
    pub otherwise: Option<String>,
    /// What the `otherwise` entry says for everyone, shown before a role's facts when the
    /// question is asked of a role ("would they take me at 51?" after paramedics); the reply
    /// cites that entry's sources too.
    #[serde(default)]
    pub preface: Option<String>,
    /// True when the writer's situation tells it, wherever the message asks: trained abroad
    /// and asking whether they can work as a midwife asks about joining from overseas.
    #[serde(default)]
    pub told: bool,
    /// The knowledge sections whose entries about no role may answer it for a role named,
    /// instead of the role's record: "what do i need to be a doctor, the whole thing start to
    /// finish" is not asked of the stages of applying. Empty: any section's.
    #[serde(default)]
    pub sections: Vec<String>,
    /// The knowledge sections whose entry naming a role answers it for that role when the
    /// role's record does not ("are software developers needed": the demand for digital
    /// roles, which names them).
    #[serde(default)]
    pub named_in: Vec<String>,
    /// How people ask about it.
    pub phrases: Vec<String>,
    /// A button that asks about it ("How long is the training?").
    pub ask: String,
}

impl Aspect {
    /// True when an entry about no role of the section of `id` may answer it (`sections`).
    pub(crate) fn answered_in(&self, id: &str) -> bool {
        let section = crate::engine::section(id);
        self.sections.is_empty() || self.sections.iter().any(|s| s == section)
    }
}

/// The names of what is stored about a user.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct MyDataLabels {
    pub age: String,
    pub stage: String,
    pub nation: String,
    pub place: String,
    pub job: String,
    pub asking_for: String,
    pub qualifications: String,
    pub interests: String,
    pub topic: String,
    pub role: String,
    pub finder: String,
    /// `{n}` of `{total}` questions answered.
    pub finder_progress: String,
    /// The recent messages: `{n}`.
    pub turns: String,
}

/// The names of a role's facts in the role catalogue.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RoleLabels {
    pub what: String,
    pub entry_routes: String,
    pub qualifications: String,
    pub regulator: String,
    pub training: String,
    pub demand: String,
    pub settings: String,
}

impl Messages {
    /// Parses the messages file.
    pub(crate) fn parse(file: &str, text: &str) -> Result<Messages, Error> {
        let messages: Messages = toml::from_str(text).map_err(|e| Error::toml(file, text, &e))?;
        if messages.fallback.is_empty() {
            return Err(Error::content(
                file,
                1,
                "give at least one fallback message",
            ));
        }
        Ok(messages)
    }
}

/// Fills `{name}` placeholders in a template.
pub(crate) fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

/// Picks the variant for this turn, so that repeated replies vary but tests stay repeatable.
pub(crate) fn variant(variants: &[String], turn: u64) -> &str {
    let index = usize::try_from(turn).unwrap_or(0) % variants.len().max(1);
    variants.get(index).map_or("", String::as_str)
}
