"""The tests' clock: wherever the real hour falls, it starts in the street's daytime and never ahead of the
real time that code reading `datetime.now` sees."""
from datetime import datetime, timezone

import pytest

from backend.clock import LOCAL_TZ
from backend.surveys import QUIET_END, QUIET_START
from tests.conftest import _daytime


@pytest.mark.parametrize("hour", range(24))
def test_the_clock_starts_in_daytime_and_not_in_the_future(hour):
    real = datetime(2026, 12, 2, hour, 24, 41, tzinfo=LOCAL_TZ).astimezone(timezone.utc)
    start = _daytime(real)
    local = start.astimezone(LOCAL_TZ).time()
    assert QUIET_END <= local < QUIET_START
    assert start <= real
    assert (real - start).total_seconds() < 24 * 3600
    if QUIET_END <= real.astimezone(LOCAL_TZ).time() < QUIET_START:
        assert start == real
