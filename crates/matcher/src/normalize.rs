//! Text normalisation: case, Unicode, punctuation.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text to plain lowercase: Unicode compatibility forms are unified, accents dropped,
/// typographic quotes and dashes replaced by their ASCII forms, and control characters removed.
pub fn fold(text: &str) -> String {
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
        .collect()
}

/// Splits text into lowercase words. `&` becomes the word "and" (so "A&E" is "a and e"), an
/// apostrophe inside a word is kept (for contractions), and everything else that is not a letter
/// or digit separates words.
pub fn words(text: &str) -> Vec<String> {
    let folded = fold(text);
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = folded.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let inner_apostrophe = c == '\''
            && !current.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || inner_apostrophe {
            current.push(c);
            continue;
        }
        if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if c == '&' {
            out.push("and".to_owned());
        }
    }
    if !current.is_empty() {
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
}
