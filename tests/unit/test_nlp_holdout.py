"""Held-out sentences for nlp.emergency, nlp.turn and nlp.details (tests/data/nlp_readers_holdout.jsonl):
written before any tuning and never tuned on. The rate is measured, and the floor only guards it."""
import json
from pathlib import Path

import nlp

HOLDOUT = Path(__file__).resolve().parents[1] / "data" / "nlp_readers_holdout.jsonl"
FLOOR = 0.70


def right(row: dict) -> bool:
    if row["reader"] == "emergency":
        e = nlp.emergency(row["text"])
        if row["kind"] is None:
            return e is None or e.hazard and not row.get("hazard")
        return e is not None and e.kind == row["kind"] and e.hazard == row["hazard"]
    if row["reader"] == "turn":
        t = nlp.turn(row["text"], row["expecting"])
        return t.kind == row["kind"] and ("value" not in row or t.value == row["value"])
    d = nlp.details(row["text"])
    checks = {"spot": d.spot, "building": d.building, "scope": d.scope,
              "time": d.time.normalised if d.time else None}
    return all(checks[k] == row[k] for k in checks if k in row)


def holdout_rates() -> dict[str, tuple[int, int]]:
    rows = [json.loads(line) for line in HOLDOUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    rates: dict[str, tuple[int, int]] = {}
    for row in rows:
        ok, n = rates.get(row["reader"], (0, 0))
        rates[row["reader"]] = (ok + right(row), n + 1)
    return rates


def test_held_out_sentences_stay_above_the_floor():
    rates = holdout_rates()
    total = sum(ok for ok, _ in rates.values()) / sum(n for _, n in rates.values())
    assert total >= FLOOR, rates


if __name__ == "__main__":  # PYTHONPATH=. python tests/unit/test_nlp_holdout.py: the rates and the misses
    for reader, (ok, n) in holdout_rates().items():
        print(f"{reader}: {ok}/{n}")
    for line in HOLDOUT.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if not right(row):
            print("miss:", line)
