"""Write the crate's test fixtures from the Python side, which the Rust tests must match.

* crates/semantic/tests/fixtures/tokens.json: texts and the tokens the teacher's own tokenizer
  (tokenizer.json, through the `tokenizers` package) reads them as.
* crates/semantic/tests/fixtures/vectors.json: texts and their vectors computed in numpy from
  the artefact semantic/model.bin as read by `artefact.read`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import artefact
from static import bert_tokenizer

CRATE = Path(__file__).resolve().parents[2] / "crates/semantic"
MODEL = Path(__file__).resolve().parents[2] / "semantic/model.bin"

TOKEN_TEXTS = [
    "how do I become a nurse?",
    "hiya 👋 where do i actually look for nhs jobs, is there one main site?",
    "<@123456789> is nhs jobs the only place they advertise",
    "im 19 & work in a care home... could i train as a nurse?? ty x",
    "Café résumé naïve coöperate ÉCOLE Zürich",
    "what's the pay like, £££? 100% honest pls!!",
    "someone who takes blood 🩸🩸 lol😂",
    "thanks🙏",
    "e-mail: a.b@nhs.net https://www.jobs.nhs.uk/candidate",
    "tab\there\nnew line\r\nand\u00a0nbsp\u2003em space",
    "zero\u200bwidth\u200djoiner and soft\u00adhyphen",
    "control \u0001\u0007 chars \ufffd replacement",
    "中文字符 and 日本語 mixed 한국어",
    "Ελληνικά русский текст עברית عربى",
    "ﬁ ligature and ＦＵＬＬＷＩＤＴＨ and Ⅻ roman",
    "İstanbul ǅ ß straße",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "a" * 100,
    "b" * 101,
    "x" * 60 + "é" * 45,
    "physiotherapist occupational therapist audiologist phlebotomist sonographer",
    "“smart quotes” ‘single’ — em dash – en dash … ellipsis «guillemets» ¿que? ¡si!",
    "emoji with skin tone 👍🏽 and flag 🏴󠁧󠁢󠁷󠁬󠁳󠁿 and keycap 1️⃣",
    "",
    "   ",
    "A-levels, T-levels & GCSEs (grades 4-9) — what do I need?",
]

VECTOR_TEXTS = [
    "how do I become a nurse?",
    "hiya quick q, im 19 and work in a care home, could i train as a nurse while working? ty x",
    "my dad has chest pain and he's sweating",
    "what's the weather like in Wrexham",
    "Café résumé 👋",
]


def main() -> None:
    tok = bert_tokenizer()
    out = CRATE / "tests/fixtures"
    out.mkdir(parents=True, exist_ok=True)
    tokens = [{"text": t, "tokens": tok.encode(t, add_special_tokens=False).tokens} for t in TOKEN_TEXTS]
    (out / "tokens.json").write_text(json.dumps(tokens, ensure_ascii=False, indent=1) + "\n")
    vocab, table = artefact.read(MODEL)
    index = {t: i for i, t in enumerate(vocab)}
    vectors = []
    for t in VECTOR_TEXTS:
        ids = [index[x] for x in tok.encode(t, add_special_tokens=False).tokens][:256]
        v = table[ids].sum(axis=0)
        v = v / np.linalg.norm(v)
        vectors.append({"text": t, "vector": [round(float(x), 6) for x in v]})
    (out / "vectors.json").write_text(json.dumps(vectors, ensure_ascii=False) + "\n")
    print(f"wrote {out}/tokens.json and vectors.json")


if __name__ == "__main__":
    main()
