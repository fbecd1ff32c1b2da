"""The dialog corpus (tests/data/dialogs/dialogs.jsonl) is well formed: what bench/dialogs.py scores must exist."""
import csv
import json
from pathlib import Path

from nlp import load_taxonomy

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "dialogs" / "dialogs.jsonl"
KEYS = {"case", "category", "place", "building", "spot", "urgent", "has", "lacks"}


def conversations() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_at_least_sixty_conversations_with_unique_ids_and_turns():
    rows = conversations()
    assert len(rows) >= 60 and len({r["id"] for r in rows}) == len(rows)
    assert all(r["turns"] and all(isinstance(t, str) for t in r["turns"]) for r in rows)


def test_expectations_name_real_categories_and_compounds():
    codes = set(load_taxonomy().codes)
    names = set()
    for file, column in (("compounds.csv", "compound"), ("places.csv", "name")):  # compounds and public places
        with open(ROOT / "backend" / "demo_street" / file, encoding="utf-8", newline="") as f:
            names |= {row[column] for row in csv.DictReader(f)}
    for row in conversations():
        expect = row["expect"]
        if not expect["case"]:
            assert set(expect) == {"case"}, row["id"]
            continue
        assert set(expect) == KEYS, row["id"]
        assert expect["category"] in codes, row["id"]
        assert expect["place"] is None or expect["place"] in names, row["id"]


def test_every_theme_is_covered():
    themes = {r["id"].split("-")[0] for r in conversations()}
    assert {"em", "hz", "q", "co", "ca", "ch"} <= themes
