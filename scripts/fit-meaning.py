#!/usr/bin/env python3
"""How the words-and-meaning ranking (crates/engine/src/engine/meaning.rs) was fitted.

Runs `careerbot explain --jsonl` over tuning question sets (never tests/heldout/), labels as
right each candidate entry whose text matches every `expect` pattern of the question, and
scores rules of the form

    confidence = words + WEIGHT * max(0, cosine - FLOOR) * (1 - words)   (answer if >= 0.42)

for a grid of WEIGHT and FLOOR, printing how many questions each rule sends to a right entry,
and how many out-of-scope questions it would answer. Usage, after `cargo build --release`:

    scripts/fit-meaning.py tests/eval/questions.jsonl tests/eval/realistic.jsonl ...
"""
import glob
import itertools
import json
import re
import subprocess
import sys

BOT = ["target/release/careerbot", "--knowledge", "knowledge", "--intents", "intents"]
ANSWER_MIN = 0.42


def explain(texts):
    out = subprocess.run(BOT + ["explain", "--jsonl"], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def entries():
    found = {}
    for path in glob.glob("knowledge/**/*.md", recursive=True):
        text = open(path, encoding="utf-8").read()
        match = re.search(r'^id = "([^"]+)"', text, re.M)
        if match:
            found[match.group(1)] = text
    return found


def pick(candidates, weight, floor):
    def score(c):
        _, words, cosine = c
        return words + weight * max(0.0, cosine - floor) * (1 - min(1.0, words))
    if not candidates:
        return None
    best = max(candidates, key=score)
    return best[0] if score(best) >= ANSWER_MIN else None


def main(paths):
    texts = entries()
    answerable, out_of_scope = [], []
    for path in paths:
        items = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
        for item, seen in zip(items, explain([i["text"].replace("\n", " ") for i in items])):
            if item.get("kind") == "out_of_scope":
                out_of_scope.append(seen["candidates"])
            elif item.get("expect"):
                right = {e for e, t in texts.items() if all(re.search(x, t) for x in item["expect"])}
                if right:
                    answerable.append((right, seen["candidates"]))
    print(f"{len(answerable)} answerable questions, {len(out_of_scope)} out of scope")
    for weight, floor in itertools.product([0.0, 0.5, 1.0, 1.5, 2.0], [0.4, 0.5, 0.6]):
        right = sum(pick(c, weight, floor) in r for r, c in answerable)
        answered = sum(pick(c, weight, floor) is not None for c in out_of_scope)
        print(f"weight {weight:.1f} floor {floor:.1f}: {right} right, {answered} out of scope answered")


if __name__ == "__main__":
    main(sys.argv[1:])
