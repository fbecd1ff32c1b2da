"""Exponential backoff with jitter, for the outbox sender and the job loop."""
from __future__ import annotations

import random


def backoff_s(attempt: int, *, base_s: float, max_s: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, …): base * 2^(attempt-1), capped at
    max_s, then a random point in its upper half (so retries of many rows spread out, but never fire
    almost at once)."""
    ceiling = min(max_s, base_s * 2 ** max(0, min(attempt - 1, 32)))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)
