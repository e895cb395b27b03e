"""Write and read the artefact that crates/semantic reads (layout: crates/semantic/src/artefact.rs)."""

from __future__ import annotations

import struct

import numpy as np

MAGIC = b"CBSEMV01"
F32, I8 = 0, 1
DROP = ("[PAD]", "[CLS]", "[SEP]", "[MASK]")


def keep_tokens(vocab: list[str]) -> np.ndarray:
    """Tokens WordPiece can produce: all but [unusedN] and the special tokens other than [UNK]."""
    return np.array([not (t.startswith("[unused") or t in DROP) for t in vocab])


def quantise(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row symmetric int8: row ~ scale * q, q in -127..127."""
    scale = np.abs(table).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(table / scale[:, None]), -127, 127).astype(np.int8)
    return scale.astype(np.float32), q


def dequantise(scale: np.ndarray, q: np.ndarray) -> np.ndarray:
    return scale[:, None].astype(np.float32) * q.astype(np.float32)


def write(path, vocab: list[str], table: np.ndarray, fmt: int = I8, max_chars: int = 100, max_tokens: int = 256) -> None:
    text = "".join(vocab).encode("utf-8")
    offsets = np.zeros(len(vocab) + 1, dtype="<u4")
    offsets[1:] = np.cumsum([len(t.encode("utf-8")) for t in vocab])
    header = MAGIC + struct.pack(
        "<7I", table.shape[1], len(vocab), vocab.index("[UNK]"), max_chars, max_tokens, fmt, len(text)
    )
    if fmt == I8:
        scale, q = quantise(table)
        rows = np.zeros(len(vocab), dtype=[("scale", "<f4"), ("q", "i1", (table.shape[1],))])
        rows["scale"], rows["q"] = scale, q
    else:
        rows = table.astype("<f4")
    with open(path, "wb") as f:
        f.write(header + offsets.tobytes() + text + rows.tobytes())


def read(path) -> tuple[list[str], np.ndarray]:
    """The vocabulary and the (dequantised) table, exactly as the crate reads them."""
    data = open(path, "rb").read()
    assert data[:8] == MAGIC
    dims, n, _unk, _mc, _mt, fmt, text_len = struct.unpack("<7I", data[8:36])
    offsets = np.frombuffer(data, dtype="<u4", count=n + 1, offset=36)
    at = 36 + 4 * (n + 1)
    text = data[at : at + text_len]
    vocab = [text[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    at += text_len
    if fmt == I8:
        rows = np.frombuffer(data, dtype=[("scale", "<f4"), ("q", "i1", (dims,))], count=n, offset=at)
        return vocab, dequantise(rows["scale"], rows["q"])
    return vocab, np.frombuffer(data, dtype="<f4", count=n * dims, offset=at).reshape(n, dims).copy()
