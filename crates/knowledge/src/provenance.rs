//! Checks that what an entry or a role says comes from the pages it cites.
//!
//! The saved source pages ("seeds", files named `000_….txt`, `001_….txt`, …) are the only
//! places facts may come from, and `knowledge/sources.toml` says which seeds each citable address
//! stands for. Two kinds of token are checked, because they are where a wrong or unsourced
//! claim shows:
//!
//! - every **figure**: a number ("27", "1.3", the "3" and "4" of "3–4 years") or a number word
//!   ("four", "fourteen"), which must be on a seed page that one of the item's sources stands
//!   for;
//! - every **name**: a capitalised word inside a sentence ("Oriel", "RCCP", "Holter") that is
//!   capitalised on some seed page, which must be on a seed page one of its sources stands for
//!   (in any case, or as the longer form given for it in the list's `[names]`).
//!
//! A number written as a numbered list's marker ("1. …") is not a figure, and words that are on
//! none of the seed pages are the writer's own and are not checked.

use std::collections::HashSet;
use std::path::Path;

use crate::sources::addresses;
use crate::{Error, Knowledge, SourceFile};

/// One saved source page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// Its number, the first three digits of its file name (`"001"`).
    pub number: String,
    /// Its file, for messages.
    pub file: String,
    /// Its text.
    pub text: String,
}

/// Reads the seed pages in `dir`: every `.txt` file whose name starts with three digits.
pub fn read_seeds(dir: &Path) -> Result<Vec<Seed>, Error> {
    let read_error = |path: &Path, source| Error::Read {
        path: path.display().to_string(),
        source,
    };
    let mut seeds = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| read_error(dir, e))? {
        let path = entry.map_err(|e| read_error(dir, e))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let number: String = name.chars().take(3).collect();
        let numbered = number.len() == 3 && number.bytes().all(|b| b.is_ascii_digit());
        if !numbered || !name.ends_with(".txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| read_error(&path, e))?;
        seeds.push(Seed {
            number,
            file: path.display().to_string(),
            text,
        });
    }
    seeds.sort_by(|a, b| a.number.cmp(&b.number));
    Ok(seeds)
}

/// The tokens of one seed page.
struct Page<'a> {
    number: &'a str,
    figures: HashSet<String>,
    /// Every word, lower-cased and singular.
    words: HashSet<String>,
    /// Every capitalised word, singular.
    names: HashSet<String>,
    /// The whole text, lower-cased, for the long forms of names.
    lower: String,
}

impl<'a> Page<'a> {
    fn new(seed: &'a Seed) -> Page<'a> {
        let text = strip_footnotes(&seed.text);
        let text = without_addresses(&text);
        let words: Vec<&str> = letter_runs(&text).map(|(_, w)| w).collect();
        Page {
            number: &seed.number,
            figures: figures(&text).into_iter().map(|(_, key)| key).collect(),
            words: words.iter().map(|w| singular(&w.to_lowercase())).collect(),
            names: words
                .iter()
                .filter(|w| w.starts_with(|c: char| c.is_ascii_uppercase()))
                .map(|w| singular(w))
                .collect(),
            lower: text.to_lowercase(),
        }
    }
}

/// Checks every entry and role of `knowledge` against the seed pages; `files` are the knowledge
/// files it was parsed from (for line numbers). Returns one error per unsupported figure or
/// name (once per item), or per problem with the allow-list itself.
pub fn check(knowledge: &Knowledge, files: &[SourceFile], seeds: &[Seed]) -> Vec<Error> {
    let Some(sources) = &knowledge.sources else {
        let message = format!("there is no {}: nothing to check", crate::SOURCES_FILE);
        return vec![Error::invalid("knowledge", 1, message)];
    };
    let pages: Vec<Page> = seeds.iter().map(Page::new).collect();
    let mut problems = Vec::new();
    for page in &sources.pages {
        if let Some(missing) = page
            .seeds
            .iter()
            .find(|n| !pages.iter().any(|p| p.number == n.as_str()))
        {
            let message = format!("seed page {missing} of '{}' was not found", page.address);
            let line = line_of_word(files, &sources.file, &page.address, 0);
            problems.push(Error::invalid(&sources.file, line, message));
        }
    }
    let all_names: HashSet<&str> = pages
        .iter()
        .flat_map(|p| p.names.iter().map(String::as_str))
        .collect();
    let items = knowledge
        .entries
        .iter()
        .map(|e| {
            let text = format!("{}\n{}\n{}", e.title, e.answer, e.more);
            (&e.file, text, &e.sources, true)
        })
        .chain(knowledge.roles.iter().map(|r| {
            let mut fields = vec![
                r.what.clone(),
                r.qualifications.clone(),
                r.regulator.clone(),
                r.training.clone(),
                r.demand.clone(),
            ];
            fields.extend(r.entry_routes.iter().cloned());
            fields.extend(r.settings.iter().cloned());
            (&r.file, fields.join("\n"), &r.sources, false)
        }));
    for (file, text, cited, is_entry) in items {
        let numbers: Vec<&str> = cited
            .iter()
            .filter_map(|s| sources.page(s))
            .flat_map(|p| p.seeds.iter().map(String::as_str))
            .collect();
        let own: Vec<&Page> = pages
            .iter()
            .filter(|p| numbers.contains(&p.number))
            .collect();
        let mut listed: Vec<&str> = own.iter().map(|p| p.number).collect();
        listed.dedup();
        let mut reported = HashSet::new();
        let mut report = |kind: &str, surface: &str, on: Vec<&str>| {
            if !reported.insert(surface.to_owned()) {
                return;
            }
            let whereabouts = if on.is_empty() {
                "on none of the seed pages".to_owned()
            } else {
                format!("only on page {}", on.join(", "))
            };
            let message = format!(
                "the {kind} '{surface}' is {whereabouts}, not on the pages its sources stand for ({})",
                listed.join(", ")
            );
            let line = line_of_word(files, file, surface, usize::from(is_entry));
            problems.push(Error::invalid(file, line, message));
        };
        for (surface, key) in figures(&text) {
            if !own.iter().any(|p| p.figures.contains(&key)) {
                let on = pages
                    .iter()
                    .filter(|p| p.figures.contains(&key))
                    .map(|p| p.number)
                    .collect();
                report("figure", &surface, on);
            }
        }
        for name in names(&text) {
            let key = singular(&name);
            if !all_names.contains(key.as_str()) {
                continue;
            }
            let lower = singular(&name.to_lowercase());
            let long = sources
                .names
                .iter()
                .find(|(short, _)| singular(short) == key)
                .map(|(_, long)| long.to_lowercase());
            let supported = own.iter().any(|p| {
                p.words.contains(&lower) || long.as_ref().is_some_and(|l| p.lower.contains(l))
            });
            if !supported {
                let on = pages
                    .iter()
                    .filter(|p| p.names.contains(&key))
                    .map(|p| p.number)
                    .collect();
                report("name", &name, on);
            }
        }
    }
    problems
}

/// Number words that count as figures ("one" is left out: it is mostly not a number).
const NUMBER_WORDS: [(&str, u32); 26] = [
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
];

/// The figures in `text`, each as written and as a key that numbers and number words share
/// ("four" and "4" are both "4").
fn figures(text: &str) -> Vec<(String, String)> {
    let text = without_addresses(text);
    let mut found = Vec::new();
    for line in text.lines() {
        let line = skip_list_marker(line);
        let bytes = line.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let c = bytes[at];
            let before = at.checked_sub(1).map(|b| bytes[b]);
            let glued = before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'.');
            if c.is_ascii_digit() && !glued {
                let mut end = at;
                while end < bytes.len() && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                if end + 1 < bytes.len() && bytes[end] == b'.' && bytes[end + 1].is_ascii_digit() {
                    end += 1;
                    while end < bytes.len() && bytes[end].is_ascii_digit() {
                        end += 1;
                    }
                }
                let number = &line[at..end];
                found.push((number.to_owned(), number.to_owned()));
                at = end;
            } else if c.is_ascii_digit() {
                while at < bytes.len() && bytes[at].is_ascii_alphanumeric() {
                    at += 1;
                }
            } else {
                at += 1;
            }
        }
        for (_, word) in letter_runs(line) {
            let lower = word.to_ascii_lowercase();
            if let Some((_, n)) = NUMBER_WORDS.iter().find(|(w, _)| *w == lower) {
                found.push((word.to_owned(), n.to_string()));
            }
        }
    }
    found
}

/// The names in `text`: capitalised words of two letters or more that do not start a sentence,
/// a line or a list item.
fn names(text: &str) -> Vec<String> {
    let text = without_addresses(text);
    let mut found = Vec::new();
    for line in text.lines() {
        for (at, word) in letter_runs(line) {
            if word.len() < 2 || !word.starts_with(|c: char| c.is_ascii_uppercase()) {
                continue;
            }
            let before = line[..at]
                .trim_end_matches(|c: char| c.is_whitespace() || "*_(\"'“‘-–#>[".contains(c));
            let starts_sentence = before.is_empty() || before.ends_with(['.', '!', '?', ':', ';']);
            if !starts_sentence {
                found.push(word.to_owned());
            }
        }
    }
    found
}

/// `text` with its web addresses blanked out (their digits and words are not facts).
fn without_addresses(text: &str) -> String {
    let mut out = text.to_owned();
    for (at, address) in addresses(text) {
        out.replace_range(at..at + address.len(), &" ".repeat(address.len()));
    }
    out
}

/// `line` without a leading numbered-list marker ("1. ").
fn skip_list_marker(line: &str) -> &str {
    let trimmed = line.trim_start();
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && trimmed[digits..].starts_with(". ") {
        &trimmed[digits + 2..]
    } else {
        line
    }
}

/// Runs of ASCII letters, with their byte offsets.
fn letter_runs(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (at, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_ascii_alphabetic(), start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                runs.push((s, &text[s..at]));
                start = None;
            }
            _ => {}
        }
    }
    runs.into_iter()
}

/// A word without one plural `s` ("GPs" and "GP", "ECGs" and "ECG" match).
fn singular(word: &str) -> String {
    match word.strip_suffix('s') {
        Some(stem) if stem.len() >= 2 => stem.to_owned(),
        _ => word.to_owned(),
    }
}

/// A seed page's text without its footnote markers ("[4]", "^[11]"), which are not figures.
fn strip_footnotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(']') {
            out.push_str(rest[..open].trim_end_matches('^'));
            rest = &after[digits + 1..];
        } else {
            out.push_str(&rest[..=open]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The line of `file` where `word` first stands as a whole word, after the settings block of
/// an entry when `after_fences` is 1 (1 when not found).
fn line_of_word(files: &[SourceFile], file: &str, word: &str, after_fences: usize) -> usize {
    let Some(text) = files
        .iter()
        .find(|f| f.path == file)
        .map(|f| f.text.as_str())
    else {
        return 1;
    };
    let body = if after_fences > 0 {
        text.match_indices("+++").nth(1).map_or(0, |(at, _)| at)
    } else {
        0
    };
    let whole = |from: usize| {
        text[from..]
            .match_indices(word)
            .map(|(at, _)| from + at)
            .find(|&at| {
                let before = text[..at].chars().next_back();
                let after = text[at + word.len()..].chars().next();
                !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric)
            })
    };
    whole(body)
        .or_else(|| whole(0))
        .map_or(1, |at| matcher::line_of(text, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_numbers_and_number_words() {
        let keys =
            |text: &str| -> Vec<String> { figures(text).into_iter().map(|(_, key)| key).collect() };
        assert_eq!(
            keys("27 days, over 1.3 million and 350+"),
            ["27", "1.3", "350"]
        );
        assert_eq!(
            keys("usually 3–4 years, a four-year degree"),
            ["3", "4", "4"]
        );
        assert_eq!(keys("1. **Find** a Level 2 post\n12. more"), ["2"]);
        assert_eq!(
            keys("see https://a.org/2024 and e-LfH, A2B, one of them"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn names_are_capitalised_words_inside_sentences() {
        assert_eq!(
            names(
                "Apply through **Oriel**. The RCCP or the AHCS register them.\n- **Life** sciences"
            ),
            ["Oriel", "RCCP", "AHCS"]
        );
        assert_eq!(singular("GPs"), "GP");
        assert_eq!(strip_footnotes("Doctors ^[11] and [x]"), "Doctors  and [x]");
    }

    fn seed(number: &str, text: &str) -> Seed {
        Seed {
            number: number.to_owned(),
            file: format!("{number}_x.txt"),
            text: text.to_owned(),
        }
    }

    const SOURCES: &str = r#"[names]
GP = "general practitioner"

[[page]]
address = "https://a.example/jobs"
seeds = ["000"]
why = "Named by page 000."

[[page]]
address = "https://b.example/hub"
seeds = ["004"]
why = "Page 004's own address."
"#;

    fn entry(body: &str, source: &str) -> SourceFile {
        SourceFile {
            path: "knowledge/x/y.md".to_owned(),
            text: format!(
                "+++\nid = \"x.y\"\ntitle = \"Y\"\nquestions = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]\ncheck = [\"g\"]\nsources = [\"{source}\"]\n+++\n{body}\n"
            ),
        }
    }

    fn problems(body: &str, source: &str) -> Vec<String> {
        let files = vec![
            SourceFile {
                path: "knowledge/sources.toml".to_owned(),
                text: SOURCES.to_owned(),
            },
            entry(body, source),
        ];
        let knowledge = Knowledge::parse(&files).expect("valid knowledge");
        let seeds = [
            seed(
                "000",
                "Leave starts at 27 days. Apply via Oriel. General practitioners, Level 2.",
            ),
            seed(
                "004",
                "Register with the RCCP. A four-year degree, 24-hour ECG, GP surgery.",
            ),
        ];
        check(&knowledge, &files, &seeds)
            .into_iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn facts_must_be_on_the_pages_their_sources_stand_for() {
        let jobs = "https://a.example/jobs";
        assert!(problems("You get 27 days. Training posts use **Oriel**.", jobs).is_empty());
        assert!(problems("Shortages include GPs, at Level 2.", jobs).is_empty());
        assert_eq!(
            problems("You get 28 days.", jobs),
            [
                "knowledge/x/y.md:8: the figure '28' is on none of the seed pages, not on the pages its sources stand for (000)"
            ]
        );
        assert_eq!(
            problems(
                "You get 27 days.\n\nA four-year degree, then the RCCP.",
                jobs
            ),
            [
                "knowledge/x/y.md:10: the figure 'four' is only on page 004, not on the pages its sources stand for (000)",
                "knowledge/x/y.md:10: the name 'RCCP' is only on page 004, not on the pages its sources stand for (000)",
            ]
        );
        assert!(
            problems(
                "A four-year degree, then the RCCP.",
                "https://b.example/hub"
            )
            .is_empty()
        );
    }

    #[test]
    fn a_missing_seed_page_is_reported() {
        let files = vec![SourceFile {
            path: "knowledge/sources.toml".to_owned(),
            text: SOURCES.replace("[\"004\"]", "[\"005\"]"),
        }];
        let knowledge = Knowledge::parse(&files).expect("valid knowledge");
        let found: Vec<String> = check(&knowledge, &files, &[seed("000", "x")])
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            found,
            ["knowledge/sources.toml:10: seed page 005 of 'https://b.example/hub' was not found"]
        );
    }
}
