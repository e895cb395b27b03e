//! Every transcript in `tests/transcripts/` as its own test, and self-tests of the runner: a
//! transcript that must fail does, at the right line; a malformed one is a parse error.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use engine::{Content, Engine};
use transcripts::{Runner, parse};

/// The engine on the repository's content, built once for all tests.
fn engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Arc::clone(ENGINE.get_or_init(|| {
        let content = Content::from_dirs(&root.join("knowledge"), &root.join("intents"))
            .expect("content is readable");
        Arc::new(Engine::new(&content).expect("content is valid"))
    }))
}

/// Runs one transcript file; panics with every failure, by file and line.
fn check_file(path: &str) {
    let text = std::fs::read_to_string(path).expect("transcript is readable");
    let transcript = parse(path, &text).unwrap_or_else(|e| panic!("{e}"));
    let failures = Runner::new(engine())
        .run(&transcript)
        .expect("transcript runs");
    let report: Vec<String> = failures.iter().map(ToString::to_string).collect();
    assert!(report.is_empty(), "\n{}", report.join("\n"));
}

include!(concat!(env!("OUT_DIR"), "/transcript_tests.rs"));

fn fixture(name: &str) -> (String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture is readable");
    (path.display().to_string(), text)
}

#[test]
fn a_wrong_expectation_fails_at_its_line_with_the_reply() {
    let (path, text) = fixture("must-fail.convo");
    let transcript = parse(&path, &text).expect("valid transcript");
    let failures = Runner::new(engine()).run(&transcript).expect("runs");
    let lines: Vec<usize> = failures.iter().map(|f| f.line).collect();
    assert_eq!(lines, [6, 7, 8, 9, 12, 16], "{failures:#?}");
    let first = &failures[0];
    assert!(
        first
            .expected
            .contains("the reply to contain 'weather forecast'")
    );
    assert!(
        first.reply.contains("NHS Jobs"),
        "the reply is shown: {}",
        first.reply
    );
    assert!(
        first
            .to_string()
            .starts_with(&format!("{path}:6: expected "))
    );
    assert!(
        failures[4]
            .expected
            .contains("a button containing 'No such button'")
    );
    assert!(failures[5].expected.contains("a reply to nobody"));
}

#[test]
fn a_malformed_transcript_is_a_parse_error_not_a_skip() {
    let (path, text) = fixture("malformed.convo");
    let error = parse(&path, &text).expect_err("malformed");
    assert_eq!(error.line, 5);
    assert!(
        error.to_string().starts_with(&format!("{path}:5: ")),
        "{error}"
    );
}

#[test]
fn state_survives_a_restart_and_users_are_kept_apart() {
    let text = "user: how do I apply for NHS jobs?\ntopic: apply.overview\n@restart\n@user other\nuser: tell me more\nfallback: yes\n@user tester\nuser: tell me more\nfallback: no\ntopic: apply.overview\n";
    let transcript = parse("inline.convo", text).expect("valid");
    let failures = Runner::new(engine()).run(&transcript).expect("runs");
    assert!(failures.is_empty(), "{failures:#?}");
}
