//! Properties of reading a message, on any text at all: `words` and `Analyzer::analyze` never
//! panic, read a bounded number of words, and give words made only of letters, digits and inner
//! apostrophes.

use std::path::Path;
use std::sync::OnceLock;

use matcher::{Analyzer, Lexicon, words};
use proptest::prelude::*;

/// The most words `words` reads, and the longest word it gives (`normalize.rs`).
const MAX_WORDS_READ: usize = 2048;
const MAX_WORD_CHARS: usize = 64;

/// An analyzer over the repository's lexicon and knowledge.
fn analyzer() -> &'static Analyzer {
    static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
    ANALYZER.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let read = |path: &Path| std::fs::read_to_string(path).expect("readable");
        let lexicon_path = root.join("intents/lexicon.toml");
        let lexicon =
            Lexicon::parse(&read(&lexicon_path), "intents/lexicon.toml").expect("lexicon");
        let mut texts = Vec::new();
        let mut dirs = vec![root.join("knowledge")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("knowledge folder") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    texts.push(read(&path));
                }
            }
        }
        Analyzer::new(lexicon, texts.iter().map(String::as_str))
    })
}

/// Text as people (and attackers) write it: words, typos, text-speak, emoji, right-to-left and
/// zero-width characters, control characters, markup, and arbitrary Unicode.
fn message() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-zA-Z]{1,12}",
        2 => Just(" ".to_owned()),
        1 => prop::sample::select(vec![
            "nurse", "nursng", "qualificatons", "u", "ur", "im", "dont", "can't", "A&E", "&",
            "'", "''", "it's", "😀", "👩‍⚕️", "\u{200B}", "\u{200D}", "\u{202E}", "\u{FEFF}",
            "مرحبا", "שלום", "\0", "\u{7}", "\u{1B}[31m", "\r\n", "\n\n", "<b>", "**", "@everyone",
            "ﬁ", "Ⅻ", "İ", "ß", "ǅ", "\u{301}", "1", "2024", "-", "—",
        ]).prop_map(str::to_owned),
        1 => any::<String>(),
        1 => "[a-z]{30,80}",
    ];
    prop::collection::vec(piece, 0..64).prop_map(|pieces| pieces.concat())
}

fn check_words(read: &[String]) {
    assert!(read.len() <= MAX_WORDS_READ, "{} words", read.len());
    for word in read {
        let length = word.chars().count();
        assert!((1..=MAX_WORD_CHARS).contains(&length), "{word:?}");
        assert!(
            word.chars().all(|c| c.is_alphanumeric() || c == '\''),
            "{word:?}"
        );
        assert!(!word.starts_with('\''), "{word:?}");
    }
}

proptest! {
    #[test]
    fn words_are_letters_and_digits_within_bounds(text in message()) {
        check_words(&words(&text));
    }

    #[test]
    fn any_unicode_is_read_without_panic(text in any::<String>()) {
        check_words(&words(&text));
    }

    #[test]
    fn analysis_reads_at_most_max_words(text in message()) {
        let analysis = analyzer().analyze(&text);
        prop_assert!(analysis.words.len() <= MAX_WORDS_READ);
        for (typed, corrected) in &analysis.corrections {
            prop_assert!(typed.chars().count() <= 30, "{typed:?} -> {corrected:?}");
        }
        for slot in &analysis.slots {
            prop_assert!(slot.factor > 0.0 && slot.factor <= 1.0, "{slot:?}");
        }
    }
}

#[test]
fn huge_messages_are_read_within_bounds() {
    let one_word = "a".repeat(1_000_000);
    assert_eq!(words(&one_word), ["a".repeat(MAX_WORD_CHARS)]);
    let many = "nurse ".repeat(200_000);
    check_words(&words(&many));
    assert_eq!(words(&many).len(), MAX_WORDS_READ);
    let analysis = analyzer().analyze(&one_word);
    assert_eq!(analysis.words.len(), 1);
    assert!(analysis.corrections.is_empty());
}
