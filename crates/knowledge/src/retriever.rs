//! Searching the knowledge base.
//!
//! Two indexes answer each query. The tantivy index ranks entries by BM25 over their stemmed
//! fields (title and questions above keywords above the answer); typos were corrected by the
//! analyzer before the search, so its terms are exact. The index never changes once built, so
//! each term's BM25 score in each entry is read out of it once, at start-up, with tantivy's own
//! weights: a search adds up a few rows of that table instead of building scorers. The phrase
//! index gives the calibrated confidence: how closely the query matches one of the entry's
//! questions and how much of it the entry covers. Confidence decides whether to answer; BM25
//! breaks near ties between candidates.

use rustc_hash::FxHashMap as HashMap;

use tantivy::postings::Postings;
use tantivy::query::Bm25Weight;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocSet, Index, Searcher, TERMINATED, Term, doc};

use matcher::{Analysis, Analyzer, PhraseDoc, PhraseIndex};

use crate::{Error, Knowledge};

/// How many candidates each index proposes.
const CANDIDATES: usize = 12;
/// How much BM25 (relative to the best hit) adds to a candidate's rank, not to its confidence.
const BM25_RANK_SHARE: f32 = 0.08;
const TOKENIZER: &str = "en_stem";
/// The field holding an entry's position in the knowledge.
const ORD: &str = "ord";

/// A ranked search result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The entry's position in `Knowledge::entries`.
    pub entry: usize,
    /// Calibrated confidence that this entry answers the query, 0..1.
    pub confidence: f32,
    /// The score used to order hits: confidence plus a little of the BM25 rank.
    pub rank: f32,
}

/// The knowledge base, indexed for search. Build once at start-up; searching is read-only.
pub struct Retriever {
    /// The tokenizer the fields were indexed with, to turn a query's words into terms.
    tokenizer: TextAnalyzer,
    /// Term -> its BM25 score, field boost included, in each entry that holds it: one row per
    /// field (in the order of `FIELDS`) and entry.
    term_scores: HashMap<String, Vec<TermScore>>,
    /// How many entries there are.
    entries: usize,
    phrases: PhraseIndex,
}

/// A term's score in one field of one entry.
#[derive(Debug, Clone, Copy)]
struct TermScore {
    entry: u32,
    score: f32,
}

/// The searched fields, each with its boost: title and questions above keywords above the
/// answer.
const FIELDS: [(&str, f32); 4] = [
    ("title", 3.0),
    ("questions", 3.0),
    ("keywords", 2.0),
    ("body", 1.0),
];

impl std::fmt::Debug for Retriever {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retriever").finish_non_exhaustive()
    }
}

impl Retriever {
    /// Builds the in-RAM tantivy index and the phrase index for `knowledge`. The analyzer must
    /// be the one that will analyse queries.
    pub fn new(knowledge: &Knowledge, analyzer: &Analyzer) -> Result<Retriever, Error> {
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let mut schema = Schema::builder();
        let ord = schema.add_u64_field(ORD, INDEXED | FAST);
        let fields = FIELDS.map(|(name, boost)| (schema.add_text_field(name, text.clone()), boost));
        let [title, questions, keywords, body] = fields.map(|(field, _)| field);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000)?;
        for (position, entry) in knowledge.entries.iter().enumerate() {
            let normal = |text: &str| analyzer.normal_words(text).join(" ");
            writer.add_document(doc!(
                ord => position as u64,
                title => normal(&entry.title),
                questions => normal(&entry.questions.join(" \n ")),
                keywords => normal(&entry.keywords.join(" \n ")),
                body => normal(&format!("{}\n{}", entry.answer, entry.more)),
            ))?;
        }
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        let docs: Vec<PhraseDoc> = knowledge.entries.iter().map(phrase_doc).collect();
        Ok(Retriever {
            tokenizer: index.tokenizer_for_field(title)?,
            term_scores: term_scores(&searcher, &fields)?,
            entries: knowledge.entries.len(),
            phrases: PhraseIndex::new(analyzer, &docs),
        })
    }

    /// The phrase index, for callers that want to know which stems the knowledge uses.
    pub fn phrases(&self) -> &PhraseIndex {
        &self.phrases
    }

    /// Ranks entries for an analysed query, best first.
    pub fn search(&self, analysis: &Analysis) -> Vec<Hit> {
        let bm25 = self.bm25(analysis);
        let best_bm25 = bm25.iter().map(|(_, s)| *s).fold(0.0_f32, f32::max);
        let mut hits: Vec<Hit> = self
            .phrases
            .rank(analysis)
            .into_iter()
            .take(CANDIDATES * 2)
            .map(|m| Hit {
                entry: m.doc,
                confidence: m.confidence,
                rank: m.confidence,
            })
            .collect();
        for (entry, score) in bm25 {
            let bonus = BM25_RANK_SHARE * score / best_bm25.max(f32::EPSILON);
            match hits.iter_mut().find(|h| h.entry == entry) {
                Some(hit) => hit.rank += bonus,
                None => hits.push(Hit {
                    entry,
                    confidence: 0.0,
                    rank: bonus,
                }),
            }
        }
        hits.sort_by(|a, b| b.rank.total_cmp(&a.rank).then(a.entry.cmp(&b.entry)));
        hits
    }

    /// True when some entry holds `word` (a normalised word of a message), stemmed as the
    /// fields are indexed.
    pub fn holds(&self, word: &str) -> bool {
        self.scores_of(word).next().is_some()
    }

    /// True when the entry at `entry` holds `word` (a normalised word of a message), stemmed
    /// as the fields are indexed, in any of its fields.
    pub fn entry_holds(&self, entry: usize, word: &str) -> bool {
        self.scores_of(word).any(|row| row.entry as usize == entry)
    }

    /// The scores of every term `word` is indexed as, in every entry and field that holds it.
    fn scores_of(&self, word: &str) -> impl Iterator<Item = &TermScore> {
        let mut tokenizer = self.tokenizer.clone();
        let mut tokens = tokenizer.token_stream(word);
        let mut terms = Vec::new();
        while let Some(token) = tokens.next() {
            terms.push(token.text.clone());
        }
        terms
            .into_iter()
            .filter_map(|term| self.term_scores.get(&term))
            .flatten()
    }

    /// BM25 scores: every term of the query's words in every field, boosted by the field's
    /// weight, summed as tantivy sums a query of one clause per word, itself a clause per
    /// term and field. The best `CANDIDATES`, best first (ties: the first entry first).
    fn bm25(&self, analysis: &Analysis) -> Vec<(usize, f32)> {
        let mut tokenizer = self.tokenizer.clone();
        // A word counts once, however often the query repeats it; two words with one stem
        // ("managing", "management") count twice.
        let mut words: Vec<String> = Vec::new();
        for word in &analysis.words {
            // "don't" is indexed as "dont".
            let word = word.replace('\'', "");
            if !words.contains(&word) {
                words.push(word);
            }
        }
        let mut total: Vec<Option<f32>> = vec![None; self.entries];
        let mut per_word: Vec<Option<f32>> = vec![None; self.entries];
        for word in &words {
            let mut tokens = tokenizer.token_stream(word);
            while let Some(token) = tokens.next() {
                for found in self.term_scores.get(&token.text).into_iter().flatten() {
                    *per_word[found.entry as usize].get_or_insert(0.0) += found.score;
                }
            }
            for (sum, word_score) in total.iter_mut().zip(&mut per_word) {
                if let Some(score) = word_score.take() {
                    *sum.get_or_insert(0.0) += score;
                }
            }
        }
        let mut found: Vec<(usize, f32)> = total
            .into_iter()
            .enumerate()
            .filter_map(|(entry, score)| Some((entry, score?)))
            .collect();
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        found.truncate(CANDIDATES);
        found
    }
}

/// Every term's BM25 score in every entry that holds it, boost included: what a tantivy term
/// query on each of `fields` would score, per term, field by field.
fn term_scores(
    searcher: &Searcher,
    fields: &[(Field, f32)],
) -> Result<HashMap<String, Vec<TermScore>>, tantivy::TantivyError> {
    let mut table: HashMap<String, Vec<TermScore>> = HashMap::default();
    for &(field, boost) in fields {
        for segment in searcher.segment_readers() {
            let entries = segment.fast_fields().u64(ORD)?;
            let norms = segment.get_fieldnorms_reader(field)?;
            let inverted = segment.inverted_index(field)?;
            let mut terms = inverted.terms().stream()?;
            while terms.advance() {
                let Ok(text) = std::str::from_utf8(terms.key()) else {
                    continue;
                };
                let term = Term::from_field_text(field, text);
                let weight = Bm25Weight::for_terms(searcher, &[term])?.boost_by(boost);
                let mut postings = inverted
                    .read_postings_from_terminfo(terms.value(), IndexRecordOption::WithFreqs)?;
                let rows = table.entry(text.to_owned()).or_default();
                while postings.doc() != TERMINATED {
                    let doc = postings.doc();
                    if let Some(entry) = entries.first(doc).and_then(|e| u32::try_from(e).ok()) {
                        let score = weight.score(norms.fieldnorm_id(doc), postings.term_freq());
                        rows.push(TermScore { entry, score });
                    }
                    postings.advance();
                }
            }
        }
    }
    Ok(table)
}

fn phrase_doc(entry: &crate::Entry) -> PhraseDoc {
    PhraseDoc {
        phrases: std::iter::once(entry.title.clone())
            .chain(entry.questions.iter().cloned())
            .collect(),
        keywords: entry.keywords.clone(),
        body: entry.answer.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFile;
    use matcher::Lexicon;

    fn entry(id: &str, title: &str, questions: &[&str], answer: &str) -> SourceFile {
        let questions: Vec<String> = questions.iter().map(|q| format!("{q:?}")).collect();
        SourceFile {
            path: format!("knowledge/{id}.md"),
            text: format!(
                "+++\nid = \"{id}\"\ntitle = \"{title}\"\nquestions = [{}]\ncheck = [\"x\"]\n\
                 sources = [\"https://example.org\"]\n+++\n{answer}\n",
                questions.join(", ")
            ),
        }
    }

    fn retriever() -> (Knowledge, Analyzer, Retriever) {
        let files = [
            entry(
                "apply.nhs-jobs",
                "Finding NHS vacancies",
                &[
                    "how do I find NHS vacancies",
                    "where are nhs jobs advertised",
                    "a",
                    "b",
                    "c",
                    "d",
                ],
                "Search NHS Jobs at jobs.nhs.uk.",
            ),
            entry(
                "benefits.annual-leave",
                "Annual leave",
                &[
                    "how much holiday do NHS staff get",
                    "annual leave entitlement",
                    "a",
                    "b",
                    "c",
                    "d",
                ],
                "27 days plus bank holidays.",
            ),
            entry(
                "quals.nurses",
                "Qualifications for nursing",
                &[
                    "what qualifications do nurses need",
                    "how do I become a nurse",
                    "a",
                    "b",
                    "c",
                    "d",
                ],
                "A nursing degree and registration with the NMC.",
            ),
        ];
        let knowledge = Knowledge::parse(&files).expect("knowledge");
        let texts = files.iter().map(|f| f.text.as_str());
        let analyzer = Analyzer::new(Lexicon::default(), texts);
        let retriever = Retriever::new(&knowledge, &analyzer).expect("index");
        (knowledge, analyzer, retriever)
    }

    #[test]
    fn an_entry_holds_the_words_of_its_fields_in_any_form() {
        let (knowledge, _, retriever) = retriever();
        let position =
            |id: &str| (knowledge.entries.iter().position(|e| e.id == id)).expect("entry");
        let leave = position("benefits.annual-leave");
        assert!(retriever.entry_holds(leave, "holidays"));
        assert!(retriever.entry_holds(leave, "entitlements"));
        assert!(!retriever.entry_holds(leave, "nursing"));
        assert!(retriever.entry_holds(position("quals.nurses"), "nursing"));
    }

    fn check(query: &str, expect: &str) {
        let (knowledge, analyzer, retriever) = retriever();
        let hits = retriever.search(&analyzer.analyze(query));
        let top = hits.first().map(|h| knowledge.entries[h.entry].id.as_str());
        assert_eq!(top, Some(expect), "{query:?}: {hits:?}");
        assert!(
            hits.windows(2).all(|w| w[0].rank >= w[1].rank),
            "sorted: {hits:?}"
        );
    }

    #[test]
    fn ranks_the_matching_entry_first() {
        check("where can i find nhs vacancies", "apply.nhs-jobs");
        check("how much annual leave", "benefits.annual-leave");
        check("nursing qualifications", "quals.nurses");
        check("nmc registration", "quals.nurses"); // only in the answer
        check("vacancise", "apply.nhs-jobs"); // a typo
    }

    #[test]
    fn confidence_is_high_for_a_known_question_and_low_for_others() {
        let (_, analyzer, retriever) = retriever();
        let top = |q: &str| {
            retriever
                .search(&analyzer.analyze(q))
                .first()
                .map_or(0.0, |h| h.confidence)
        };
        assert!(top("how do I become a nurse") > 0.9);
        assert!(top("how tall is mount everest") < 0.2);
        assert!(top("").abs() < f32::EPSILON);
    }
}
