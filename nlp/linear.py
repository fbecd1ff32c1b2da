"""A trained linear model as a directory that serving loads without scikit-learn:
model.json (labels, settings), vocab.txt (one feature a line), idf.npy and weights.npy (float32)."""
from __future__ import annotations

import json
import math
from collections import Counter
from itertools import chain
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .features import char_grams, word_grams

FORMAT = "gongzhi-linear-1"
_NO_INDEX = np.zeros(0, dtype=np.int64)
_NO_VALUE = np.zeros(0, dtype=np.float32)


@dataclass
class LinearModel:
    labels: list[str]
    vocab: dict[str, int]
    idf: np.ndarray  # (V,)
    weights: np.ndarray  # (V, K)
    bias: np.ndarray  # (K,)
    max_char_n: int
    temperature: float
    n_char_features: int  # features [0, n) are character n-grams, the rest words
    meta: dict

    @classmethod
    def load(cls, model_dir: str | Path) -> "LinearModel":
        model_dir = Path(model_dir)
        meta = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{model_dir}: not a {FORMAT} model")
        words = (model_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")
        vocab = {w: i for i, w in enumerate(words[: meta["n_features"]])}
        return cls(
            labels=meta["labels"],
            vocab=vocab,
            idf=np.load(model_dir / "idf.npy"),
            weights=np.load(model_dir / "weights.npy"),
            bias=np.asarray(meta["bias"], dtype=np.float32),
            max_char_n=meta["max_char_n"],
            temperature=meta["temperature"],
            n_char_features=meta["n_char_features"],
            meta=meta,
        )

    def save(self, model_dir: str | Path) -> None:
        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        ordered = sorted(self.vocab, key=self.vocab.get)
        (model_dir / "vocab.txt").write_text("\n".join(ordered), encoding="utf-8")
        np.save(model_dir / "idf.npy", self.idf.astype(np.float32))
        np.save(model_dir / "weights.npy", self.weights.astype(np.float32))
        meta = dict(self.meta, format=FORMAT, labels=self.labels, bias=[float(b) for b in self.bias],
                    max_char_n=self.max_char_n, temperature=self.temperature,
                    n_char_features=self.n_char_features, n_features=len(ordered))
        (model_dir / "model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")

    def vector(self, text: str, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Indices and TF-IDF values of a normalised text, each block L2-normalised (as in training)."""
        get = self.vocab.get
        chars = Counter(map(get, char_grams(text, self.max_char_n)))
        chars.pop(None, None)
        terms = Counter(map(get, word_grams(words)))
        terms.pop(None, None)
        n_chars, n = len(chars), len(chars) + len(terms)
        if not n:
            return _NO_INDEX, _NO_VALUE
        ids = np.fromiter(chain(chars, terms), dtype=np.int64, count=n)
        tf = np.fromiter(chain(chars.values(), terms.values()), dtype=np.float32, count=n)
        v = (np.log(tf) + 1.0) * self.idf[ids]
        for block in (v[:n_chars], v[n_chars:]):
            if len(block):
                block /= math.sqrt(float(block @ block)) or 1.0
        return ids, v

    def scores(self, text: str, words: list[str]) -> np.ndarray:
        idx, vals = self.vector(text, words)
        if not len(idx):
            return self.bias.copy()
        return vals @ self.weights[idx] + self.bias

    def probabilities(self, text: str, words: list[str]) -> dict[str, float]:
        s = self.scores(text, words) / self.temperature
        e = np.exp(s - s.max())
        return dict(zip(self.labels, (e / e.sum()).tolist()))
