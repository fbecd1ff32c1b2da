"""Benchmark of the knowledge base's decision (nlp Analyzer.inquire with the demo street's entries).

    python bench/kb.py [--calibrate] [--bare] [--json] [--write-pilot]

On each labelled file (text, faq_id: an entry id, empty for a question the street does not answer, or
`complaint`): the share of answerable questions whose right entry comes first and is answered, of out-of-scope
questions answered with no entry, and of complaints that still reach the report dialog (the chat's path: not a
consultation, and read as a report the way the intake dialog reads one). The complaint corpora of the nlp
tests give the last figure on 600 more reports, and the forms files on complaints and questions about the same
things (demands, rhetorical questions, situations told around a question). Then questions per second on one
core (CPU time, best of 5 passes), and the memory one index of 1,000 entries costs.

The demo street is measured as `seed --demo` loads it: its 90 entries with the pilot's phrasings
(backend/demo_street/faq_phrasings.csv: every answerable question of the labelled files and the pilot files,
attached to its entry as a street's supervisors attach residents' questions from the dashboard;
`--write-pilot` writes it again). Each labelled file is measured with the phrasings of the other files only,
so no file is measured on its own questions: a file reads as the next week's residents would; `--bare`
measures the street's file alone.

`faq_dev.tsv` (bench/data, the street's development file) is what the synonyms and the first thresholds were tuned on;
`kb_holdout.tsv` was written before any tuning and later tuned on; `kb_holdout2.tsv` was written before the
retrieval mechanisms (character bigrams, coverage, margin) were tuned. `kb_holdout3.tsv`, `kb_holdout4.tsv` and
`kb_holdout5.tsv` were each written by someone who saw only the entries (colloquial, with the resident's
situation around the question, near-misses among the out-of-scope ones); 3 and 4 measured the words and a
sentence-encoder reading blind, 5 the offer of near entries; 4 and 5 were studied since, with the form reader's
demand and errand rules and the synonyms. `kb_holdout6.tsv` and `kb_holdout7.tsv`, written the same way, were
measured blind and then studied (the form reader's errand rules, the [evidence] of cost); `kb_holdout8.tsv` and
`kb_holdout9.tsv` were measured blind after those and studied for the form reader; `kb_holdout10.tsv` and
`kb_holdout11.tsv` were measured blind after those (only a missed complaint of 11 was looked at);
`kb_holdout12.tsv` and `kb_holdout13.tsv` measured the first reading of what a question asks blind, and were
looked into for the second; `kb_holdout14.tsv` and `kb_holdout15.tsv` (residents typing in a hurry; voice input,
dialect and slips of the same sound) measured the second blind; `kb_holdout16.tsv` and `kb_holdout17.tsv` (WeChat's
speech recognition of voice messages) the mending of slips of the same sound; `kb_holdout18.tsv` (an ordinary
week) that round's final state; `kb_holdout19.tsv` and `kb_holdout20.tsv` were measured blind together, 19 then
studied (padding words, the resident's own habits, coming as the verb asked for) and 20 kept unseen to measure
the final state. Since then every labelled file's answerable questions are phrasings, each file measured
without its own; `kb_holdout21.tsv` to `kb_holdout26.tsv`, written by four more people who saw only the entries,
were measured blind before they joined (the state before the fitted rule, then the final state).
--calibrate fits kb.toml's [decision] (see `calibrate`) and prints its weights, its cut, the right entries answered
first and out-of-scope questions left unanswered at each cut, and the same measured file by file on a rule
fitted without the file, at each teaching level."""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp import Analyzer, load_taxonomy, places_from_csv  # noqa: E402
from handlers.turns import ASIDES  # noqa: E402  (what the intake alone opens no report for)
from nlp.faq import Decision, FaqEntry, Reading  # noqa: E402
from nlp.inquiry import Inquiry  # noqa: E402

DEMO = ROOT / "backend" / "demo_street"
PILOT = DEMO / "faq_phrasings.csv"
DATA = ROOT / "bench" / "data"
FILES = {"dev": DATA / "faq_dev.tsv", "holdout": DATA / "kb_holdout.tsv",
         **{f"holdout{n}": DATA / f"kb_holdout{n}.tsv" for n in range(2, 100) if (DATA / f"kb_holdout{n}.tsv").exists()}}
# Complaints and questions about the same things, labelled `complaint` or `question`: how the message is read
# before any entry is looked for. forms_dev.tsv is two files, each written by someone who saw only the entries,
# studied while the reader's demand and errand rules were written; forms_final.tsv was written after them.
FORMS = {p.stem: p for p in sorted(DATA.glob("forms_*.tsv"))}
# Residents' ways of asking each entry, two per entry in each file, written for the pilot by three people who saw
# only the entries (older residents; young people on a phone; renters, shop owners and parents): phrasings only,
# never measured.
PILOT_FILES = sorted(DATA.glob("kb_pilot_*.tsv"))
COMPLAINTS = [ROOT / "tests" / "data" / "complaints_dev.csv", ROOT / "tests" / "data" / "complaints_holdout.csv"]


def entries() -> list[FaqEntry]:
    with open(DEMO / "faq.csv", encoding="utf-8") as f:
        return [FaqEntry(r["faq_id"], r["question"], tuple(k for k in r["keywords"].split("|") if k), r["answer"])
                for r in csv.DictReader(f)]


def pilot_rows() -> list[tuple[str, str, str]]:
    """(faq_id, question masked as the dashboard keeps it, file) for every answerable question of the labelled
    files and every line of the PILOT_FILES, once each."""
    from backend.kb import asked_key

    asked = [(text, gold, path.name) for path in FILES.values() for text, gold in labelled(path)]
    for path in PILOT_FILES:
        with open(path, encoding="utf-8") as f:
            asked += [(r["text"], r["faq_id"].strip(), path.name) for r in csv.DictReader(f, delimiter="\t")]
    rows, seen = [], set()
    for text, gold, source in asked:
        masked = asked_key(text)[1]
        if gold and gold != "complaint" and (gold, masked) not in seen:
            seen.add((gold, masked))
            rows.append((gold, masked, source))
    return rows


def write_pilot() -> int:
    rows = pilot_rows()
    with open(PILOT, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(("faq_id", "phrasing", "source"))
        out.writerows(rows)
    return len(rows)


def taught(base: list[FaqEntry], leave_out: str | None = None) -> list[FaqEntry]:
    """The entries with the pilot's phrasings, less those from the file `leave_out` (a FILES name)."""
    skip = FILES[leave_out].name if leave_out else None
    with open(PILOT, encoding="utf-8") as f:
        found: dict[str, list[str]] = {}
        for r in csv.DictReader(f):
            if r["source"] != skip:
                found.setdefault(r["faq_id"], []).append(r["phrasing"])
    return [replace(e, phrasings=tuple(found.get(e.faq_id, ()))) for e in base]


def labelled(path: Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8") as f:
        return [(r["text"], r["faq_id"].strip()) for r in csv.DictReader(f, delimiter="\t")]


def reaches_report(analyzer: Analyzer, inquiry: Inquiry) -> bool:
    """The chat's path for a message at rest: what the front door decides is a complaint starts the report
    dialog (handlers/intake.py is_complaint), unless the progress or charging conversations, asked before the
    knowledge base, take the message as theirs."""
    if inquiry.intent != "complaint":
        return False
    return analyzer.analyze(inquiry.text).intent not in ("status_query", "charging_query")


def rates(analyzer: Analyzer, index, rows: list[tuple[str, str]]) -> dict:
    answerable = [(t, g) for t, g in rows if g and g != "complaint"]
    outside = [t for t, g in rows if not g]
    complaints = [t for t, g in rows if g == "complaint"]
    found = [analyzer.inquire(t, index) for t, _ in answerable]
    right = sum(i.faq_id == g for i, (_, g) in zip(found, answerable))
    beside = sum(i.faq_id == g and i.intent == "complaint" for i, (_, g) in zip(found, answerable))
    offered = sum(i.faq_id is None and g in i.offered for i, (_, g) in zip(found, answerable))
    asked_out = [analyzer.inquire(t, index) for t in outside]
    unanswered = sum(i.faq_id is None for i in asked_out)
    shown = sum(i.faq_id is None and bool(i.offered) for i in asked_out)
    told = [analyzer.inquire(t, index) for t in complaints]
    reported = [reaches_report(analyzer, i) for i in told]
    with_answer = sum(r and i.faq_id is not None for r, i in zip(reported, told))
    return {"answerable": len(answerable), "right_first": _share(right, len(answerable)),
            "right_answered_or_offered": _share(right + offered, len(answerable)),
            "right_beside_report": _share(beside, len(answerable)),
            "out_of_scope": len(outside), "not_answered": _share(unanswered, len(outside)),
            "out_of_scope_shown_entries": _share(shown, len(outside)),
            "complaints": len(complaints), "to_report_dialog": _share(sum(reported), len(complaints)),
            "complaints_with_answer": _share(with_answer, len(complaints))}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def form_rates(analyzer: Analyzer, index, path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        rows = [(r["text"], r["kind"]) for r in csv.DictReader(f, delimiter="\t")]
    complaints = [t for t, kind in rows if kind == "complaint"]
    questions = [t for t, kind in rows if kind == "question"]
    return {"complaints": len(complaints),
            "to_report_dialog": _share(sum(reaches_report(analyzer, analyzer.inquire(t, index)) for t in complaints), len(complaints)),
            "questions": len(questions), "read_as_questions": _share(
                sum(analyzer.inquire(t, index).intent == "consultation" for t in questions), len(questions))}


def complaint_corpora(analyzer: Analyzer, index) -> dict:
    """Of the nlp tests' complaints that start a report without the knowledge base (the intake's reading alone:
    a complaint that is no aside), how many still do."""
    before = kept = 0
    for path in COMPLAINTS:
        with open(path, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                text = row["text"]
                u = analyzer.analyze(text)
                if not (u.intent == "complaint" and (u.urgent or analyzer.turn(text).kind not in ASIDES)):
                    continue
                before += 1
                kept += analyzer.inquire(text, index).intent != "consultation"
    return {"reports": before, "still_reports": _share(kept, before)}


def speed(analyzer: Analyzer, index, texts: list[str], rounds: int = 5) -> float:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    best = 0.0
    for _ in range(rounds):
        started = time.process_time()
        for text in texts:
            analyzer.inquire(text, index)
        best = max(best, len(texts) / max(time.process_time() - started, 1e-9))
    return round(best)


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))


def thousand_entries(analyzer: Analyzer, base: list[FaqEntry]) -> dict:
    """An index of 1,000 entries (the 90 repeated with numbered variants, so words and lengths are the
    street's): the resident memory it adds and the time to build it."""
    many = [FaqEntry(f"{e.faq_id}-{n}", f"{e.question}（{n}号事项）", e.keywords, e.answer)
            for n in range(12) for e in base][:1000]
    before, started = rss_kb(), time.perf_counter()
    index = analyzer.faq_index(many)
    built = time.perf_counter() - started
    grown = rss_kb() - before
    assert len(index) == 1000
    return {"entries": len(many), "memory_growth_mb": round(grown / 1024, 1), "build_s": round(built, 2)}


LEVELS = (0, 1, 2, 4, 8, None)  # phrasings each entry keeps at most when the rule is fitted (None: all it has)


def calibrate(analyzer: Analyzer) -> dict:
    """kb.toml's [decision]: a logistic rule (scikit-learn) on whether the best entry is the one that answers,
    fitted on every labelled file's questions asked of the entries as a street teaches them, from none of the
    phrasings to all (LEVELS; each file asked of the entries with the other files' phrasings only), right entries
    against out-of-scope questions and other entries alike; and its cut, the one with the most right entries
    answered first plus out-of-scope questions left unanswered over the same questions. `left_out`, per level:
    the same fitted on all files but one and measured on that one, file by file, pooled: what the rule reads of
    questions it was not fitted on."""
    rows = _decision_rows(analyzer)
    rule, best, table = _fit(rows)
    left_out = {level: [0, 0, 0, 0] for level in LEVELS}
    for name in FILES:
        held = _fit([r for r in rows if r[0] != name])[0]
        for level in LEVELS:
            got = _decided(held, [r for r in rows if r[0] == name and r[1] == level], held.cut)
            for i, n in enumerate(got["counts"]):
                left_out[level][i] += n
    return {"weights": rule.weights, "bias": rule.bias, "cut": rule.cut, "questions": len(rows), "best": best,
            "left_out": {str(level): {"right_first": _share(c[0], c[1]), "not_answered": _share(c[2], c[3])}
                         for level, c in left_out.items()},
            "table": table}


def _decision_rows(analyzer: Analyzer) -> list[tuple[str, int | None, str, str | None, Reading | None]]:
    """(file, level, gold, best entry, what the index read of it) of every labelled question that is no complaint
    at every teaching level, each file asked of the entries with the other files' phrasings only; no reading when
    no entry may answer it (read as no question, nor as a report that asks)."""
    rows = []
    for name, path in FILES.items():
        full = taught(entries(), name)
        for level in LEVELS:
            index = analyzer.faq_index([replace(e, phrasings=e.phrasings[:level]) for e in full])
            for text, gold in labelled(path):
                if gold == "complaint":
                    continue
                inquiry = analyzer.inquire(text, index)
                best = inquiry.candidates[0][0] if inquiry.candidates else None
                reading = index.reading(text) if inquiry.intent != "other" and best else None
                rows.append((name, level, gold, best, reading))
    return rows


def _ruled(reading: Reading | None) -> bool:
    """Whether the rule decides this reading: neither always answered (worded) nor never (silent, none)."""
    return reading is not None and not reading.silent and not reading.worded


def _fit(rows: list) -> tuple[Decision, dict, list[dict]]:
    """The logistic rule fitted on these rows, its best cut's figures, and the table of cuts."""
    from sklearn.linear_model import LogisticRegression

    read = [(gold == best, r.features) for _, _, gold, best, r in rows if _ruled(r)]
    model = LogisticRegression(max_iter=5000).fit([[f[k] for k in Decision.FEATURES] for _, f in read],
                                                  [right for right, _ in read])
    weights = {k: round(float(w), 4) for k, w in zip(Decision.FEATURES, model.coef_[0])}
    rule = Decision(weights, round(float(model.intercept_[0]), 4), cut=0.5)
    table = [{"cut": step / 100, **_decided(rule, rows, step / 100)} for step in range(20, 96)]
    best = max(table, key=lambda r: (r["right_first"] + r["not_answered"], -r["cut"]))
    return replace(rule, cut=best["cut"]), best, table


def _decided(rule: Decision, rows: list, cut: float) -> dict:
    """Right entries answered first and out-of-scope questions left unanswered by the rule at this cut."""
    said = [(gold, gold == best, r is not None and not r.silent and (r.worded or rule.confidence(r.features) >= cut))
            for _, _, gold, best, r in rows]
    answerable = [right and sure for gold, right, sure in said if gold]
    outside = [not sure for gold, _, sure in said if not gold]
    counts = (sum(answerable), len(answerable), sum(outside), len(outside))
    return {"right_first": _share(counts[0], counts[1]), "not_answered": _share(counts[2], counts[3]),
            "counts": counts}


def measure(analyzer: Analyzer, bare: bool) -> dict:
    """Every figure, on the demo street as seeded (or its file alone, `bare`)."""
    base = entries() if bare else taught(entries())
    index = analyzer.faq_index(base)
    indexes = {name: index if bare else analyzer.faq_index(taught(entries(), name)) for name in FILES}
    result = {name: rates(analyzer, indexes[name], labelled(path)) for name, path in FILES.items()}
    result["complaint_corpora"] = complaint_corpora(analyzer, index)
    result["forms"] = {name: form_rates(analyzer, index, path) for name, path in FORMS.items()}
    texts = [t for path in FILES.values() for t, _ in labelled(path)]
    result["questions_per_s_one_core"] = speed(analyzer, index, texts)
    result["index_1000"] = thousand_entries(analyzer, base)
    result["cut"] = index.bar()
    return result


def show(result: dict) -> None:
    for name in FILES:
        r = result[name]
        print(f"{name:8} right entry first {r['right_first']:.1%} (beside a report {r['right_beside_report']:.1%}; "
              f"answered or offered {r['right_answered_or_offered']:.1%}) of {r['answerable']}  ·  out of scope not "
              f"answered {r['not_answered']:.1%} (shown entries {r['out_of_scope_shown_entries']:.1%}) of "
              f"{r['out_of_scope']}  ·  complaints to the report dialog {r['to_report_dialog']:.1%} (with an "
              f"answer {r['complaints_with_answer']:.1%}) of {r['complaints']}")
    c = result["complaint_corpora"]
    print(f"nlp test complaints still reaching the report dialog: {c['still_reports']:.1%} of {c['reports']}")
    for name, r in result["forms"].items():
        print(f"{name}: complaints to the report dialog {r['to_report_dialog']:.1%} of {r['complaints']}  ·  "
              f"questions read as questions {r['read_as_questions']:.1%} of {r['questions']}")
    print(f"questions/s on one core (CPU time): {result['questions_per_s_one_core']}")
    i = result["index_1000"]
    print(f"index of {i['entries']} entries: +{i['memory_growth_mb']} MB resident, built in {i['build_s']} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--bare", action="store_true", help="the street's file alone, without the pilot's phrasings")
    parser.add_argument("--write-pilot", action="store_true", help=f"write {PILOT.name} from the labelled files")
    args = parser.parse_args()
    if args.write_pilot:
        print(f"{write_pilot()} phrasings written to {PILOT}")
        return 0
    analyzer = Analyzer(load_taxonomy(), places_from_csv(DEMO / "compounds.csv", DEMO / "places.csv"),
                        cache_dir=ROOT / "data")
    if args.calibrate:
        print(json.dumps(calibrate(analyzer), ensure_ascii=False))
        return 0
    result = measure(analyzer, args.bare)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        show(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
