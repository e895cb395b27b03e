//! The allow-list of web addresses content may cite or link (`knowledge/sources.toml`), and the
//! check that every address in a content file is on it.
//!
//! Each listed page says which saved source pages ("seeds", numbered `000`, `001`, …) it stands
//! for, so that `provenance` can check an entry's facts against the pages it cites.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use crate::{Error, SourceFile};

/// The name of the allow-list file, at the top of the knowledge folder.
pub const SOURCES_FILE: &str = "sources.toml";

/// One address that may be cited.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// The exact `https` address.
    pub address: String,
    /// The numbers of the saved source pages whose facts it may be cited for (`"001"`).
    pub seeds: Vec<String>,
    /// Why it may be cited: whose address it is, or which page gives or names it.
    pub why: String,
}

/// The allow-list: every address content may use, and what each stands for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    /// Short names used in answers with the longer form a source page may use instead
    /// (`GP` for "general practitioner"); see `provenance`.
    #[serde(default)]
    pub names: BTreeMap<String, String>,
    /// The allowed pages.
    #[serde(rename = "page")]
    pub pages: Vec<Page>,
    /// The file the list came from.
    #[serde(skip)]
    pub file: String,
}

impl Sources {
    /// Parses and checks the allow-list; errors name `file` and the line.
    pub fn parse(file: &str, text: &str) -> Result<Sources, Error> {
        let mut sources: Sources = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| matcher::line_of(text, s.start));
            Error::invalid(file, line, crate::toml_message(&e))
        })?;
        sources.file = file.to_owned();
        let line_of = |address: &str| {
            let quoted = format!("\"{address}\"");
            text.find(&quoted)
                .map_or(1, |at| matcher::line_of(text, at))
        };
        let mut seen = HashSet::new();
        for page in &sources.pages {
            let fail = |message: String| Err(Error::invalid(file, line_of(&page.address), message));
            if !is_web_address(&page.address) || !page.address.starts_with("https://") {
                return fail(format!("'{}' is not an https:// address", page.address));
            }
            if !seen.insert(trim_slash(&page.address)) {
                return fail(format!("'{}' is listed twice", page.address));
            }
            if page.seeds.is_empty() || page.why.trim().is_empty() {
                return fail(format!(
                    "'{}' needs the seed pages it stands for and why it may be cited",
                    page.address
                ));
            }
            if let Some(bad) = page.seeds.iter().find(|s| !is_seed_number(s)) {
                return fail(format!("seed page '{bad}' is not a three-digit number"));
            }
        }
        Ok(sources)
    }

    /// The allow-list among `files` (the file named `sources.toml` outside `roles/`), if any.
    pub fn find(files: &[SourceFile]) -> Result<Option<Sources>, Error> {
        files
            .iter()
            .find(|f| is_sources_file(&f.path))
            .map(|f| Sources::parse(&f.path, &f.text))
            .transpose()
    }

    /// The listed page with this address (a trailing `/` is ignored).
    pub fn page(&self, address: &str) -> Option<&Page> {
        let address = trim_slash(address);
        self.pages
            .iter()
            .find(|p| trim_slash(&p.address) == address)
    }

    /// Checks that every web address written in `files` (source links, links in answers,
    /// tailoring notes: any `http://` or `https://` in the text) is `https` and on the list.
    /// README files, the list itself and whole-line comments of TOML files (such as a data
    /// file's credit to where it came from) are skipped: users never see them.
    pub fn check_files(&self, files: &[SourceFile]) -> Result<(), Error> {
        for file in files {
            let name = file.path.rsplit(['/', '\\']).next().unwrap_or(&file.path);
            if name.eq_ignore_ascii_case("README.md") || is_sources_file(&file.path) {
                continue;
            }
            let toml = name.ends_with(".toml");
            for (at, address) in addresses(&file.text) {
                let line_start = file.text[..at].rfind('\n').map_or(0, |n| n + 1);
                if toml && file.text[line_start..at].trim_start().starts_with('#') {
                    continue;
                }
                let line = matcher::line_of(&file.text, at);
                if !address.starts_with("https://") {
                    let message = format!("the address '{address}' is not an https:// link");
                    return Err(Error::invalid(&file.path, line, message));
                }
                if self.page(address).is_none() {
                    let message = format!(
                        "the address '{address}' is not on the allow-list in {}",
                        self.file
                    );
                    return Err(Error::invalid(&file.path, line, message));
                }
            }
        }
        Ok(())
    }
}

/// True for the allow-list's path: `sources.toml`, not in a `roles` folder.
fn is_sources_file(path: &str) -> bool {
    let path = path.replace('\\', "/");
    let name = path.rsplit('/').next().unwrap_or(&path);
    name == SOURCES_FILE && !path.contains("roles/")
}

fn is_seed_number(seed: &str) -> bool {
    seed.len() == 3 && seed.bytes().all(|b| b.is_ascii_digit())
}

fn trim_slash(address: &str) -> &str {
    address.strip_suffix('/').unwrap_or(address)
}

/// True when `text` looks like one web address: a scheme, a host, and no spaces.
pub(crate) fn is_web_address(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && !text.contains(char::is_whitespace)
}

/// Every web address in `text`, with its byte offset: from `http://` or `https://` to the
/// first space, quote or bracket, without trailing punctuation.
pub(crate) fn addresses(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("http").map(|n| from + n) {
        let rest = &text[at..];
        if !(rest.starts_with("https://") || rest.starts_with("http://")) {
            from = at + 4;
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || "\"'<>()[]{}`".contains(c))
            .unwrap_or(rest.len());
        let address = rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', '*']);
        found.push((at, address));
        from = at + end.max(1);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r#"[names]
GP = "general practitioner"

[[page]]
address = "https://www.jobs.nhs.uk"
seeds = ["000"]
why = "NHS Jobs, named by page 000."

[[page]]
address = "https://www.healthcareers.nhs.uk/explore-roles/nursing"
seeds = ["000", "001"]
why = "Linked from page 001."
"#;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile {
            path: path.to_owned(),
            text: text.to_owned(),
        }
    }

    fn check(text: &str, expect: Result<(), &str>) {
        let sources = Sources::parse("knowledge/sources.toml", LIST).expect("valid list");
        let result = sources.check_files(&[file("knowledge/x.md", text)]);
        assert_eq!(
            result.map_err(|e| e.to_string()),
            expect.map_err(str::to_owned)
        );
    }

    #[test]
    fn finds_addresses_in_text() {
        let text = "See https://a.org/x, or (https://b.org/y). \"http://c.org\"\nhttps";
        let found: Vec<&str> = addresses(text).into_iter().map(|(_, a)| a).collect();
        assert_eq!(
            found,
            ["https://a.org/x", "https://b.org/y", "http://c.org"]
        );
    }

    #[test]
    fn only_listed_https_addresses_pass() {
        check("sources = [\"https://www.jobs.nhs.uk\"]\n", Ok(()));
        check("Read https://www.jobs.nhs.uk/ now.\n", Ok(()));
        check(
            "Nurses: https://www.healthcareers.nhs.uk/explore-roles/nursing.\n",
            Ok(()),
        );
        check(
            "one\nsources = [\"https://www.healthandsciencecareersne.co.uk/pathways-to-healthcare\"]\n",
            Err(
                "knowledge/x.md:2: the address 'https://www.healthandsciencecareersne.co.uk/pathways-to-healthcare' is not on the allow-list in knowledge/sources.toml",
            ),
        );
        check(
            "See http://www.jobs.nhs.uk\n",
            Err("knowledge/x.md:1: the address 'http://www.jobs.nhs.uk' is not an https:// link"),
        );
        check(
            "https://www.healthcareers.nhs.uk/explore-roles/nursing/made-up\n",
            Err(
                "knowledge/x.md:1: the address 'https://www.healthcareers.nhs.uk/explore-roles/nursing/made-up' is not on the allow-list in knowledge/sources.toml",
            ),
        );
    }

    #[test]
    fn readme_the_list_itself_and_toml_comments_are_not_checked() {
        let sources = Sources::parse("knowledge/sources.toml", LIST).expect("valid list");
        let files = [
            file("knowledge/README.md", "https://example.org"),
            file("knowledge/sources.toml", "https://example.org"),
            file(
                "intents/places.toml",
                "# From GeoNames (https://example.org)\nx = 1\n",
            ),
        ];
        assert!(sources.check_files(&files).is_ok());
        let note = file(
            "intents/profile.toml",
            "# ok\nnote = \"see https://example.org\" # x\n",
        );
        let err = sources.check_files(&[note]).expect_err("not a comment");
        assert!(
            err.to_string().starts_with("intents/profile.toml:2: "),
            "{err}"
        );
        let md = file("knowledge/x.md", "# https://example.org\n");
        assert!(
            sources.check_files(&[md]).is_err(),
            "a Markdown heading is shown"
        );
    }

    #[test]
    fn a_malformed_list_names_file_and_line() {
        let fail = |text: &str| {
            Sources::parse("s.toml", text)
                .expect_err("invalid")
                .to_string()
        };
        assert_eq!(
            fail(&LIST.replace("https://www.jobs", "http://www.jobs")),
            "s.toml:5: 'http://www.jobs.nhs.uk' is not an https:// address"
        );
        assert_eq!(
            fail(&format!(
                "{LIST}\n[[page]]\naddress = \"https://www.jobs.nhs.uk/\"\nseeds = [\"000\"]\nwhy = \"x\"\n"
            )),
            "s.toml:15: 'https://www.jobs.nhs.uk/' is listed twice"
        );
        assert_eq!(
            fail(&LIST.replace("[\"000\"]", "[\"0\"]")),
            "s.toml:5: seed page '0' is not a three-digit number"
        );
        assert_eq!(
            fail(&LIST.replace("why = \"Linked from page 001.\"", "why = \"\"")),
            "s.toml:10: 'https://www.healthcareers.nhs.uk/explore-roles/nursing' needs the seed pages it stands for and why it may be cited"
        );
        assert!(fail(&LIST.replace("why", "because")).starts_with("s.toml:"));
    }
}
