//! Typo-tolerant word lookup: a vocabulary of known words with a deletion index (as in SymSpell)
//! to find candidates quickly, verified with `strsim`'s optimal string alignment distance.
//!
//! A word no known word is near in spelling may still sound like one ("dietishun", "fisio",
//! "sykologist"): the known words with the same Double Metaphone key are its candidates then.
//!
//! The index holds a 64-bit hash of each deletion variant, not the variant: a fraction of the
//! memory and of the time to build. Two variants with one hash only add a candidate, which the
//! distance check then judges like any other.

use std::hash::Hasher;

use rphonetic::DoubleMetaphone;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet, FxHasher};

/// Counts one occurrence of `word`, allocating only for a word not yet counted.
pub(crate) fn count(counts: &mut HashMap<String, u32>, word: &str) {
    match counts.get_mut(word) {
        Some(n) => *n += 1,
        None => {
            counts.insert(word.to_owned(), 1);
        }
    }
}

/// Known words with how often each occurs, and an index for finding near misses.
#[derive(Debug, Default)]
pub(crate) struct Vocabulary {
    counts: HashMap<String, u32>,
    /// (the hash of a word with up to `max_edits(len)` characters deleted, the word), sorted.
    deletions: Vec<(u64, u32)>,
    /// (a Double Metaphone key of a word of at least `SOUNDED_MIN` letters, the word), sorted.
    sounds: Vec<(String, u32)>,
    words: Vec<String>,
}

/// How many edits a word of `len` characters may be away from a known word and still be taken
/// for it: none for short words, where a one-letter change is usually another word.
fn max_edits(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=5 => 1,
        _ => 2,
    }
}

/// Words longer than this many characters are never corrected: no typo of a known word is that
/// long, and it bounds the work per word (finding candidates grows with the square of the length).
const MAX_CORRECTED: usize = 30;

/// Words of this many characters are taken only for a known word one letter longer.
const SHORT_DROPPED: usize = 3;

/// Words shorter than this are never taken for a known word that sounds the same: short keys
/// are shared by too many words.
const SOUNDED_MIN: usize = 5;

/// The longest Double Metaphone key made: long enough to tell long words apart.
const SOUND_KEY_LEN: usize = 12;

/// Words shorter than this are taken for a known word two edits away only when both start
/// with the same letter and differ in length ("midwfes" for "midwives"; not "purple" for
/// "people", two letters changed).
const TWO_EDITS_ANY_START: usize = 8;

impl Vocabulary {
    /// Builds the vocabulary from every occurrence of every known word.
    #[cfg(test)]
    pub(crate) fn new<'a>(occurrences: impl IntoIterator<Item = &'a str>) -> Vocabulary {
        let mut counts = HashMap::default();
        for word in occurrences {
            count(&mut counts, word);
        }
        Vocabulary::from_counts(counts)
    }

    /// Builds the vocabulary from each known word and how often it occurs (see `count`).
    pub(crate) fn from_counts(counts: HashMap<String, u32>) -> Vocabulary {
        let mut vocabulary = Vocabulary {
            counts,
            ..Vocabulary::default()
        };
        let mut words: Vec<String> = vocabulary.counts.keys().cloned().collect();
        words.sort();
        let mut variants = Vec::new();
        let metaphone = DoubleMetaphone::new(Some(SOUND_KEY_LEN));
        for (id, word) in words.iter().enumerate() {
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            let len = word.chars().count();
            // A correctable word is at most two edits shorter than the known word it is taken for.
            if len > MAX_CORRECTED + 2 {
                continue;
            }
            deletion_variants(word, max_edits(len), &mut variants);
            vocabulary
                .deletions
                .extend(variants.iter().map(|&variant| (variant, id)));
            if len >= SOUNDED_MIN && word.chars().all(|c| c.is_ascii_alphabetic()) {
                let keys = sound_keys(&metaphone, word);
                vocabulary
                    .sounds
                    .extend(keys.into_iter().map(|key| (key, id)));
            }
        }
        vocabulary.deletions.sort_unstable();
        vocabulary.deletions.dedup();
        vocabulary.sounds.sort_unstable();
        vocabulary.sounds.dedup();
        vocabulary.words = words;
        vocabulary
    }

    /// Every known word.
    pub(crate) fn words(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(String::as_str)
    }

    /// True when the word is known as it is.
    pub(crate) fn contains(&self, word: &str) -> bool {
        self.counts.contains_key(word)
    }

    /// How often the word occurs in the corpus (0 when unknown).
    pub(crate) fn count(&self, word: &str) -> u32 {
        self.counts.get(word).copied().unwrap_or(0)
    }

    /// The known word closest to an unknown `word`, if one is within the allowed edits.
    /// Ties go to the more frequent word, then to one with the same first letter.
    pub(crate) fn correct(&self, word: &str) -> Option<&str> {
        let len = word.chars().count();
        // A short word is taken only for a known word it is a letter short of, where phones and
        // thumbs drop one (`dropped_letter`): a letter changed is usually another word, and one
        // dropped at the end may be slang ("ket", "pic").
        let short = len == SHORT_DROPPED;
        let allowed = if short { 1 } else { max_edits(len) };
        if allowed == 0 || len > MAX_CORRECTED || word.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut variants = Vec::new();
        deletion_variants(word, allowed, &mut variants);
        let mut candidates: HashSet<u32> = HashSet::default();
        for variant in variants {
            let start = self.deletions.partition_point(|&(v, _)| v < variant);
            let same = self.deletions[start..]
                .iter()
                .take_while(|&&(v, _)| v == variant);
            candidates.extend(same.map(|&(_, id)| id));
        }
        let first = word.chars().next();
        let spelled = candidates
            .into_iter()
            .filter_map(|id| {
                let known = self.words.get(id as usize)?;
                let distance = strsim::osa_distance(word, known);
                let within = distance <= allowed.min(max_edits(known.chars().count()).max(1));
                let same_start = known.chars().next() == first;
                let added_or_dropped = known.chars().count() != len;
                let trusted =
                    distance < 2 || len >= TWO_EDITS_ANY_START || (same_start && added_or_dropped);
                let trusted = trusted && (!short || dropped_letter(word, known));
                (within && trusted).then_some((distance, known))
            })
            .min_by_key(|(distance, known)| {
                let same_first = known.chars().next() == first;
                (
                    *distance,
                    !same_first,
                    std::cmp::Reverse(self.count(known)),
                    (*known).clone(),
                )
            })
            .map(|(_, known)| known.as_str());
        spelled.or_else(|| self.sounding_like(word))
    }

    /// The known word that sounds like `word` (one of their Double Metaphone keys is the same)
    /// and is spelt at most half its letters away: the nearest, then the most frequent.
    fn sounding_like(&self, word: &str) -> Option<&str> {
        let len = word.chars().count();
        if len < SOUNDED_MIN || !word.chars().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let keys = sound_keys(&DoubleMetaphone::new(Some(SOUND_KEY_LEN)), word);
        keys.iter()
            .flat_map(|key| {
                let start = self.sounds.partition_point(|(k, _)| k < key);
                self.sounds[start..]
                    .iter()
                    .take_while(move |(k, _)| k == key)
            })
            .filter_map(|&(_, id)| {
                let known = self.words.get(id as usize)?;
                let distance = strsim::osa_distance(word, known);
                (distance <= len.div_ceil(2)).then_some((distance, known))
            })
            .min_by_key(|(distance, known)| {
                (
                    *distance,
                    std::cmp::Reverse(self.count(known)),
                    (*known).clone(),
                )
            })
            .map(|(_, known)| known.as_str())
    }
}

/// True when `known` is `word` with one letter put back that a thumb drops: a vowel inside the
/// word ("lfe" for "life") or one of a doubled pair ("kil" for "kill"); never at the start, and
/// no other consonant ("pic" is not "pick", "ket" is not "kept").
fn dropped_letter(word: &str, known: &str) -> bool {
    let known: Vec<char> = known.chars().collect();
    let word: Vec<char> = word.chars().collect();
    (1..known.len()).any(|at| {
        let rest = known[..at].iter().chain(&known[at + 1..]);
        let letter = known[at];
        let inside_vowel = at + 1 < known.len() && "aeiou".contains(letter);
        let doubled = known[at - 1] == letter || known.get(at + 1) == Some(&letter);
        rest.eq(word.iter()) && (inside_vowel || doubled)
    })
}

/// The Double Metaphone keys of a word (primary and alternate), each once.
fn sound_keys(metaphone: &DoubleMetaphone, word: &str) -> Vec<String> {
    let result = metaphone.double_metaphone(word);
    let mut keys = vec![result.primary(), result.alternate()];
    keys.dedup();
    keys.retain(|key| !key.is_empty());
    keys
}

/// The hashes of the word itself and of every string made by deleting up to `edits` (at most
/// two) of its characters, never below two characters, into `out`, sorted and each once.
fn deletion_variants(word: &str, edits: usize, out: &mut Vec<u64>) {
    out.clear();
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    let hash = |skip: &[usize]| {
        let mut hasher = FxHasher::default();
        for (at, c) in chars.iter().enumerate() {
            if !skip.contains(&at) {
                hasher.write_u32(u32::from(*c));
            }
        }
        hasher.write_usize(n - skip.len());
        hasher.finish()
    };
    out.push(hash(&[]));
    if edits >= 1 && n > 2 {
        for i in 0..n {
            out.push(hash(&[i]));
            if edits >= 2 && n > 3 {
                out.extend((i + 1..n).map(|j| hash(&[i, j])));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> Vocabulary {
        let text = "apply apply application nursing nurse qualifications pension audiologist \
                    demand apprenticeship bevan jobs jobs job help hello hello physiotherapist \
                    midwives people kill life pick kept ache";
        Vocabulary::new(text.split_whitespace())
    }

    fn check(input: &str, expect: Option<&str>) {
        assert_eq!(vocabulary().correct(input), expect, "correct({input:?})");
    }

    #[test]
    fn corrects_common_typos() {
        check("aplly", Some("apply")); // doubled letter
        check("jobz", Some("jobs")); // substitution
        check("nursng", Some("nursing")); // dropped letter
        check("qualificatons", Some("qualifications"));
        check("pensoin", Some("pension")); // transposition
        check("demnad", Some("demand"));
        check("apprentiship", Some("apprenticeship")); // two edits in a long word
        check("midwfes", Some("midwives")); // two edits, same first letter
        check("xidwfes", None); // two edits in a short word with another first letter
        check("purple", None); // two letters changed in a short word ("people")
        check("pinsian", Some("pension")); // ... unless it sounds the same
        check("audiologst", Some("audiologist"));
        check("bevn", Some("bevan"));
        check("physiotherapst", Some("physiotherapist"));
    }

    #[test]
    fn corrects_a_short_word_only_for_a_letter_a_thumb_drops() {
        check("kil", Some("kill")); // one of a doubled pair
        check("lfe", Some("life")); // a vowel inside
        check("pic", None); // a consonant at the end: slang, not "pick"
        check("ket", None); // nor "kept"
        check("ach", None); // a vowel at the end: not "ache"
        check("lif", None); // a letter changed, not dropped
    }

    #[test]
    fn corrects_words_spelt_as_they_sound() {
        let known = Vocabulary::new(["dietitian", "psychologist", "pharmacist", "physio", "fees"]);
        let check = |input: &str, expect: Option<&str>| {
            assert_eq!(known.correct(input), expect, "correct({input:?})");
        };
        check("dietishun", Some("dietitian"));
        check("sykologist", Some("psychologist"));
        check("farmasist", Some("pharmacist"));
        check("fisio", Some("physio"));
        check("fizz", None); // too short to go by sound
        check("feeses", None); // sounds like "fees" but is spelt too far from it
    }

    #[test]
    fn leaves_short_and_distant_words_alone() {
        check("hep", None); // three letters: never guessed
        check("weather", None);
        check("xylophone", None);
        check("2024", None);
        check("helo", Some("hello")); // tie at one edit: the more frequent word wins
    }

    #[test]
    fn long_words_are_never_corrected() {
        let known = "a".repeat(MAX_CORRECTED);
        let vocabulary = Vocabulary::new([known.as_str(), "nursing"]);
        let typo = format!("{}b", "a".repeat(MAX_CORRECTED - 1));
        assert_eq!(vocabulary.correct(&typo), Some(known.as_str()));
        let longer = "a".repeat(MAX_CORRECTED + 1);
        assert_eq!(vocabulary.correct(&longer), None);
        assert_eq!(vocabulary.correct(&"nursng".repeat(10_000)), None);
    }

    #[test]
    fn knows_known_words() {
        let v = vocabulary();
        assert!(v.contains("apply") && !v.contains("aplly"));
        assert_eq!(v.count("apply"), 2);
        assert_eq!(v.count("aplly"), 0);
    }
}
