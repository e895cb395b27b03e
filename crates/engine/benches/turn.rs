//! The engine's time per turn on the real content: `cargo bench -p engine`.
//! (`cargo bench -p engine --bench understand` times its stages; `careerbot bench` measures
//! whole conversations with the durable save.)
#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use engine::{Content, Engine, Input, UserState};

fn engine() -> Engine {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let content = Content::from_dirs(&root.join("knowledge"), &root.join("intents"))
        .expect("content is readable");
    Engine::new(&content).expect("content is valid")
}

fn turns(c: &mut Criterion) {
    let engine = engine();
    let fresh = UserState::default();
    let messages = [
        ("answer", "how do I apply for an NHS job?"),
        ("typos", "wat qualificatons do i need for nursng"),
        ("out_of_scope", "who won the football last night"),
        ("emergency", "my dad has chest pain and can't breathe"),
        (
            "long",
            &"tell me about apprenticeships and pensions ".repeat(40),
        ),
        ("one_word_1mb", &"a".repeat(1 << 20)),
        (
            "many_words_1mb",
            &"nursng qualificatons ".repeat((1 << 20) / 21),
        ),
    ];
    for (name, text) in messages {
        let input = Input::text(text);
        c.bench_function(&format!("turn/{name}"), |b| {
            b.iter(|| engine.turn(black_box(&fresh), black_box(&input)))
        });
    }
    let (_, nursing) = engine.turn(&fresh, &Input::text("tell me about nursing"));
    let follow_up = Input::text("how long does that take?");
    c.bench_function("turn/follow_up", |b| {
        b.iter(|| engine.turn(black_box(&nursing), black_box(&follow_up)))
    });
}

criterion_group!(benches, turns);
criterion_main!(benches);
