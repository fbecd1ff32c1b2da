"""Training and evaluation of the linear model from any labelled CSV (a street's exported work orders).

Model: NB-SVM (Wang & Manning 2012): per label, features scaled by the naive-Bayes log-count ratio, then a
linear SVM; the product folds back into one plain linear model, so serving needs numpy only.
Confidences: softmax of the scores at a temperature fitted on a stratified 20% held out during training.
scikit-learn and scipy are imported here only: the server never imports this module."""
from __future__ import annotations

import csv
import math
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .features import char_grams, word_grams
from .linear import LinearModel
from .normalize import normalize

C = 0.3  # C, NB_ALPHA and CLASS_WEIGHT chosen by 4-fold cross-validation on the teddy2020 training files
MIN_DF = 2
NB_ALPHA = 1.0
CLASS_WEIGHT = "balanced"
BLEND = 1.0  # weight of a plain linear SVM added to the NB-SVM (both linear: the sum is one model)
CALIBRATION_SHARE = 0.2
SHORT_TEXT = 60  # mean length (characters) up to which character n-grams stop at 2, else 3

Words = Callable[[str], list[str]]


def read_labelled_csv(path: str | Path, text_column: str = "text", label_column: str = "label") -> tuple[list[str], list[str]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    texts, labels = [], []
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = {text_column, label_column} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: no column {', '.join(sorted(missing))} (columns: {reader.fieldnames})")
        for row in reader:
            text, label = row[text_column], (row[label_column] or "").strip()
            if text and label:
                texts.append(text)
                labels.append(label)
    return texts, labels


def train_model(texts: Sequence[str], labels: Sequence[str], words: Words, *, c: float = C,
                max_char_n: int | None = None, n_jobs: int = 2, nb_alpha: float = NB_ALPHA,
                class_weight: str | None = CLASS_WEIGHT, blend: float = BLEND, calibrate: bool = True) -> LinearModel:
    started = time.perf_counter()
    docs = [normalize(t) for t in texts]
    if max_char_n is None:
        mean_length = sum(map(len, docs)) / max(len(docs), 1)
        max_char_n = 2 if mean_length <= SHORT_TEXT else 3
    tokens = [words(d) for d in docs]
    blocks = [(set(char_grams(d, max_char_n)), set(word_grams(w))) for d, w in zip(docs, tokens)]
    model = _vocabulary(blocks, max_char_n)
    y = np.asarray(labels)
    held = _stratified_holdout(labels, CALIBRATION_SHARE)
    fit_rows = np.asarray([i for i in range(len(docs)) if i not in held])
    held_rows = np.asarray(sorted(held))
    matrix = _matrix(model, docs, tokens)
    fit = lambda rows_x, rows_y: _fit(model, rows_x, rows_y, c, n_jobs, nb_alpha, class_weight, blend)  # noqa: E731
    if calibrate and len(held_rows) and len(set(y[fit_rows].tolist())) == len(set(labels)):
        fit(matrix[fit_rows], y[fit_rows])
        held_scores = matrix[held_rows] @ model.weights + model.bias
        model.temperature = _fit_temperature(held_scores, y[held_rows], model.labels)
    fit(matrix, y)
    model.meta.update(trained_on=len(docs), c=c, min_df=MIN_DF, seconds=round(time.perf_counter() - started, 1))
    return model


def evaluate(model: LinearModel, texts: Sequence[str], labels: Sequence[str], words: Words) -> dict:
    predicted = []
    for text in texts:
        doc = normalize(text)
        probs = model.probabilities(doc, words(doc))
        predicted.append(max(probs, key=probs.get))
    return classification_report(list(labels), predicted)


def classification_report(truth: list[str], predicted: list[str]) -> dict:
    names = sorted(set(truth) | set(predicted))
    confusion = {t: {p: 0 for p in names} for t in names}
    for t, p in zip(truth, predicted):
        confusion[t][p] += 1
    per_class = {}
    for name in names:
        tp = confusion[name][name]
        fp = sum(confusion[t][name] for t in names) - tp
        fn = sum(confusion[name].values()) - tp
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                           "support": tp + fn}
    present = [n for n in names if per_class[n]["support"]]
    return {
        "accuracy": round(sum(t == p for t, p in zip(truth, predicted)) / max(len(truth), 1), 4),
        "macro_f1": round(sum(per_class[n]["f1"] for n in present) / max(len(present), 1), 4),
        "per_class": per_class,
        "confusion": confusion,
        "n": len(truth),
    }


def _vocabulary(blocks, max_char_n: int) -> LinearModel:
    df_char, df_word = Counter(), Counter()
    for char_block, word_block in blocks:
        df_char.update(char_block)
        df_word.update(word_block)
    n = len(blocks)
    kept = [f for f, d in df_char.items() if d >= MIN_DF]
    n_char = len(kept)
    kept += [f for f, d in df_word.items() if d >= MIN_DF]
    df = {**df_char, **df_word}
    idf = np.asarray([math.log((1 + n) / (1 + df[f])) + 1.0 for f in kept], dtype=np.float32)
    return LinearModel(labels=[], vocab={f: i for i, f in enumerate(kept)}, idf=idf,
                       weights=np.zeros((len(kept), 0), dtype=np.float32), bias=np.zeros(0, dtype=np.float32),
                       max_char_n=max_char_n, temperature=1.0, n_char_features=n_char, meta={})


def _matrix(model: LinearModel, docs: list[str], tokens: list[list[str]]):
    from scipy.sparse import csr_matrix

    indptr, indices, data = [0], [], []
    for doc, words in zip(docs, tokens):
        idx, vals = model.vector(doc, words)
        indices.extend(idx.tolist())
        data.extend(vals.tolist())
        indptr.append(len(indices))
    return csr_matrix((np.asarray(data, dtype=np.float64), indices, indptr), shape=(len(docs), len(model.vocab)))


def _fit(model: LinearModel, x, y: np.ndarray, c: float, n_jobs: int, nb_alpha: float, class_weight,
         blend: float) -> None:
    from joblib import Parallel, delayed
    from scipy.sparse import diags
    from sklearn.svm import LinearSVC

    labels = sorted(set(y.tolist()))
    binary = (x > 0).astype(np.float64)

    def one(label):
        member = y == label
        p = nb_alpha + np.asarray(binary[member].sum(axis=0)).ravel()
        q = nb_alpha + np.asarray(binary[~member].sum(axis=0)).ravel()
        ratio = np.log((p / p.sum()) / (q / q.sum()))
        svm = LinearSVC(C=c, class_weight=class_weight).fit(x @ diags(ratio), member.astype(int))
        return ratio * svm.coef_.ravel(), float(svm.intercept_[0])

    fitted = Parallel(n_jobs=n_jobs, backend="threading")(delayed(one)(label) for label in labels)
    weights = np.stack([w for w, _ in fitted], axis=1)
    bias = np.asarray([b for _, b in fitted])
    if blend > 0:
        plain = LinearSVC(C=c, class_weight=class_weight).fit(x, y)
        coef, intercept = plain.coef_, plain.intercept_
        if len(labels) == 2:  # one row, for the second label
            coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        weights += blend * coef.T
        bias += blend * intercept
    model.labels = labels
    model.weights = weights.astype(np.float32)
    model.bias = bias.astype(np.float32)


def _fit_temperature(scores: np.ndarray, truth: np.ndarray, labels: list[str]) -> float:
    """The softmax temperature that minimises the negative log-likelihood of held-out labels."""
    column = {label: i for i, label in enumerate(labels)}
    rows = [(i, column[t]) for i, t in enumerate(truth) if t in column]
    if not rows:
        return 1.0
    r, k = np.asarray([i for i, _ in rows]), np.asarray([j for _, j in rows])
    best, best_nll = 1.0, math.inf
    for t in np.exp(np.linspace(math.log(0.02), math.log(5.0), 80)):
        s = scores[r] / t
        s = s - s.max(axis=1, keepdims=True)
        nll = -(s[np.arange(len(r)), k] - np.log(np.exp(s).sum(axis=1))).mean()
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def _stratified_holdout(labels: Sequence[str], share: float) -> set[int]:
    by_label = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    rng = random.Random(0)
    held = set()
    for rows in by_label.values():
        rows = rows[:]
        rng.shuffle(rows)
        held.update(rows[: int(len(rows) * share)])
    return held
