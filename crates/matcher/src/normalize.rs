//! Text normalisation: case, Unicode, punctuation.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// At most this many words are read from a text; the rest is ignored. Far more than any message
/// needs (the analyzer reads fewer still) and than any one text of the content holds, it bounds
/// the work a huge message can cause.
pub(crate) const MAX_WORDS_READ: usize = 2048;
/// At most this many characters of a text are read, for the same reason.
pub(crate) const MAX_CHARS_READ: usize = 65_536;
/// A word longer than this many characters is cut to this length (no real word is as long).
pub(crate) const MAX_WORD_CHARS: usize = 64;

/// Folds text to plain lowercase: Unicode compatibility forms are unified, accents dropped,
/// typographic quotes and dashes replaced by their ASCII forms, and control characters removed.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        folded_ascii(text).collect()
    } else {
        folded(text).collect()
    }
}

/// `folded` for an ASCII text, which Unicode normalisation leaves as it is: the same
/// characters, without the cost of decomposing each one.
fn folded_ascii(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().map(|c| match c {
        '`' => '\'',
        c if c.is_control() => ' ',
        c => c.to_ascii_lowercase(),
    })
}

/// The characters of `fold(text)`, lazily: only what is read is folded.
fn folded(text: &str) -> impl Iterator<Item = char> + '_ {
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' | '\u{00B4}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            '\u{2010}'..='\u{2015}' => '-',
            c if c.is_control() => ' ',
            c => c,
        })
        .flat_map(char::to_lowercase)
}

/// Splits text into lowercase words. `&` becomes the word "and" (so "A&E" is "a and e"), an
/// apostrophe inside a word is kept (for contractions), and everything else that is not a letter
/// or digit separates words.
///
/// The work is bounded whatever the text: at most `MAX_WORDS_READ` words and `MAX_CHARS_READ`
/// characters are read, and a word is cut to `MAX_WORD_CHARS` characters.
pub fn words(text: &str) -> Vec<String> {
    if text.is_ascii() {
        words_of(folded_ascii(text))
    } else {
        words_of(folded(text))
    }
}

/// `text` with "IT" written as a word in capitals, in a text that is not all capitals, read as
/// "ICT": the field of work ("could i move into IT later on"), which lowercase would make the
/// pronoun "it".
pub(crate) fn information_technology(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("IT") {
        return std::borrow::Cow::Borrowed(text);
    }
    let text_chars = text.chars().take(MAX_CHARS_READ);
    let upper = text_chars.clone().filter(|c| c.is_uppercase()).count();
    let lower = text_chars.filter(|c| c.is_lowercase()).count();
    if upper >= lower {
        return std::borrow::Cow::Borrowed(text);
    }
    let is_word_char = |c: char| c.is_alphanumeric() || c == '\'';
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(at) = rest.find("IT") {
        let (before, after) = (&rest[..at], &rest[at + 2..]);
        let alone = !before.chars().next_back().is_some_and(is_word_char)
            && !after.chars().next().is_some_and(is_word_char);
        out.push_str(before);
        out.push_str(if alone { "ICT" } else { "IT" });
        rest = after;
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// `words`, of a text's folded characters.
fn words_of(chars: impl Iterator<Item = char>) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    // Characters of the current word, counting those cut off.
    let mut length = 0;
    let mut chars = chars.take(MAX_CHARS_READ).peekable();
    while let Some(c) = chars.next() {
        let inner_apostrophe =
            c == '\'' && length > 0 && chars.peek().is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || inner_apostrophe {
            if length < MAX_WORD_CHARS {
                current.push(c);
            }
            length += 1;
            continue;
        }
        if length > 0 {
            out.push(std::mem::take(&mut current));
            length = 0;
        }
        if c == '&' {
            out.push("and".to_owned());
        }
        if out.len() >= MAX_WORDS_READ {
            out.truncate(MAX_WORDS_READ);
            return out;
        }
    }
    if length > 0 && out.len() < MAX_WORDS_READ {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: &[&str]) {
        assert_eq!(words(input), expect, "words({input:?})");
    }

    #[test]
    fn it_in_capitals_is_the_field_of_work() {
        let check = |input: &str, expect: &[&str]| {
            assert_eq!(words(&information_technology(input)), expect, "{input:?}");
        };
        check(
            "could i move into IT later",
            &["could", "i", "move", "into", "ict", "later"],
        );
        check("is it hard", &["is", "it", "hard"]);
        check("IS IT HARD", &["is", "it", "hard"]);
        check(
            "IT's fine, ITV and SPLIT",
            &["it's", "fine", "itv", "and", "split"],
        );
    }

    #[test]
    fn case_punctuation_and_unicode() {
        check("How do I APPLY?!", &["how", "do", "i", "apply"]);
        check("Café naïve résumé", &["cafe", "naive", "resume"]);
        check("ＮＨＳ　jobs", &["nhs", "jobs"]);
        check("what’s a band-5 job", &["what's", "a", "band", "5", "job"]);
        check("A&E nurse", &["a", "and", "e", "nurse"]);
        check("'quoted' words'", &["quoted", "words"]);
        check(
            "tabs\tand\u{0}nul\u{7}bell",
            &["tabs", "and", "nul", "bell"],
        );
        check("", &[]);
        check("¿¡…—", &[]);
    }

    #[test]
    fn huge_texts_are_read_within_bounds() {
        let long_word = "a".repeat(1_000_000);
        assert_eq!(words(&long_word), ["a".repeat(MAX_WORD_CHARS)]);
        let two = format!("{} nurse", "b".repeat(MAX_WORD_CHARS + 1));
        assert_eq!(
            words(&two),
            ["b".repeat(MAX_WORD_CHARS), "nurse".to_owned()]
        );
        let many = "nurse & ".repeat(200_000);
        let read = words(&many);
        assert_eq!(read.len(), MAX_WORDS_READ);
        assert_eq!(read[..4], ["nurse", "and", "nurse", "and"]);
        // Reading stops after `MAX_CHARS_READ` characters, even with no word boundary.
        let spaced = format!("{}nurse", " ".repeat(MAX_CHARS_READ));
        assert!(words(&spaced).is_empty());
    }

    proptest::proptest! {
        /// The short cut for ASCII text folds exactly as Unicode normalisation does.
        #[test]
        fn ascii_folds_as_unicode_does(text in "[\\x00-\\x7f]{0,64}") {
            proptest::prop_assert!(text.is_ascii());
            let slow: String = folded(&text).collect();
            proptest::prop_assert_eq!(fold(&text), slow);
        }
    }
}
