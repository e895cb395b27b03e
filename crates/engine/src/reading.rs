//! Reading a message: the first stage of a turn.
//!
//! A message is read into a `Reading`, a plain value the later stages take: its clauses, each
//! with its words (normalised, typos corrected) and what each word is (what is asked, noise such
//! as a greeting or "quick q", or a fact about the writer such as where they live); whether it
//! greets, thanks or says goodbye; the place the writer named and the UK nation it lies in; and
//! whom they ask for. Nothing here decides the reply: the safety stage reads the clauses, the
//! engine notes the facts and matches what is asked.

use rustc_hash::FxHashMap as HashMap;

use matcher::{Analyzer, Words};
use serde::{Deserialize, Serialize};

use crate::Error;

/// At most this many bytes of a message are read (a clause boundary is never needed beyond).
const MAX_BYTES: usize = 8 * 1024;
/// A clause that gives context to a question in another clause of the message counts this
/// much ("I'm 19 and work in a care home. Could I train as a nurse?").
const CONTEXT: f32 = 0.6;
/// A word that says something about the writer rather than what they ask ("I'm a pharmacist
/// and want to move into leadership") counts this much.
const ABOUT_WRITER: f32 = 0.6;
/// How many words of a place name are read at most ("newcastle upon tyne").
const LONGEST_PLACE: usize = 4;
/// The most words a fragment continuing the sentence before it holds ("on everything").
const CONTINUATION_MAX_WORDS: usize = 4;

/// What one word of a clause is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    /// What the writer says or asks.
    Content,
    /// A greeting, thanks, goodbye or filler.
    Noise,
    /// A place, or whom the writer asks for: set aside when matching.
    Aside,
    /// Something the writer says about themselves: counts for less when matching.
    AboutWriter,
    /// The first word of a place abroad the writer comes from or trained in: matched as the
    /// word `abroad` ("trained in Kerala" asks what "trained abroad" asks).
    Abroad,
}

/// The word a place abroad is matched as.
const ABROAD: &str = "abroad";

/// Kinds of noise phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Noise {
    Greeting,
    Thanks,
    Farewell,
    Filler,
}

/// One clause of a message.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Clause {
    /// The clause as typed.
    pub text: String,
    /// Its words, normalised and corrected.
    pub words: Vec<String>,
    /// How much each word counts (less for a corrected typo).
    #[serde(skip)]
    pub factors: Vec<f32>,
    /// What each word is.
    pub parts: Vec<Part>,
    /// True when the clause asks something.
    pub asks: bool,
    /// True when the clause asks openly, not only by a question word inside it
    /// (`Lexicon::asks_openly`).
    pub asks_openly: bool,
    /// True when the clause says what the writer wants ("i want an apprenticeship"), which is
    /// answered as a question is.
    pub wants: bool,
    /// Where each phrase of a wish ends ("keen to| step up into leadership"): what follows is
    /// what is wished.
    #[serde(skip)]
    pub wish_ends: Vec<usize>,
    /// True when the clause follows a comma.
    #[serde(skip)]
    pub(crate) after_comma: bool,
    /// Where each piece of a clause joined back after a comma starts (word indices): the
    /// safety stage reads the pieces apart.
    #[serde(skip)]
    pub pieces: Vec<usize>,
}

impl Clause {
    /// The words that are not noise.
    pub fn said(&self) -> impl Iterator<Item = &String> {
        self.words
            .iter()
            .zip(&self.parts)
            .filter(|(_, p)| **p != Part::Noise)
            .map(|(w, _)| w)
    }

    /// True when every word is noise.
    pub fn is_noise(&self) -> bool {
        self.parts.iter().all(|p| *p == Part::Noise)
    }

    /// True when the clause says something of its own (besides noise and things set aside).
    pub fn has_content(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Content | Part::AboutWriter))
    }
}

/// A message, read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reading {
    /// The clauses, in order.
    pub clauses: Vec<Clause>,
    /// The message greets.
    pub greets: bool,
    /// The message thanks or signs off.
    pub thanks: bool,
    /// The message says goodbye.
    pub farewell: bool,
    /// A UK place the writer named, and its nation.
    pub place: Option<(String, String)>,
    /// A place abroad the writer says they come from or trained in.
    pub abroad: Option<String>,
    /// Whom the writer asks for ("son"), when not for themselves.
    pub on_behalf: Option<String>,
    /// True when the person asked for is a child or young person.
    pub for_child: bool,
    /// Typos corrected, as (typed, corrected).
    pub corrections: Vec<(String, String)>,
}

impl Reading {
    /// True when the message says nothing but greetings, thanks, goodbyes and filler.
    pub fn is_only_noise(&self) -> bool {
        self.clauses.iter().all(Clause::is_noise)
    }

    /// The greetings, thanks, goodbyes and filler of the message, in order.
    pub fn noise_words(&self) -> Vec<String> {
        self.clauses
            .iter()
            .flat_map(|c| c.words.iter().zip(&c.parts))
            .filter(|(_, part)| **part == Part::Noise)
            .map(|(word, _)| word.clone())
            .collect()
    }

    /// True when some clause asks something.
    pub fn asks(&self) -> bool {
        self.clauses.iter().any(|c| c.asks && c.has_content())
    }

    /// True when some clause asks something or says what the writer wants.
    pub fn requests(&self) -> bool {
        self.clauses
            .iter()
            .any(|c| (c.asks || c.wants) && c.has_content())
    }

    /// Every word of the message (noise included), in order.
    pub fn all_words(&self) -> Vec<String> {
        self.clauses
            .iter()
            .flat_map(|c| c.words.iter().cloned())
            .collect()
    }

    /// What to match, as words with how much each counts: noise left out, places and whom
    /// the writer asks for set aside, what they say about themselves counting less, and,
    /// when a clause asks something, the other clauses counting as context.
    pub fn content(&self) -> Words {
        // What is asked, or else what is wished, is what the message is about.
        let asks = self.asks();
        let wants = !asks && self.requests();
        let mut content = Words {
            corrections: self.corrections.clone(),
            ..Words::default()
        };
        for clause in &self.clauses {
            let context = if asks {
                !clause.asks
            } else {
                wants && !clause.wants
            };
            let weight = if context { CONTEXT } else { 1.0 };
            for ((word, factor), part) in
                clause.words.iter().zip(&clause.factors).zip(&clause.parts)
            {
                let part_weight = match part {
                    Part::Content => 1.0,
                    Part::AboutWriter => ABOUT_WRITER,
                    Part::Abroad => {
                        content.words.push(ABROAD.to_string());
                        content.factors.push(weight);
                        continue;
                    }
                    Part::Noise | Part::Aside => continue,
                };
                content.words.push(word.clone());
                content.factors.push(factor * weight * part_weight);
            }
        }
        content
    }

    /// What the clauses that ask say, alone, when other clauses say something besides them
    /// ("wife's due in june and i start as a porter in april. do blokes get paternity leave?"
    /// asks "do blokes get paternity leave"); `None` when every clause that says something
    /// asks, or none does.
    pub fn asked(&self) -> Option<Words> {
        let asking = |c: &Clause| c.asks && c.has_content();
        let saying = self.clauses.iter().filter(|c| c.has_content()).count();
        let asked = self.clauses.iter().filter(|c| asking(c)).count();
        if asked == 0 || asked == saying {
            return None;
        }
        Some(self.content_of(self.clauses.iter().filter(|c| asking(c)).cloned().collect()))
    }

    /// Each clause that asks something and says something, read alone as `content` reads the
    /// whole.
    pub fn each_asked(&self) -> Vec<Words> {
        (self.clauses.iter())
            .filter(|c| c.asks && c.has_content())
            .map(|c| self.content_of(vec![c.clone()]))
            .collect()
    }

    /// What the clauses that ask say with the clause each follows, when it says something
    /// and asks nothing: what a question that refers back ("how could i get into that?")
    /// refers to may be the sentence before it ("love watching the physios and OTs work with
    /// patients"), not the writer's own job told before that. `None` as for `asked`, or when
    /// no clause that asks follows one that says something.
    pub fn asked_after(&self) -> Option<Words> {
        self.asked()?;
        let asking = |c: &Clause| c.asks && c.has_content();
        let mut clauses: Vec<Clause> = Vec::new();
        for (at, clause) in self.clauses.iter().enumerate() {
            if !asking(clause) {
                continue;
            }
            let before = self.clauses[..at].iter().rev().find(|c| c.has_content());
            if let Some(before) = before.filter(|c| !c.asks && !clauses.contains(c)) {
                clauses.push(before.clone());
            }
            clauses.push(clause.clone());
        }
        if !clauses.iter().any(|c| !asking(c)) {
            return None;
        }
        Some(self.content_of(clauses))
    }

    /// What the sentence told just before the first question that refers back says, alone
    /// ("she's been going on about the hearing job, what does that involve?": "the hearing
    /// job"); `refers` says whether words refer back. `None` when no such question follows a
    /// sentence that says something, asks nothing and tells nothing of the writer.
    pub fn told_before_reference(&self, refers: impl Fn(&[String]) -> bool) -> Option<Words> {
        let told = self.clause_told_before_reference(refers)?;
        Some(self.clause_content(told))
    }

    /// What one clause of this message says, weighed as `content` weighs a clause alone.
    pub fn clause_content(&self, clause: &Clause) -> Words {
        self.content_of(vec![clause.clone()])
    }

    /// The clause of `told_before_reference`, as written.
    pub fn clause_told_before_reference(
        &self,
        refers: impl Fn(&[String]) -> bool,
    ) -> Option<&Clause> {
        let asking = (self.clauses.iter()).position(|c| c.asks && refers(&c.words))?;
        // Not what the writer tells of themselves ("i'm a nurse btw, how long does that
        // take?" follows the conversation up).
        (self.clauses[..asking].iter())
            .rfind(|c| c.has_content())
            .filter(|c| !c.asks && !c.parts.contains(&Part::AboutWriter))
    }

    /// What the writer says they want, alone: in each clause that wants, the words after its
    /// last wish ("7 yrs as a hospital pharmacist, keen to step up into leadership": "step up
    /// into leadership"). `None` when no clause wants anything after its wish.
    pub fn wished(&self) -> Option<Words> {
        let clauses: Vec<Clause> = (self.clauses.iter())
            .filter_map(|c| {
                let start = *c.wish_ends.last()?;
                let clause = Clause {
                    words: c.words[start..].to_vec(),
                    factors: c.factors[start..].to_vec(),
                    parts: c.parts[start..].to_vec(),
                    ..Clause::default()
                };
                clause.has_content().then_some(clause)
            })
            .collect();
        if clauses.is_empty() {
            return None;
        }
        Some(self.content_of(clauses))
    }

    /// What `clauses`, some of this message's, say: read as `content` reads the whole.
    fn content_of(&self, clauses: Vec<Clause>) -> Words {
        let only = Reading {
            clauses,
            corrections: self.corrections.clone(),
            ..Reading::default()
        };
        only.content()
    }

    /// The words of the clauses that say something, noise and things set aside left out.
    pub fn content_words(&self) -> Vec<String> {
        self.content().words
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadingFile {
    greetings: Vec<String>,
    thanks: Vec<String>,
    farewells: Vec<String>,
    fillers: Vec<String>,
    on_behalf_before: Vec<String>,
    on_behalf_opening: Vec<String>,
    on_behalf_after: Vec<String>,
    /// Words after whom the writer asks for that say it is not for themselves ("asking for
    /// my son not me"): set aside with the rest.
    #[serde(default)]
    on_behalf_not_writer: Vec<String>,
    relations: Vec<String>,
    children: Vec<String>,
    place_before: Vec<String>,
    place_after: Vec<String>,
    wishes: Vec<String>,
    /// Wishes said with the "i" dropped, only where they open a clause ("fancy an nhs job but
    /// not clinical"): elsewhere the word means something else ("a fancy hospital").
    #[serde(default)]
    wishes_opening: Vec<String>,
    /// Words that, opening a piece after a comma that follows a question, say something of the
    /// writer's own: that piece is told, not part of the question.
    told_openings: Vec<String>,
    /// Whom a greeting or thanks is addressed to ("hun", "my friend"): noise straight after one.
    addressed: Vec<String>,
    /// Praise that is noise only beside thanks ("sick thanks man"): alone, a word of its own.
    #[serde(default)]
    praise: Vec<String>,
    /// Words, as typed, that open the reason for what was said before them ("cos").
    #[serde(default)]
    reasons: Vec<String>,
    /// Words that open a short fragment continuing the sentence before it ("on everything").
    #[serde(default)]
    continuations: Vec<String>,
    /// Words that make a place abroad where the writer trained or worked ("qualified").
    #[serde(default)]
    abroad_background: Vec<String>,
    /// Words straight before a place abroad that make it where the writer is going ("move
    /// to").
    #[serde(default)]
    abroad_destination_before: Vec<String>,
    small_talk: SmallTalk,
}

/// The small-talk intent that answers a message of nothing but greetings, thanks or goodbyes,
/// by intent id.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SmallTalk {
    thanks: String,
    farewells: String,
    greetings: String,
}

impl SmallTalk {
    /// Every intent id named.
    pub(crate) fn ids(&self) -> [&str; 3] {
        [&self.thanks, &self.farewells, &self.greetings]
    }

    /// Whether `id` is the small talk of a sign the reading does not hold: the goodbye of a
    /// message that says none ("can i just work nights": "nights" is near "night").
    pub(crate) fn unsaid(&self, id: &str, reading: &Reading) -> bool {
        [
            (&self.thanks, reading.thanks),
            (&self.farewells, reading.farewell),
            (&self.greetings, reading.greets),
        ]
        .iter()
        .any(|(talk, said)| *talk == id && !said)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlacesFile {
    ambiguous: Vec<String>,
    abroad: Vec<String>,
    nations: HashMap<String, Vec<String>>,
}

/// Phrases (as normalised words) indexed by their first word.
#[derive(Debug, Clone)]
pub(crate) struct PhraseSet<T> {
    by_first: HashMap<String, Vec<(Vec<String>, T)>>,
    longest: usize,
}

impl<T> Default for PhraseSet<T> {
    fn default() -> Self {
        PhraseSet {
            by_first: HashMap::default(),
            longest: 0,
        }
    }
}

impl<T> PhraseSet<T> {
    pub(crate) fn insert(&mut self, words: Vec<String>, value: T) {
        let Some(first) = words.first().cloned() else {
            return;
        };
        self.longest = self.longest.max(words.len());
        let list = self.by_first.entry(first).or_default();
        // Longest first; of one length, in the order inserted.
        let at = list.partition_point(|(w, _)| w.len() >= words.len());
        list.insert(at, (words, value));
    }

    /// Every phrase that starts with `word`, longest first, with its value.
    pub(crate) fn starting_with(&self, word: &str) -> &[(Vec<String>, T)] {
        self.by_first.get(word).map_or(&[], Vec::as_slice)
    }

    /// The longest phrase starting at `at`: its length and value.
    pub(crate) fn longest_at(&self, words: &[String], at: usize) -> Option<(usize, &T)> {
        let candidates = self.by_first.get(words.get(at)?)?;
        candidates
            .iter()
            .find(|(phrase, _)| words[at..].starts_with(phrase))
            .map(|(phrase, value)| (phrase.len(), value))
    }

    /// The phrase that is exactly `words`, if any.
    fn exact(&self, words: &[String]) -> Option<&T> {
        self.by_first
            .get(words.first()?)?
            .iter()
            .find(|(phrase, _)| phrase == words)
            .map(|(_, value)| value)
    }

    /// The longest phrase ending just before `end`: its length and value.
    fn longest_ending(&self, words: &[String], end: usize) -> Option<(usize, &T)> {
        (1..=end.min(self.longest))
            .rev()
            .find_map(|len| self.exact(&words[end - len..end]).map(|v| (len, v)))
    }
}

/// Reads messages, knowing the noise phrases, the places and how people say whom they ask for.
#[derive(Debug, Default)]
pub struct Reader {
    noise: PhraseSet<Noise>,
    on_behalf_before: PhraseSet<()>,
    on_behalf_opening: PhraseSet<()>,
    on_behalf_not_writer: PhraseSet<()>,
    on_behalf_after: PhraseSet<()>,
    relations: HashMap<String, bool>,
    place_before: PhraseSet<()>,
    place_after: PhraseSet<()>,
    places: PhraseSet<String>,
    abroad: PhraseSet<()>,
    wishes: PhraseSet<()>,
    wishes_opening: PhraseSet<()>,
    told_openings: PhraseSet<()>,
    continuations: PhraseSet<()>,
    /// `abroad_background`, normalised.
    abroad_background: Vec<String>,
    abroad_destination_before: PhraseSet<()>,
    addressed: PhraseSet<()>,
    praise: PhraseSet<()>,
    /// `reasons`, lowercased as typed.
    reasons: Vec<String>,
    small_talk: SmallTalk,
}

impl Reader {
    /// The intents named to answer small talk (checked against the intents when the engine is
    /// built).
    pub(crate) fn small_talk(&self) -> &SmallTalk {
        &self.small_talk
    }

    /// The id of the small-talk intent that answers a message of nothing but noise, by what the
    /// noise does: a goodbye, then thanks, then a greeting. None when it does none of these.
    pub(crate) fn small_talk_for(&self, reading: &Reading) -> Option<&str> {
        let talk = &self.small_talk;
        let id = if reading.farewell {
            &talk.farewells
        } else if reading.thanks {
            &talk.thanks
        } else if reading.greets {
            &talk.greetings
        } else {
            return None;
        };
        Some(id)
    }

    /// Builds the reader from `intents/reading.toml` and `intents/places.toml`; `normal` turns a
    /// phrase into normalised words as the analyzer does.
    pub(crate) fn parse(
        reading: (&str, &str),
        places: (&str, &str),
        normal: impl Fn(&str) -> Vec<String>,
    ) -> Result<Reader, Error> {
        let (file, text) = reading;
        let data: ReadingFile = toml::from_str(text).map_err(|e| Error::toml(file, text, &e))?;
        let (places_file, places_text) = places;
        let places: PlacesFile =
            toml::from_str(places_text).map_err(|e| Error::toml(places_file, places_text, &e))?;
        let mut reader = Reader::default();
        let lists = [
            (&data.greetings, Noise::Greeting),
            (&data.thanks, Noise::Thanks),
            (&data.farewells, Noise::Farewell),
            (&data.fillers, Noise::Filler),
        ];
        for (list, kind) in lists {
            for phrase in list {
                reader.noise.insert(normal(phrase), kind);
            }
        }
        let set = |list: &[String]| {
            let mut set = PhraseSet::default();
            for phrase in list {
                set.insert(normal(phrase), ());
            }
            set
        };
        reader.on_behalf_before = set(&data.on_behalf_before);
        reader.on_behalf_opening = set(&data.on_behalf_opening);
        reader.on_behalf_not_writer = set(&data.on_behalf_not_writer);
        reader.on_behalf_after = set(&data.on_behalf_after);
        reader.place_before = set(&data.place_before);
        reader.place_after = set(&data.place_after);
        reader.abroad = set(&places.abroad);
        reader.wishes = set(&data.wishes);
        reader.wishes_opening = set(&data.wishes_opening);
        reader.told_openings = set(&data.told_openings);
        reader.continuations = set(&data.continuations);
        reader.abroad_background = data
            .abroad_background
            .iter()
            .flat_map(|w| normal(w))
            .collect();
        reader.abroad_destination_before = set(&data.abroad_destination_before);
        reader.addressed = set(&data.addressed);
        reader.praise = set(&data.praise);
        reader.reasons = data.reasons.iter().map(|r| r.to_lowercase()).collect();
        reader.small_talk = data.small_talk;
        for relation in &data.relations {
            let child = data.children.contains(relation);
            for word in normal(relation) {
                reader.relations.insert(word, child);
            }
        }
        for (nation, names) in &places.nations {
            for name in names {
                let words = normal(name);
                if !places.ambiguous.contains(name) && words.len() <= LONGEST_PLACE {
                    reader.places.insert(words, nation.clone());
                }
            }
        }
        Ok(reader)
    }

    /// Reads a message.
    pub fn read(&self, analyzer: &Analyzer, text: &str) -> Reading {
        let text = without_mentions(cut(text, MAX_BYTES));
        let mut reading = Reading::default();
        let mut budget = matcher::MAX_WORDS;
        let pieces = clauses(&text).into_iter().flat_map(|(piece, after_comma)| {
            let (said, reason) = self.at_reason(piece);
            std::iter::once((said, after_comma)).chain(reason.map(|reason| (reason, false)))
        });
        // The clause before was who someone is, put between commas ("my mum, who is a nurse,
        // …", "my flatmate, a student nurse, …").
        let mut after_who = false;
        for (piece, after_comma) in pieces {
            if budget == 0 {
                break;
            }
            let mut read = analyzer.read(piece);
            read.words.truncate(budget);
            read.factors.truncate(budget);
            budget -= read.words.len();
            if read.words.is_empty() {
                continue;
            }
            reading.corrections.append(&mut read.corrections);
            let mut clause = Clause {
                text: piece.trim().to_owned(),
                parts: vec![Part::Content; read.words.len()],
                words: read.words,
                factors: read.factors,
                asks: false,
                asks_openly: false,
                wants: false,
                wish_ends: Vec::new(),
                after_comma,
                pieces: Vec::new(),
            };
            self.mark_noise(&mut clause, &mut reading);
            self.mark_on_behalf(&mut clause, &mut reading);
            self.mark_places(&mut clause, &mut reading);
            // A question may open after noise ("hmm what about the STP").
            let opens_at = (clause.parts.iter())
                .position(|part| *part != Part::Noise)
                .unwrap_or(0);
            let lexicon = analyzer.lexicon();
            // Or after filler inside it, when it asks openly there ("dont want to push beds
            // forever lol what are my options"; not "cried lol when i got the job").
            let opens_inside = (opens_at + 1..clause.words.len()).any(|at| {
                matches!(
                    self.noise.longest_ending(&clause.words, at),
                    Some((_, Noise::Filler))
                ) && lexicon.asks_openly("", &clause.words[at..])
                    && !lexicon.opens_clause(&clause.words[at..])
            });
            clause.asks = lexicon.is_question(piece, &clause.words)
                || lexicon.is_question(piece, &clause.words[opens_at..])
                || opens_inside;
            clause.asks_openly = lexicon.asks_openly(piece, &clause.words)
                || lexicon.asks_openly(piece, &clause.words[opens_at..])
                || opens_inside;
            let last = reading.clauses.last();
            let who = last.is_some_and(|last| says_who_someone_is(last, &clause, piece));
            if who || after_who && tells_of_the_one_named(&clause, piece) {
                clause.asks = false;
                clause.asks_openly = false;
            }
            after_who = who;
            self.mark_wishes(&mut clause);
            reading.clauses.push(clause);
        }
        self.merge_fragments(&mut reading.clauses);
        reading
    }

    /// A clause split before the word that opens its reason ("how many holidays would i get
    /// | cos the salon only gives me 20 days"): the reason is told, not asked. Not at the
    /// clause's first words, which a reason may open ("cos i want to be a nurse").
    fn at_reason<'t>(&self, piece: &'t str) -> (&'t str, Option<&'t str>) {
        const AFTER_WORDS: usize = 3;
        let mut words = 0;
        let mut at = 0;
        for token in piece.split_inclusive(char::is_whitespace) {
            let word = token
                .trim_end()
                .trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
            if words >= AFTER_WORDS
                && !word.is_empty()
                && self.reasons.iter().any(|r| r.eq_ignore_ascii_case(word))
            {
                return (&piece[..at], Some(&piece[at..]));
            }
            if !word.is_empty() {
                words += 1;
            }
            at += token.len();
        }
        (piece, None)
    }

    /// Marks what the writer wants ("keen to", "would like"): the clause wants, and the words
    /// of the wish, which name no subject, count as words about the writer do.
    fn mark_wishes(&self, clause: &mut Clause) {
        let mut at = 0;
        while at < clause.words.len() {
            let opening = (at == 0)
                .then(|| self.wishes_opening.longest_at(&clause.words, at))
                .flatten();
            let Some((len, ())) = self.wishes.longest_at(&clause.words, at).or(opening) else {
                at += 1;
                continue;
            };
            clause.wants = true;
            // "don't really want to waste time": what is not wished is no wish's object.
            let denied = clause.words[at.saturating_sub(2)..at]
                .iter()
                .any(|w| matches!(w.as_str(), "not" | "never" | "no"));
            if !denied {
                clause.wish_ends.push(at + len);
            }
            for part in &mut clause.parts[at..at + len] {
                if *part == Part::Content {
                    *part = Part::AboutWriter;
                }
            }
            at += len;
        }
    }

    /// Marks greetings, thanks, goodbyes and filler at the start and end of a clause.
    fn mark_noise(&self, clause: &mut Clause, reading: &mut Reading) {
        let words = &clause.words;
        let mut start = 0;
        loop {
            // Praise straight before thanks ("sick thanks man").
            let praised = (self.praise.longest_at(words, start))
                .map(|(len, ())| len)
                .filter(|&len| {
                    matches!(
                        self.noise.longest_at(words, start + len),
                        Some((_, Noise::Thanks))
                    )
                })
                .unwrap_or(0);
            let Some((len, kind)) = self.noise.longest_at(words, start + praised) else {
                break;
            };
            let len = praised + len;
            note_noise(*kind, reading);
            clause.parts[start..start + len].fill(Part::Noise);
            start += len;
            // Whom a greeting or thanks is addressed to ("hello there my friend", "ty hun"), or
            // praise that ends the clause after thanks ("cheers thats mint"; not "thanks, sick
            // pay is how much?").
            let praise_ending = || {
                (self.praise.longest_at(words, start))
                    .filter(|(len, ())| start + len == words.len())
            };
            let following = match kind {
                Noise::Greeting => self.addressed.longest_at(words, start),
                Noise::Thanks => (self.addressed.longest_at(words, start)).or_else(praise_ending),
                _ => None,
            };
            if let Some((len, ())) = following {
                clause.parts[start..start + len].fill(Part::Noise);
                start += len;
            }
        }
        let mut end = words.len();
        while end > start {
            let noise_ending = |end: usize| {
                self.noise
                    .longest_ending(words, end)
                    .filter(|(len, _)| end - len >= start)
            };
            // What follows the noise at the end: whom a greeting or thanks is addressed to
            // ("amazing thanks hun"), or praise after thanks ("cheers thats mint").
            let after = |list: &PhraseSet<()>, greets: bool| {
                (list.longest_ending(words, end))
                    .map(|(len, ())| len)
                    .filter(|&len| {
                        end - len > start
                            && noise_ending(end - len).is_some_and(|(_, kind)| {
                                *kind == Noise::Thanks || greets && *kind == Noise::Greeting
                            })
                    })
            };
            let following = after(&self.addressed, true).or_else(|| after(&self.praise, false));
            let Some((len, kind)) = (match following {
                Some(to) => noise_ending(end - to).map(|(len, kind)| (len + to, kind)),
                None => noise_ending(end),
            }) else {
                break;
            };
            // Praise straight before thanks at the end ("ok sick thanks").
            let len = len
                + (self.praise.longest_ending(words, end - len))
                    .map(|(praised, ())| praised)
                    .filter(|&praised| *kind == Noise::Thanks && end - len - praised >= start)
                    .unwrap_or(0);
            note_noise(*kind, reading);
            clause.parts[end - len..end].fill(Part::Noise);
            end -= len;
        }
    }

    /// Marks "asking for my son" and "my daughter wants to…".
    fn mark_on_behalf(&self, clause: &mut Clause, reading: &mut Reading) {
        let words = &clause.words;
        for at in 0..words.len() {
            let Some(&child) = self.relations.get(&words[at]) else {
                continue;
            };
            let before = self
                .on_behalf_before
                .longest_ending(words, at)
                .or_else(|| {
                    self.on_behalf_opening
                        .longest_ending(words, at)
                        .filter(|(len, _)| {
                            clause.parts[..at - len].iter().all(|p| *p == Part::Noise)
                        })
                })
                .map(|(len, _)| len);
            let my = at > 0 && words[at - 1] == "my";
            let after = my && self.on_behalf_after.longest_at(words, at + 1).is_some();
            if let Some(len) = before {
                clause.parts[at - len..=at].fill(Part::Aside);
                if let Some((not_writer, ())) = self.on_behalf_not_writer.longest_at(words, at + 1)
                {
                    clause.parts[at + 1..=at + not_writer].fill(Part::Aside);
                }
            } else if after {
                clause.parts[at - 1..=at].fill(Part::Aside);
            } else {
                continue;
            }
            reading.on_behalf = Some(words[at].clone());
            reading.for_child = child;
            return;
        }
    }

    /// Marks a UK place ("I live in Lisburn") or a place abroad ("trained in Kerala").
    fn mark_places(&self, clause: &mut Clause, reading: &mut Reading) {
        let words = clause.words.clone();
        let content: Vec<usize> = (0..words.len())
            .filter(|i| clause.parts[*i] == Part::Content)
            .collect();
        // "trained in the philippines": a place may follow its framing words after "the".
        let framed_before = |at: usize| {
            self.place_before.longest_ending(&words, at).is_some()
                || at > 0
                    && words[at - 1] == "the"
                    && self.place_before.longest_ending(&words, at - 1).is_some()
        };
        for &at in &content {
            let framed = |len: usize| {
                let before = framed_before(at);
                let after = self.place_after.longest_at(&words, at + len).is_some();
                // A clause that is only the place ("paisley. hospital jobs"), not one beside
                // thanks ("brill ta": slang, and a village in England).
                let alone = words.len() == len;
                before || after || alone
            };
            if let Some((len, nation)) = self.places.longest_at(&words, at)
                && framed(len)
            {
                clause.parts[at..at + len].fill(Part::Aside);
                if reading.place.is_none() {
                    reading.place = Some((words[at..at + len].join(" "), nation.clone()));
                }
                return;
            }
            if let Some((len, ())) = self.abroad.longest_at(&words, at)
                && framed_before(at)
            {
                clause.parts[at..at + len].fill(Part::Aside);
                clause.parts[at] = Part::Abroad;
                let third_party =
                    words.iter().any(|w| w == "my") && !words.iter().any(|w| w == "i");
                // Where the writer trained or worked, not a trip or a job there, nor where
                // they are going ("nhs experience … if i move to aus").
                let going = self
                    .abroad_destination_before
                    .longest_ending(&words, at)
                    .is_some();
                let background =
                    !going && (words.iter()).any(|w| self.abroad_background.contains(w));
                if !third_party && background && reading.abroad.is_none() {
                    reading.abroad = Some(words[at..at + len].join(" "));
                }
                return;
            }
        }
    }
}

fn note_noise(kind: Noise, reading: &mut Reading) {
    match kind {
        Noise::Greeting => reading.greets = true,
        Noise::Thanks => reading.thanks = true,
        Noise::Farewell => reading.farewell = true,
        Noise::Filler => {}
    }
}

impl Reader {
    /// True when `clause` tells something of the writer's own straight after `last`, a
    /// question (`told_openings`).
    fn tells_after_question(&self, last: &Clause, clause: &Clause) -> bool {
        last.asks && self.told_openings.longest_at(&clause.words, 0).is_some()
    }

    /// A clause that came after a comma and is neither a question nor noise joins the clause
    /// before it again ("do I need maths, english and science"): only a clause that asks, or
    /// is noise, or follows noise, stands on its own after a comma, or one that tells something
    /// of the writer's own after a question ("what is the STP, keep hearing about it from my
    /// lecturers": `told_openings`).
    /// So does a short fragment that continues the sentence before it ("its ok to give up. on
    /// everything": `continuations`).
    fn merge_fragments(&self, clauses: &mut Vec<Clause>) {
        let mut merged: Vec<Clause> = Vec::with_capacity(clauses.len());
        for clause in clauses.drain(..) {
            let continues = clause.words.len() <= CONTINUATION_MAX_WORDS
                && self.continuations.longest_at(&clause.words, 0).is_some();
            let joins = |last: &Clause| {
                (clause.after_comma || continues)
                    && !clause.asks
                    && !clause.is_noise()
                    && !last.is_noise()
                    && !self.tells_after_question(last, &clause)
            };
            match merged.last_mut() {
                Some(last) if joins(last) => {
                    last.text.push_str(", ");
                    last.text.push_str(&clause.text);
                    last.pieces.push(last.words.len());
                    let offset = last.words.len();
                    last.wish_ends
                        .extend(clause.wish_ends.iter().map(|end| end + offset));
                    last.words.extend(clause.words);
                    last.factors.extend(clause.factors);
                    last.parts.extend(clause.parts);
                    last.wants |= clause.wants;
                }
                _ => merged.push(clause),
            }
        }
        *clauses = merged;
    }
}

/// Up to this many words name someone that a clause between commas then tells who they are.
const NAMED_MAX_WORDS: usize = 4;

/// True when `clause`, after a comma, tells who the one just named is, asking nothing: "who is
/// a nurse" after "my mum", "a student nurse" after "my flatmate".
fn says_who_someone_is(last: &Clause, clause: &Clause, piece: &str) -> bool {
    let opens = clause.words.first().map(String::as_str);
    clause.after_comma
        && !piece.contains('?')
        && !last.asks
        && last.words.len() <= NAMED_MAX_WORDS
        && matches!(opens, Some("who" | "a" | "an"))
        && clause.words.len() <= NAMED_MAX_WORDS + 2
}

/// True when `clause`, after who someone is, goes on to tell what they are doing or what has
/// happened, asking nothing ("… has collapsed and isnt breathing"), not a question put
/// about them ("… is he too young to apply", "… wants to know how to become a paramedic").
fn tells_of_the_one_named(clause: &Clause, piece: &str) -> bool {
    const PERSONS: [&str; 8] = ["he", "she", "they", "it", "i", "you", "we", "there"];
    let second = clause.words.get(1).map(String::as_str);
    clause.after_comma
        && !piece.contains('?')
        && second.is_none_or(|w| !PERSONS.contains(&w))
        && !clause
            .words
            .iter()
            .any(|w| matcher::WH.contains(&w.as_str()))
}

/// The clauses of a text, each with whether it follows a comma: split at sentence ends, new
/// lines, semicolons, colons and dashes between spaces, and commas.
fn clauses(text: &str) -> Vec<(&str, bool)> {
    let bytes = text.as_bytes();
    let spaced = |n: Option<&u8>| n.is_none_or(|n| n.is_ascii_whitespace());
    let mut out = Vec::new();
    let (mut start, mut after_comma) = (0, false);
    for (i, c) in text.char_indices() {
        let width = c.len_utf8();
        let next = bytes.get(i + width);
        let boundary = match c {
            '.' | '!' | '?' => spaced(next) || matches!(next, Some(b'.' | b'!' | b'?')),
            '\n' | ';' | ',' => true,
            ':' => spaced(next),
            '-' => i > 0 && bytes[i - 1] == b' ' && spaced(next),
            // An emoji ends a sentence as a full stop does ("i listen to my mates a lot 😅
            // what about mental health roles").
            c => is_emoji(c) && spaced(next),
        };
        if boundary {
            // A question mark stays with its clause: it says the clause asks something.
            let end = if c == '?' { i + 1 } else { i };
            let piece = &text[start..end];
            if !piece.trim().is_empty() {
                out.push((piece, after_comma));
            }
            start = i + width;
            after_comma = c == ',';
        }
    }
    let piece = &text[start..];
    if !piece.trim().is_empty() {
        out.push((piece, after_comma));
    }
    out
}

/// True for the characters of emoji: pictographs, symbols and dingbats, and the selectors and
/// joiners that end their sequences.
fn is_emoji(c: char) -> bool {
    matches!(
        c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F | 0x200D
    )
}

/// At most `limit` bytes of `text`, cut at a character boundary.
fn cut(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The text without chat mentions: Discord's `<@123>`, `<@!123>`, `<@&123>`, `<#123>` and
/// `@name` words (a mention of the bot or of someone else says nothing about the question).
fn without_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['<', '@']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.starts_with("<@") || tail.starts_with("<#") {
            match tail.find('>') {
                Some(end)
                    if tail[2..end]
                        .trim_start_matches(['!', '&'])
                        .chars()
                        .all(|c| c.is_ascii_digit()) =>
                {
                    rest = &tail[end + 1..];
                    continue;
                }
                _ => {}
            }
        }
        if let Some(name) = tail.strip_prefix('@') {
            let len = name
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(name.len());
            if len > 0 {
                rest = &name[len..];
                continue;
            }
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::{Clause, Part, Reader, Reading};

    fn clause(text: &str, wish_ends: Vec<usize>) -> Clause {
        let words: Vec<String> = text.split(' ').map(str::to_owned).collect();
        Clause {
            text: text.to_owned(),
            factors: vec![1.0; words.len()],
            parts: vec![Part::Content; words.len()],
            words,
            wants: !wish_ends.is_empty(),
            wish_ends,
            ..Clause::default()
        }
    }

    #[test]
    fn a_short_fragment_continuing_a_sentence_joins_it() {
        let mut reader = Reader::default();
        reader.continuations.insert(vec!["on".to_owned()], ());
        let texts = [
            "its ok to give up",
            "on everything",
            "on living",
            "i like it",
        ];
        let mut clauses: Vec<Clause> = texts.iter().map(|t| clause(t, Vec::new())).collect();
        reader.merge_fragments(&mut clauses);
        let read: Vec<&str> = clauses.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            read,
            ["its ok to give up, on everything, on living", "i like it"]
        );
        // Not one that asks, nor one longer than a fragment.
        let mut asking = clause("on the website?", Vec::new());
        asking.asks = true;
        let long = clause("on the other hand i like it", Vec::new());
        let mut clauses = vec![clause("i applied", Vec::new()), asking, long];
        reader.merge_fragments(&mut clauses);
        assert_eq!(clauses.len(), 3);
    }

    #[test]
    fn praise_is_noise_only_beside_thanks() {
        let mut reader = Reader::default();
        let one = |w: &str| vec![w.to_owned()];
        reader.noise.insert(one("thanks"), super::Noise::Thanks);
        reader.noise.insert(one("cheers"), super::Noise::Thanks);
        reader.praise.insert(one("sick"), ());
        reader.praise.insert(one("mint"), ());
        let noise = |text: &str| {
            let mut read = clause(text, Vec::new());
            let mut reading = Reading::default();
            reader.mark_noise(&mut read, &mut reading);
            let parts = read
                .parts
                .iter()
                .map(|p| *p == Part::Noise)
                .collect::<Vec<_>>();
            (parts, reading.thanks)
        };
        assert_eq!(noise("sick thanks"), (vec![true, true], true));
        assert_eq!(noise("cheers mint"), (vec![true, true], true));
        assert_eq!(noise("ok sick thanks").0, [false, true, true]);
        assert_eq!(noise("thanks sick pay").0, [true, false, false]);
        // Alone, or beside no thanks, it is a word of the message.
        assert_eq!(noise("off sick"), (vec![false, false], false));
        assert_eq!(noise("sick pay"), (vec![false, false], false));
    }

    #[test]
    fn a_reason_is_split_from_what_it_follows() {
        let reader = Reader {
            reasons: vec!["cos".to_owned(), "because".to_owned()],
            ..Reader::default()
        };
        assert_eq!(
            reader.at_reason("how many holidays would i get cos the salon only gives me 20"),
            (
                "how many holidays would i get ",
                Some("cos the salon only gives me 20")
            )
        );
        assert_eq!(
            reader.at_reason("is nursing hard? Because I worry"),
            ("is nursing hard? ", Some("Because I worry"))
        );
        // Not at the clause's first words, which a reason may open, nor inside a word.
        assert_eq!(
            reader.at_reason("cos i want to be a nurse"),
            ("cos i want to be a nurse", None)
        );
        assert_eq!(
            reader.at_reason("is the staff room cosy"),
            ("is the staff room cosy", None)
        );
    }

    #[test]
    fn wished_is_what_follows_the_last_wish() {
        let reading = Reading {
            clauses: vec![
                clause("staff nurse in enniskillen here", vec![]),
                clause("keen to move into leadership", vec![2]),
            ],
            ..Reading::default()
        };
        let wished = reading.wished().expect("a wish");
        assert_eq!(wished.words, ["move", "into", "leadership"]);
        // A wish with nothing after it, or no wish at all, wishes nothing of its own.
        let bare = Reading {
            clauses: vec![clause("nursing is what i want", vec![5])],
            ..Reading::default()
        };
        assert!(bare.wished().is_none());
        let none = Reading {
            clauses: vec![clause("im a nurse", vec![])],
            ..Reading::default()
        };
        assert!(none.wished().is_none());
    }
}
