//! The stages of understanding a message, on the real content: reading it
//! (`matcher::Analyzer::analyze`: words, typos, synonyms) and retrieving knowledge entries
//! (`knowledge::Retriever::search`). `cargo bench -p engine --bench understand`.
#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use engine::{Content, Engine};
use knowledge::Retriever;

/// The engine built on the real content, and a retriever over its knowledge built with the
/// engine's own analyzer.
fn stages() -> (Engine, Retriever) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let content = Content::from_dirs(&root.join("knowledge"), &root.join("intents"))
        .expect("content is readable");
    let engine = Engine::new(&content).expect("content is valid");
    let retriever = Retriever::new(engine.knowledge(), engine.analyzer()).expect("index builds");
    (engine, retriever)
}

fn messages() -> Vec<(&'static str, String)> {
    vec![
        ("answer", "how do I apply for an NHS job?".to_owned()),
        ("typos", "wat qualificatons do i need for nursng".to_owned()),
        (
            "text_speak",
            "hiya quick q im 19 n work in a care home cud i train as a nurse tbh".to_owned(),
        ),
        ("out_of_scope", "who won the football last night".to_owned()),
        (
            "long",
            "tell me about apprenticeships and pensions ".repeat(40),
        ),
        ("one_word_1mb", "a".repeat(1 << 20)),
        (
            "many_words_1mb",
            "nursng qualificatons ".repeat((1 << 20) / 21),
        ),
    ]
}

fn analyze(c: &mut Criterion) {
    let (engine, _) = stages();
    let analyzer = engine.analyzer();
    for (name, text) in messages() {
        c.bench_function(&format!("analyze/{name}"), |b| {
            b.iter(|| analyzer.analyze(black_box(&text)))
        });
    }
}

fn search(c: &mut Criterion) {
    let (engine, retriever) = stages();
    for (name, text) in messages() {
        let analysis = engine.analyzer().analyze(&text);
        c.bench_function(&format!("search/{name}"), |b| {
            b.iter(|| retriever.search(black_box(&analysis)))
        });
    }
}

criterion_group!(benches, analyze, search);
criterion_main!(benches);
