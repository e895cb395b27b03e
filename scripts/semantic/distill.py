"""Step 1: distil one static vector per WordPiece token from all-MiniLM-L6-v2 (model2vec's method).

Each token of the teacher's vocabulary is run through the transformer on its own, as
`[CLS] token [SEP]`, and the three output vectors are averaged (the teacher's own mean pooling).
The result is the raw table (vocabulary size x 384, float32) that `train.py` starts from.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from common import teacher_path


def distil(batch: int = 512) -> tuple[list[str], np.ndarray]:
    from transformers import AutoModel, AutoTokenizer

    path = teacher_path()
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    vocab = [t for t, _ in sorted(tok.get_vocab().items(), key=lambda kv: kv[1])]
    out = np.zeros((len(vocab), model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(vocab), batch):
            ids = torch.arange(start, min(start + batch, len(vocab)))
            inp = torch.stack(
                [torch.full_like(ids, tok.cls_token_id), ids, torch.full_like(ids, tok.sep_token_id)], dim=1
            )
            hidden = model(input_ids=inp, attention_mask=torch.ones_like(inp)).last_hidden_state
            out[start : start + len(ids)] = hidden.mean(dim=1).numpy()
    return vocab, out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="/tmp/semantic/distilled.npz")
    args = ap.parse_args()
    torch.set_num_threads(2)
    vocab, table = distil()
    np.savez(args.out, vocab=np.array(vocab), table=table)
    print(f"{len(vocab)} tokens x {table.shape[1]} dims -> {args.out}")
