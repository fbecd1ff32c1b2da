"""A trained linear model as a directory that serving loads without scikit-learn:
model.json (labels, settings), vocab.txt (one feature a line), idf.npy and weights.npy (float32)."""
from __future__ import annotations

import json
import math
from array import array
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .features import WORD_PREFIX, char_grams

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

    def __post_init__(self) -> None:
        self.prepare()

    def prepare(self) -> None:
        """Look-up tables for serving: word features by the word itself (no "w:" + word string per look-up)
        and the IDF as a flat float array read element by element (a chat message has ~60 features: plain
        floats beat numpy calls there)."""
        cut = len(WORD_PREFIX)
        self._word_ids = {f[cut:]: i for f, i in self.vocab.items() if i >= self.n_char_features}
        self._idf = array("f", self.idf.astype(np.float32).tobytes())  # 4 bytes a feature, read as floats

    def vector(self, text: str, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Indices and TF-IDF values of a normalised text, each block L2-normalised (as in training)."""
        idf = self._idf
        ids: list[int] = []
        values: list[float] = []
        for found in ([i for i in map(self.vocab.get, char_grams(text, self.max_char_n)) if i is not None],
                      [i for i in map(self._word_ids.get, words) if i is not None]):
            if not found:
                continue
            if len(set(found)) == len(found):  # the usual case in a chat message: every feature once, tf 1
                block = [idf[i] for i in found]
            else:
                counts = Counter(found)
                found = list(counts)
                block = [idf[i] * (1.0 + math.log(c)) if c > 1 else idf[i] for i, c in counts.items()]
            scale = 1.0 / math.sqrt(sum(x * x for x in block))
            ids += found
            values += [x * scale for x in block]
        if not ids:
            return _NO_INDEX, _NO_VALUE
        return np.array(ids, dtype=np.int64), np.array(values, dtype=np.float32)

    def scores(self, text: str, words: list[str]) -> np.ndarray:
        idx, vals = self.vector(text, words)
        if not len(idx):
            return self.bias.copy()
        return vals @ self.weights[idx] + self.bias

    def probabilities(self, text: str, words: list[str]) -> dict[str, float]:
        return dict(zip(self.labels, self.probability_list(text, words)))

    def probability_list(self, text: str, words: list[str]) -> list[float]:
        """Softmax of the scores at the model's temperature, in label order (plain floats: K is small)."""
        s = self.scores(text, words).tolist()
        top, inverse = max(s), 1.0 / self.temperature
        e = [math.exp((x - top) * inverse) for x in s]
        total = sum(e)
        return [x / total for x in e]
