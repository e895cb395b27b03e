//! Properties of the transcript parser, on any text: it never panics; an error names the file
//! and a line of it; every step it reads keeps its line number, in order.

use proptest::prelude::*;
use transcripts::parse;

/// Transcript-like text: valid lines, near misses and arbitrary lines.
fn transcript() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        3 => prop::sample::select(vec![
            "user: hi", "bot: hello", "bot!: goodbye", "bot~: (?i)h(i|ello)", "bot~: (unclosed",
            "topic: smalltalk.greeting", "fallback: yes", "fallback: maybe", "button: Apply",
            "source: nhs.uk", "@user sam", "@channel discord", "@channel irc", "@press Apply",
            "@restart", "@restart now", "@teleport", "---", "# a comment", "", "   ", "user:",
            "bot:", ":", "@", "user: ::::",
        ]).prop_map(str::to_owned),
        1 => "[a-z@#:~! -]{0,20}",
        1 => any::<String>().prop_map(|s| s.replace(['\n', '\r'], " ")),
    ];
    prop::collection::vec(line, 0..40).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #[test]
    fn parsing_never_panics_and_keeps_line_numbers(text in transcript()) {
        let lines = text.lines().count();
        match parse("t.convo", &text) {
            Ok(parsed) => {
                let numbers: Vec<usize> = parsed
                    .conversations
                    .iter()
                    .flat_map(|c| c.steps.iter().map(|s| s.number))
                    .collect();
                prop_assert!(!numbers.is_empty());
                prop_assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
                prop_assert!(numbers.iter().all(|n| (1..=lines).contains(n)), "{numbers:?}");
                prop_assert!(parsed.conversations.iter().all(|c| !c.steps.is_empty()));
            }
            Err(error) => {
                prop_assert!((1..=lines.max(1)).contains(&error.line), "{error}");
                let prefix = format!("t.convo:{}: ", error.line);
                prop_assert!(error.to_string().starts_with(&prefix), "{error}");
            }
        }
    }
}
