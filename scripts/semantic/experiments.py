"""Measure every variant of the static table against the teacher (and the plain distilled table).

For each variant: nearest-question accuracy on the realistic tuning set, the shared dev set and
tests/eval/fresh.jsonl (common.Bench.retrieval), and leave-one-out kNN accuracy per label on
tests/eval/safety.jsonl (k = 1 and 3). Variants trained with --no-tuning texts have never seen
any measured text; those trained with the tuning texts have seen the realistic and safety
texts (never their labels), so only dev and fresh are unseen for them.

    python experiments.py [--teacher]    # one JSON line per variant; about an hour on 2 cores
"""

from __future__ import annotations

import argparse
import json

import numpy as np

import artefact
import corpus
from common import Bench, load_teacher, normalise
from static import StaticEncoder, bert_tokenizer, pca, zipf_sif_weights
from teacher import embed
from train import token_ids, train, train_projected

WORK = "/tmp/semantic"


def distilled() -> tuple[list[str], np.ndarray, np.ndarray]:
    z = np.load(f"{WORK}/distilled.npz")
    vocab = [str(v) for v in z["vocab"]]
    keep = artefact.keep_tokens(vocab)
    return vocab, z["table"], keep


def sif(keep: np.ndarray, coefficient: float = 1e-4) -> np.ndarray:
    """model2vec's Zipf/SIF weights by rank among the tokens kept (1 for dropped tokens)."""
    w = np.ones(len(keep), dtype=np.float32)
    w[keep] = zipf_sif_weights(int(keep.sum()), coefficient)
    return w


def project(table: np.ndarray, keep: np.ndarray, dims: int, fit_on: str, sentences: np.ndarray | None = None):
    """PCA to `dims`: fitted on the kept token rows ("tokens") or on sentence vectors ("sentences")."""
    if fit_on == "tokens":
        out, _ = pca(table, dims, fit_on=table[keep])
        return out
    mean = sentences.mean(axis=0)
    _, _, vt = np.linalg.svd(sentences - mean, full_matrices=False)
    return (table - mean) @ vt[:dims].T


def sentence_means(table: np.ndarray, ids: list[list[int]]) -> np.ndarray:
    return np.stack([table[i].mean(axis=0) if i else np.zeros(table.shape[1]) for i in ids])


def centroids(bench: Bench, enc, name: str) -> dict:
    """Retrieval against one vector per entry or role (the mean of its texts' vectors)."""
    import re

    D = normalise(enc(bench.doc_texts))
    labels = sorted(set(bench.doc_labels))
    where = {label: i for i, label in enumerate(labels)}
    answer = dict(zip(bench.doc_labels, bench.doc_answers))
    C = np.zeros((len(labels), D.shape[1]), dtype=np.float32)
    for label, v in zip(bench.doc_labels, D):
        C[where[label]] += v
    C = normalise(C)
    row = {"variant": name}
    for set_name, qs in bench.sets.items():
        best = (normalise(enc([q["text"] for q in qs])) @ C.T).argmax(axis=1)
        ok = sum(all(re.search(p, answer[labels[i]]) for p in q["expect"]) for q, i in zip(qs, best))
        row[set_name] = round(ok / len(qs), 3)
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--teacher", action="store_true", help="measure the teacher itself too (slow)")
    args = ap.parse_args()

    bench = Bench()
    tok = bert_tokenizer()
    vocab, raw, keep = distilled()
    w = sif(keep)
    rows = []

    def run(name, table, **kw):
        enc = StaticEncoder(table, tok)
        rows.append(bench.all(name, enc, **kw))
        return enc

    if args.teacher:
        m = load_teacher()
        run_t = lambda t: m.encode(t, batch_size=64, normalize_embeddings=True)  # noqa: E731
        rows.append(bench.all("teacher all-MiniLM-L6-v2", run_t))

    run("distilled, 384 dims, no weights", raw)
    run("distilled, 384 dims, SIF", raw * w[:, None])
    for d in (256, 128):
        run(f"distilled, PCA {d} (tokens), SIF (model2vec)", project(raw, keep, d, "tokens") * w[:, None])

    for tuning in (False, True):
        texts = corpus.build(tuning)
        Y = embed(texts, f"{WORK}/teacher_cache.npz")
        ids = token_ids(texts)
        tag = "tuning texts" if tuning else "no tuning texts"
        trained = train(raw * w[:, None], ids, Y, epochs=args.epochs)
        np.save(f"{WORK}/trained_{'tune' if tuning else 'notune'}.npy", trained)
        enc = run(f"trained ({tag}), 384 dims", trained)
        teacher_docs = None
        if not tuning:
            m = load_teacher()
            teacher_docs = lambda t: m.encode(t, batch_size=64, normalize_embeddings=True)  # noqa: E731
            rows.append(bench.all(f"trained ({tag}), 384 dims, teacher-encoded documents", enc, doc_encode=teacher_docs))
        S = sentence_means(trained, ids)
        for d in (256, 128, 64):
            run(f"trained ({tag}), PCA {d} (sentences)", project(trained, keep, d, "sentences", S))
        run(f"trained ({tag}), PCA 128 (tokens)", project(trained, keep, 128, "tokens"))
        P = project(trained, keep, 128, "sentences", S)
        scale, q = artefact.quantise(P)
        run(f"trained ({tag}), PCA 128 (sentences), int8", artefact.dequantise(scale, q))
        if not tuning:
            rows.append(centroids(bench, StaticEncoder(P, tok), f"trained ({tag}), PCA 128 (sentences), one mean vector per entry"))
            for d in (128, 256):
                R = train_projected(trained, ids, Y, d, epochs=3)
                run(f"trained ({tag}), then {d} dims trained on the PCA-projected teacher", R)
    json.dump(rows, open(f"{WORK}/experiments.json", "w"), indent=1)


if __name__ == "__main__":
    main()
