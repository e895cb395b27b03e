//! The crate against the Python side (scripts/semantic/fixtures.py): the same tokens as the
//! teacher's own tokenizer, and the same vectors as numpy computes from the same artefact.

#![cfg(feature = "embedded")]
#![allow(missing_docs)]

use semantic::Encoder;
use serde_json::Value;

fn fixture(name: &str) -> Vec<Value> {
    let text = match name {
        "tokens" => include_str!("fixtures/tokens.json"),
        _ => include_str!("fixtures/vectors.json"),
    };
    serde_json::from_str(text).expect("fixture is JSON")
}

#[test]
fn tokens_are_the_teachers() {
    let encoder = Encoder::embedded().expect("artefact");
    let mut failures = Vec::new();
    for case in fixture("tokens") {
        let text = case["text"].as_str().expect("text");
        let expected: Vec<&str> = case["tokens"]
            .as_array()
            .expect("tokens")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let got = encoder.tokens(text);
        if got != expected {
            failures.push(format!(
                "{text:?}\n  expected {expected:?}\n  got      {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn vectors_are_the_python_sides() {
    let encoder = Encoder::embedded().expect("artefact");
    for case in fixture("vectors") {
        let text = case["text"].as_str().expect("text");
        let expected: Vec<f32> = case["vector"]
            .as_array()
            .expect("vector")
            .iter()
            .filter_map(Value::as_f64)
            .map(|x| x as f32)
            .collect();
        let got = encoder.encode(text);
        assert_eq!(got.len(), expected.len(), "{text:?}");
        let worst = got
            .iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            worst < 1e-4,
            "{text:?}: differs from Python by up to {worst}"
        );
    }
}
