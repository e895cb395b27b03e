//! Ranking documents by how closely a message matches their phrases.
//!
//! Each document has short phrases (a title, example questions, keywords) and optionally a longer
//! body. A message is compared with every phrase by cosine similarity of IDF-weighted stems, and
//! with the document as a whole by coverage: the weighted share of the message's words that the
//! document contains. Words the content never uses weigh the most, so a message about something
//! else scores low everywhere. The confidence of a match blends both into 0..1.

use rustc_hash::FxHashMap as HashMap;

use crate::{Analysis, Analyzer};

/// How a document's phrase similarity and coverage are blended into its confidence.
const SIMILARITY_SHARE: f32 = 0.6;
/// How much more than the rarest known word an unknown word weighs.
const UNKNOWN_WEIGHT: f32 = 1.25;
/// A word found only in a document's body counts this much towards coverage.
const BODY_COVERAGE: f32 = 0.5;

/// One document to match against.
#[derive(Debug, Clone, Default)]
pub struct PhraseDoc {
    /// Short texts that each say what the document is about (title, questions, examples).
    pub phrases: Vec<String>,
    /// Words and phrases that point to the document; they count towards coverage.
    pub keywords: Vec<String>,
    /// Longer text; its words count for less.
    pub body: String,
}

/// A document's score for one message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// The document's position in the list the index was built from.
    pub doc: usize,
    /// Blended confidence, 0..1.
    pub confidence: f32,
    /// Best cosine similarity to one of the document's phrases, 0..1.
    pub similarity: f32,
    /// Weighted share of the message's words found in the document, 0..1.
    pub coverage: f32,
}

/// Where in a document a stem occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Body,
    Head,
}

/// A text's distinct stems, each with its factor (see `Slot`).
type Stems = Vec<(String, f32)>;

fn stems(analyzer: &Analyzer, text: &str) -> Stems {
    let mut stems: Stems = Vec::new();
    for slot in analyzer.analyze_content(text).slots {
        match stems.iter_mut().find(|(s, _)| *s == slot.stem) {
            Some((_, f)) => *f = f.max(slot.factor),
            None => stems.push((slot.stem, slot.factor)),
        }
    }
    stems
}

/// An index of documents' phrases, ready to rank messages against.
#[derive(Debug, Default)]
pub struct PhraseIndex {
    /// Stem -> (document, phrase, the stem's factor there) for each phrase that contains it;
    /// phrases are numbered across all documents.
    postings: HashMap<String, Vec<(u32, u32, f32)>>,
    /// Stem -> documents that contain it, and where.
    places: HashMap<String, Vec<(u32, Place)>>,
    /// Per phrase, numbered across all documents: the phrase's vector norm.
    norms: Vec<f32>,
    /// How many documents there are.
    docs: usize,
    idf: HashMap<String, f32>,
    unknown_idf: f32,
}

impl PhraseIndex {
    /// Builds the index. The analyzer must be the one that will analyse the messages.
    pub fn new(analyzer: &Analyzer, docs: &[PhraseDoc]) -> PhraseIndex {
        let analysed: Vec<(Vec<Stems>, Stems, Stems)> = docs
            .iter()
            .map(|doc| {
                let stems_of = |text: &str| stems(analyzer, text);
                let phrases = doc.phrases.iter().chain(&doc.keywords).map(|p| stems_of(p));
                let keywords = doc.keywords.iter().flat_map(|k| stems_of(k)).collect();
                (phrases.collect(), keywords, stems_of(&doc.body))
            })
            .collect();

        let mut index = PhraseIndex::default();
        let mut units = 0usize;
        let mut df: HashMap<&str, usize> = HashMap::default();
        for (phrases, _, body) in &analysed {
            for stems in phrases.iter().chain(std::iter::once(body)) {
                units += 1;
                for (stem, _) in stems {
                    *df.entry(stem).or_default() += 1;
                }
            }
        }
        let units = units.max(1) as f32;
        index.idf = df
            .iter()
            .map(|(stem, n)| ((*stem).to_owned(), (1.0 + units / *n as f32).ln()))
            .collect();
        // A word the content never uses is strong evidence that the message is about something
        // else: it weighs more than the rarest known word.
        index.unknown_idf = UNKNOWN_WEIGHT * (1.0 + units).ln();

        index.docs = analysed.len();
        for (doc, (phrases, keywords, body)) in analysed.iter().enumerate() {
            let doc = u32::try_from(doc).unwrap_or(u32::MAX);
            for stems in phrases {
                let phrase = u32::try_from(index.norms.len()).unwrap_or(u32::MAX);
                let norm: f32 = stems.iter().map(|(s, f)| (index.idf(s) * f).powi(2)).sum();
                index.norms.push(norm.sqrt());
                for (stem, factor) in stems {
                    let posting = (doc, phrase, *factor);
                    index
                        .postings
                        .entry(stem.clone())
                        .or_default()
                        .push(posting);
                }
            }
            let head = phrases
                .iter()
                .flatten()
                .chain(keywords)
                .map(|(s, _)| (s, Place::Head));
            let places = head.chain(body.iter().map(|(s, _)| (s, Place::Body)));
            for (stem, place) in places {
                let entry = index.places.entry(stem.clone()).or_default();
                match entry.iter_mut().find(|(d, _)| *d == doc) {
                    Some((_, existing)) => *existing = (*existing).max(place),
                    None => entry.push((doc, place)),
                }
            }
        }
        index
    }

    /// The inverse document frequency of a stem; unknown stems get the highest.
    pub fn idf(&self, stem: &str) -> f32 {
        self.idf.get(stem).copied().unwrap_or(self.unknown_idf)
    }

    /// True when some document contains the stem.
    pub fn knows(&self, stem: &str) -> bool {
        self.idf.contains_key(stem)
    }

    /// Scores every document that shares a word with the message, best first.
    pub fn rank(&self, analysis: &Analysis) -> Vec<Match> {
        let slots = self.weighted_slots(analysis);
        let total: f32 = slots.iter().map(|(_, w)| w).sum();
        let norm: f32 = slots.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if total <= 0.0 || norm <= 0.0 {
            return Vec::new();
        }
        // Per phrase, its dot product with the message; per document, the weight it covers
        // (`None`: no word of the message at all).
        let mut dots = vec![0.0_f32; self.norms.len()];
        let mut touched: Vec<(u32, u32)> = Vec::new();
        let mut covered: Vec<Option<f32>> = vec![None; self.docs];
        for (stem, weight) in &slots {
            let idf = self.idf(stem);
            for &(doc, phrase, factor) in self.postings.get(*stem).into_iter().flatten() {
                let dot = &mut dots[phrase as usize];
                if *dot == 0.0 {
                    touched.push((doc, phrase));
                }
                *dot += weight * idf * factor;
            }
            for &(doc, place) in self.places.get(*stem).into_iter().flatten() {
                let share = if place == Place::Head {
                    1.0
                } else {
                    BODY_COVERAGE
                };
                *covered[doc as usize].get_or_insert(0.0) += weight * share;
            }
        }
        let mut similarity = vec![0.0_f32; self.docs];
        for (doc, phrase) in touched {
            let dot = std::mem::take(&mut dots[phrase as usize]);
            let phrase_norm = self.norms[phrase as usize];
            let cosine = (dot / (norm * phrase_norm.max(f32::EPSILON))).min(1.0);
            let best = &mut similarity[doc as usize];
            *best = best.max(cosine);
        }
        let mut matches: Vec<Match> = covered
            .into_iter()
            .enumerate()
            .filter_map(|(doc, covered)| {
                let similarity = similarity[doc];
                let coverage = (covered? / total).min(1.0);
                Some(Match {
                    doc,
                    confidence: SIMILARITY_SHARE * similarity + (1.0 - SIMILARITY_SHARE) * coverage,
                    similarity,
                    coverage,
                })
            })
            .collect();
        matches.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.doc.cmp(&b.doc))
        });
        matches
    }

    /// The message's distinct stems with their weights (IDF times the slot's factor).
    fn weighted_slots<'a>(&self, analysis: &'a Analysis) -> Vec<(&'a str, f32)> {
        let mut slots: Vec<(&str, f32)> = Vec::new();
        for slot in &analysis.slots {
            let weight = self.idf(&slot.stem) * slot.factor;
            match slots.iter_mut().find(|(s, _)| *s == slot.stem) {
                Some((_, w)) => *w = w.max(weight),
                None => slots.push((&slot.stem, weight)),
            }
        }
        slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lexicon;

    fn docs() -> Vec<PhraseDoc> {
        let doc = |phrases: &[&str], body: &str| PhraseDoc {
            phrases: phrases.iter().map(|p| (*p).to_owned()).collect(),
            keywords: Vec::new(),
            body: body.to_owned(),
        };
        vec![
            doc(
                &[
                    "How do I apply for an NHS job?",
                    "where are NHS vacancies advertised",
                ],
                "Search NHS Jobs for vacancies.",
            ),
            doc(
                &[
                    "What qualifications do nurses need?",
                    "how do I become a nurse",
                ],
                "A nursing degree and NMC registration.",
            ),
            doc(
                &["How much annual leave do NHS staff get?"],
                "27 days plus bank holidays.",
            ),
        ]
    }

    fn rank(text: &str) -> Vec<Match> {
        let docs = docs();
        let content = docs.iter().flat_map(|d| d.phrases.iter().chain([&d.body]));
        let lexicon = Lexicon::parse(
            "stop_words = [\"which\", \"does\", \"a\", \"do\", \"i\"]",
            "test",
        );
        let analyzer = Analyzer::new(lexicon.expect("lexicon"), content.map(String::as_str));
        let index = PhraseIndex::new(&analyzer, &docs);
        index.rank(&analyzer.analyze(text))
    }

    #[test]
    fn exact_question_is_certain() {
        let top = rank("What qualifications do nurses need?")[0];
        assert_eq!(top.doc, 1);
        assert!(top.confidence > 0.99, "{top:?}");
    }

    #[test]
    fn paraphrase_ranks_the_right_document_first() {
        let ranked = rank("which qualifications does a nurse need");
        assert_eq!(ranked[0].doc, 1);
        assert!(ranked[0].confidence > 0.6, "{ranked:?}");
        assert_eq!(rank("annual leave")[0].doc, 2);
        assert_eq!(rank("nhs vacancies")[0].doc, 0);
    }

    #[test]
    fn body_words_count_for_less() {
        let top = rank("nmc")[0];
        assert_eq!(top.doc, 1);
        assert!((top.coverage - BODY_COVERAGE).abs() < 1e-6, "{top:?}");
        assert_eq!(top.similarity, 0.0);
    }

    #[test]
    fn unrelated_words_lower_confidence() {
        let on_topic = rank("how do I become a nurse")[0].confidence;
        let off_topic = rank("how do I become a famous footballer")[0].confidence;
        assert!(off_topic < on_topic - 0.3, "{off_topic} vs {on_topic}");
        assert!(rank("zzzz qqqq").is_empty());
        assert!(rank("").is_empty());
    }
}
