"""How the static table and the lexical bot fail on different messages.

    careerbot eval tests/eval/realistic.jsonl --json > /tmp/lex.json
    python overlap.py /tmp/lex.json [semantic/model.bin]

For the set's in-scope and typo messages: how many each gets right (the bot by its eval, the
table by nearest-question retrieval as common.Bench measures it), both, either, and neither.
"""

from __future__ import annotations

import json
import re
import sys

import artefact
from common import ROOT, Bench, load_jsonl, normalise
from static import StaticEncoder, bert_tokenizer


def artefact_encoder(model) -> StaticEncoder:
    """The Python twin of the crate's encoder for an artefact (rows re-indexed by the teacher's token ids)."""
    vocab, table = artefact.read(model)
    tok = bert_tokenizer()
    index = {t: i for i, t in enumerate(vocab)}
    remap = [index.get(tok.id_to_token(i), index["[UNK]"]) for i in range(tok.get_vocab_size())]
    return StaticEncoder(table[remap], tok)


def main() -> None:
    lex = json.load(open(sys.argv[1]))
    model = sys.argv[2] if len(sys.argv) > 2 else str(ROOT / "semantic/model.bin")
    failed = {f["id"] for f in lex["failures"]}
    enc = artefact_encoder(model)
    bench = Bench()
    D = normalise(enc(bench.doc_texts))
    ids = {q["id"] for q in load_jsonl(ROOT / "tests/eval/realistic.jsonl")}
    name = "realistic" if {f["id"] for f in lex["failures"]} <= ids else "dev"
    qs = bench.sets[name]
    best = (normalise(enc([q["text"] for q in qs])) @ D.T).argmax(axis=1)
    counts = {"both": 0, "static only": 0, "lexical only": 0, "neither": 0}
    for q, i in zip(qs, best):
        sem = all(re.search(p, bench.doc_answers[i]) for p in q["expect"])
        lexical = q["id"] not in failed
        key = "both" if sem and lexical else "static only" if sem else "lexical only" if lexical else "neither"
        counts[key] += 1
    n = len(qs)
    print(json.dumps({"set": name, "messages": n, **counts,
                      "lexical": round((counts["both"] + counts["lexical only"]) / n, 3),
                      "static": round((counts["both"] + counts["static only"]) / n, 3),
                      "either": round((n - counts["neither"]) / n, 3)}))


if __name__ == "__main__":
    main()
