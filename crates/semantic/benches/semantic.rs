//! Benchmarks: encoding a 20-word message, and top-5 over 2,000 vectors.

#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use semantic::{Encoder, VectorIndex};

const MESSAGE: &str =
    "hiya quick q, im 19 and work in a care home, could i train as a nurse while working? ty";

fn bench(c: &mut Criterion) {
    c.bench_function("build the encoder (embedded artefact)", |b| {
        b.iter(|| Encoder::embedded().expect("artefact"))
    });
    let encoder = Encoder::embedded().expect("artefact");
    assert_eq!(MESSAGE.split_whitespace().count(), 20);
    let mut out = vec![0.0; encoder.dims()];
    c.bench_function("encode a 20-word message", |b| {
        b.iter(|| encoder.encode_into(black_box(MESSAGE), &mut out))
    });
    let mut index = VectorIndex::new(encoder.dims());
    for i in 0..2_000u32 {
        let text = format!("question {i} about nhs careers number {}", i * 7919 % 2_000);
        index.push(i, &encoder.encode(&text)).expect("dims");
    }
    let query = encoder.encode(MESSAGE);
    c.bench_function("top-5 over 2,000 vectors", |b| {
        b.iter(|| index.top_k(black_box(&query), 5))
    });
    let mut scores = Vec::new();
    c.bench_function("scores of 2,000 vectors", |b| {
        b.iter(|| index.scores_into(black_box(&query), &mut scores))
    });
    c.bench_function("top-5 labels over 2,000 vectors", |b| {
        b.iter(|| index.top_k_labels(black_box(&query), 5))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
