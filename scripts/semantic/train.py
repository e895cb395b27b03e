"""Step 3: train the static table so that the mean of a sentence's token rows points where
all-MiniLM-L6-v2's embedding of that sentence points (tokenlearn-style distillation).

The table starts as the distilled one (`distill.py`), weighted by `static.zipf_sif_weights`.
Its rows live in the teacher's own 384-dimensional space, and the loss is the cosine distance
between the normalised mean of a sentence's rows and the teacher's normalised embedding of the
sentence, over the corpus of `corpus.py`. A row's length is its token's weight, so the weights
are learned with the directions. Rows of tokens that never occur in the corpus stay as
distilled (sparse updates). A held-out twentieth of the corpus gives the validation loss.
"""

from __future__ import annotations

import numpy as np
import torch

from static import bert_tokenizer


def token_ids(texts: list[str]) -> list[list[int]]:
    tok = bert_tokenizer()
    return [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]


def _batch(ids: list[list[int]], rows: np.ndarray):
    flat = [t for i in rows for t in (ids[i] or [100])]
    offsets = np.cumsum([0] + [len(ids[i]) or 1 for i in rows[:-1]])
    return torch.tensor(flat), torch.tensor(offsets)


def train(
    table: np.ndarray,
    ids: list[list[int]],
    targets: np.ndarray,
    epochs: int = 10,
    lr: float = 0.01,
    batch: int = 256,
    seed: int = 0,
    log=print,
) -> np.ndarray:
    """Return the trained copy of `table` (rows: tokens; columns: the targets' dimensions)."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    n = len(ids)
    perm = rng.permutation(n)
    val, fit = perm[: n // 20], perm[n // 20 :]
    emb = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(table, dtype=torch.float32), freeze=False, mode="mean", sparse=True)
    opt = torch.optim.SparseAdam(emb.parameters(), lr=lr)
    Y = torch.nn.functional.normalize(torch.tensor(targets, dtype=torch.float32), dim=1)

    def loss_of(rows) -> torch.Tensor:
        flat, offsets = _batch(ids, rows)
        x = torch.nn.functional.normalize(emb(flat, offsets), dim=1)
        return (1 - (x * Y[rows]).sum(dim=1)).mean()

    for epoch in range(epochs):
        rng.shuffle(fit)
        total = 0.0
        for start in range(0, len(fit), batch):
            rows = fit[start : start + batch]
            opt.zero_grad()
            loss = loss_of(rows)
            loss.backward()
            opt.step()
            total += loss.item() * len(rows)
        with torch.no_grad():
            v = loss_of(val).item()
        log(f"epoch {epoch + 1}: train {total / len(fit):.4f}, validation {v:.4f}")
    return emb.weight.detach().numpy().copy()


def projection(targets: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean and the top `dims` principal axes of the teacher's embeddings of the corpus."""
    mean = targets.mean(axis=0)
    _, _, vt = np.linalg.svd(targets - mean, full_matrices=False)
    return mean, vt[:dims]


def train_projected(table: np.ndarray, ids: list[list[int]], targets: np.ndarray, dims: int, epochs: int = 3, **kw):
    """Train a `dims`-dimensional table against the teacher's embeddings projected on their
    own principal axes (centred), starting from `table` (teacher space) projected on the same
    axes after centring its sentence means."""
    mean, axes = projection(targets, dims)
    sentences = np.stack([table[i].mean(axis=0) if i else np.zeros(table.shape[1]) for i in ids])
    start = (table - sentences.mean(axis=0)) @ axes.T
    return train(start.astype(np.float32), ids, (targets - mean) @ axes.T, epochs=epochs, **kw)
