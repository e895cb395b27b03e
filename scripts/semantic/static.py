"""A static encoder in Python, the same computation as crates/semantic's `Encoder`.

A text is tokenised as BERT does (the teacher's own tokenizer.json: lowercase, strip accents,
split punctuation, WordPiece), without [CLS]/[SEP]; its vector is the mean of its tokens' rows,
normalised. Token weights are baked into the rows' lengths.
"""

from __future__ import annotations

import os

import numpy as np
from tokenizers import Tokenizer

from common import teacher_path


def bert_tokenizer() -> Tokenizer:
    tok = Tokenizer.from_file(os.path.join(teacher_path(), "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


class StaticEncoder:
    def __init__(self, table: np.ndarray, tokenizer: Tokenizer | None = None):
        self.table = np.asarray(table, dtype=np.float32)
        self.tok = tokenizer or bert_tokenizer()

    def ids(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.tok.encode_batch(texts, add_special_tokens=False)]

    def __call__(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        for i, ids in enumerate(self.ids(texts)):
            if ids:
                v = self.table[ids].mean(axis=0)
                out[i] = v / max(np.linalg.norm(v), 1e-12)
        return out


def zipf_sif_weights(n: int, sif: float = 1e-4) -> np.ndarray:
    """model2vec's weights: token rank as a stand-in for frequency (Zipf), then SIF a/(a+p)."""
    inv_rank = 1.0 / np.arange(2, n + 2)
    p = inv_rank / inv_rank.sum()
    return sif / (sif + p)


def pca(table: np.ndarray, dims: int, fit_on: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Project onto the top `dims` principal components of `fit_on` (default: the table), centred as model2vec."""
    X = table if fit_on is None else fit_on
    mean = X.mean(axis=0)
    _, _, vt = np.linalg.svd(X - mean, full_matrices=False)
    comp = vt[:dims]
    return (table - mean) @ comp.T, comp
