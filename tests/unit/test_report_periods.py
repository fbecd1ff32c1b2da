"""A period that has not ended is marked partial in the report, by the street's local time (UTC+8)."""
from datetime import datetime, timedelta, timezone

from backend.analytics import _with_partial, period_end
from backend.clock import LOCAL_TZ


def test_period_ends_in_local_time_across_the_year_end():
    assert period_end("month", "2026-12") == datetime(2027, 1, 1, tzinfo=LOCAL_TZ)
    assert period_end("month", "2026-02") == datetime(2026, 3, 1, tzinfo=LOCAL_TZ)
    assert period_end("week", "2026-11-30") == datetime(2026, 12, 7, tzinfo=LOCAL_TZ)
    assert period_end("day", "2026-12-02") == datetime(2026, 12, 3, tzinfo=LOCAL_TZ)


def test_only_the_running_period_is_partial():
    # 2026-11-30 17:00 UTC is already 1 December in Hefei: November is over, December has begun
    as_of = datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)
    assert _with_partial({"key": "2026-11"}, "month", as_of)["partial"] is False
    assert _with_partial({"key": "2026-12"}, "month", as_of)["partial"] is True
    assert _with_partial({"key": "2026-11-30"}, "day", as_of - timedelta(hours=2))["partial"] is True
    assert "partial" not in _with_partial({"key": "C01"}, "compound", as_of)
