"""Fit the keyword classifier's softmax temperature and "other" baseline on labelled messages:
    python -m nlp.calibrate tests/data/complaints_dev.csv [more.csv ...]
prints the values to put in taxonomy.toml [classifier], with the log-loss and expected calibration error."""
from __future__ import annotations

import math
import sys

from .keywords import KeywordClassifier, softmax
from .lexicon import load_lexicon
from .normalize import normalize
from .taxonomy import load_taxonomy
from .train import read_labelled_csv


def expected_calibration_error(confidences: list[float], correct: list[bool], bins: int = 10) -> float:
    total, ece = len(confidences), 0.0
    for b in range(bins):
        rows = [i for i, c in enumerate(confidences) if b / bins < c <= (b + 1) / bins or (b == 0 and c == 0)]
        if rows:
            accuracy = sum(correct[i] for i in rows) / len(rows)
            mean_conf = sum(confidences[i] for i in rows) / len(rows)
            ece += len(rows) / total * abs(accuracy - mean_conf)
    return ece


def fit(paths: list[str]) -> dict:
    taxonomy = load_taxonomy()
    texts, labels = [], []
    for path in paths:
        t, l = read_labelled_csv(path)
        texts += t
        labels += l
    classifier = KeywordClassifier(taxonomy, load_lexicon())
    raw = []
    for text in texts:
        scores = dict(classifier.evidence(normalize(text)).scores)
        scores["other"] -= taxonomy.settings.other_baseline
        raw.append(scores)
    best = None
    for baseline in [0.5 * i for i in range(2, 9)]:  # >= 1: a message with no evidence is "other"
        for temperature in [0.25 * i for i in range(2, 17)]:
            nll = 0.0
            for scores, label in zip(raw, labels):
                probs = softmax({**scores, "other": scores["other"] + baseline}, temperature)
                nll -= math.log(max(probs[label], 1e-12))
            if best is None or nll < best[0]:
                best = (nll / len(raw), temperature, baseline)
    _, temperature, baseline = best
    confidences, correct = [], []
    for scores, label in zip(raw, labels):
        probs = softmax({**scores, "other": scores["other"] + baseline}, temperature)
        top = max(probs, key=probs.get)
        confidences.append(probs[top])
        correct.append(top == label)
    return {"temperature": temperature, "other_baseline": baseline, "log_loss": round(best[0], 4),
            "ece": round(expected_calibration_error(confidences, correct), 4), "n": len(raw)}


if __name__ == "__main__":
    print(fit(sys.argv[1:]))
