//! Searching the knowledge base.
//!
//! Two indexes answer each query. The tantivy index ranks entries by BM25 over their stemmed
//! fields (title and questions above keywords above the answer), with fuzzy terms for words the
//! analyzer could not place. The phrase index gives the calibrated confidence: how closely the
//! query matches one of the entry's questions and how much of it the entry covers. Confidence
//! decides whether to answer; BM25 breaks near ties between candidates.

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, QueryParser};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, TantivyDocument, Term, doc};

use matcher::{Analysis, Analyzer, PhraseDoc, PhraseIndex};

use crate::{Error, Knowledge};

/// How many candidates each index proposes.
const CANDIDATES: usize = 12;
/// How much BM25 (relative to the best hit) adds to a candidate's rank, not to its confidence.
const BM25_RANK_SHARE: f32 = 0.08;
/// How much a fuzzy term counts against an exact one.
const FUZZY_BOOST: f32 = 0.3;
const TOKENIZER: &str = "en_stem";

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

struct Fields {
    ord: Field,
    title: Field,
    questions: Field,
    keywords: Field,
    body: Field,
}

/// The knowledge base, indexed for search. Build once at start-up; searching is read-only.
pub struct Retriever {
    reader: IndexReader,
    exact: QueryParser,
    fields: Fields,
    phrases: PhraseIndex,
}

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
        let fields = Fields {
            ord: schema.add_u64_field("ord", INDEXED | FAST | STORED),
            title: schema.add_text_field("title", text.clone()),
            questions: schema.add_text_field("questions", text.clone()),
            keywords: schema.add_text_field("keywords", text.clone()),
            body: schema.add_text_field("body", text),
        };
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000)?;
        for (ord, entry) in knowledge.entries.iter().enumerate() {
            let normal = |text: &str| analyzer.normal_words(text).join(" ");
            writer.add_document(doc!(
                fields.ord => ord as u64,
                fields.title => normal(&entry.title),
                fields.questions => normal(&entry.questions.join(" \n ")),
                fields.keywords => normal(&entry.keywords.join(" \n ")),
                fields.body => normal(&format!("{}\n{}", entry.answer, entry.more)),
            ))?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        let mut exact = QueryParser::for_index(
            &index,
            vec![fields.title, fields.questions, fields.keywords, fields.body],
        );
        exact.set_field_boost(fields.title, 3.0);
        exact.set_field_boost(fields.questions, 3.0);
        exact.set_field_boost(fields.keywords, 2.0);
        let docs: Vec<PhraseDoc> = knowledge.entries.iter().map(phrase_doc).collect();
        Ok(Retriever {
            reader,
            exact,
            fields,
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

    /// BM25 scores from tantivy: exact stemmed terms, plus fuzzy terms for unknown words.
    fn bm25(&self, analysis: &Analysis) -> Vec<(usize, f32)> {
        let text: String = analysis
            .words
            .iter()
            .map(|w| w.replace('\'', ""))
            .collect::<Vec<_>>()
            .join(" ");
        if text.trim().is_empty() {
            return Vec::new();
        }
        let (exact, _) = self.exact.parse_query_lenient(&text);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, exact)];
        for word in analysis.words.iter().filter(|w| self.is_unplaced(w)) {
            for field in [self.fields.title, self.fields.questions] {
                let term = Term::from_field_text(field, word);
                let fuzzy = Box::new(FuzzyTermQuery::new(term, 1, true));
                let boosted = Box::new(BoostQuery::new(fuzzy, FUZZY_BOOST));
                clauses.push((Occur::Should, boosted));
            }
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(CANDIDATES).order_by_score();
        let Ok(found) = searcher.search(&query, &top) else {
            return Vec::new();
        };
        found
            .into_iter()
            .filter_map(|(score, address)| {
                let doc: TantivyDocument = searcher.doc(address).ok()?;
                let ord = doc.get_first(self.fields.ord)?.as_u64()?;
                Some((usize::try_from(ord).ok()?, score))
            })
            .collect()
    }

    /// A word of five or more letters that no entry contains, even after typo correction.
    fn is_unplaced(&self, word: &str) -> bool {
        word.chars().count() >= 5
            && word.chars().all(char::is_alphabetic)
            && !self.phrases.knows(word)
    }
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
