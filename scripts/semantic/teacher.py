"""Teacher embeddings of a corpus (all-MiniLM-L6-v2, normalised), cached by text in a .npz file."""

from __future__ import annotations

import os

import numpy as np
import torch

from common import load_teacher


def embed(texts: list[str], cache: str) -> np.ndarray:
    known: dict[str, np.ndarray] = {}
    if os.path.exists(cache):
        z = np.load(cache)
        known = dict(zip(z["texts"].tolist(), z["vectors"]))
    todo = sorted({t for t in texts if t not in known}, key=len)
    if todo:
        torch.set_num_threads(os.cpu_count() or 1)
        model = load_teacher()
        vectors = model.encode(todo, batch_size=128, normalize_embeddings=True, show_progress_bar=False)
        known.update(zip(todo, vectors))
        np.savez(cache, texts=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[t] for t in texts]).astype(np.float32)
