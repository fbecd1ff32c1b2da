"""Case numbers, duplicates and privacy in backend/, on the real databases."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from backend import cases
from backend.privacy import mask_phone

UTC = timezone.utc


async def create(db, now, **kw):
    async with db.transaction() as s:
        new = cases.NewCase(category=kw.get("category", "sanitation"), description="x", priority=3,
                            channel="wechat", compound_id=kw.get("compound", "C01"),
                            reporter=cases.Reporter("wechat", kw.get("who", "o-1")))
        return (await cases.create_case(s, new, now)).number


async def test_case_numbers_follow_the_local_day(db):
    # 15:59 UTC is 23:59 in Hefei; one minute later it is the next local day.
    late = datetime(2026, 11, 27, 15, 59, tzinfo=UTC)
    assert await create(db, late) == "20261127-0001"
    assert await create(db, late) == "20261127-0002"
    assert await create(db, late + timedelta(minutes=1)) == "20261128-0001"


async def test_case_numbers_are_unique_when_created_at_once(db):
    now = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    numbers = await asyncio.gather(*(create(db, now, who=f"o-{i}") for i in range(20)))
    assert sorted(numbers) == [f"20261127-{n:04d}" for n in range(1, 21)]


async def test_duplicates_are_open_same_compound_and_category_within_48_hours(db):
    now = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    number = await create(db, now, compound="C05", category="noise")
    async with db.sessions() as s:
        found = await cases.find_duplicate(s, compound_id="C05", category="noise", now=now + timedelta(hours=47))
        assert found is not None and found.number == number
        assert await cases.find_duplicate(s, compound_id="C05", category="noise",
                                          now=now + timedelta(hours=49)) is None
        assert await cases.find_duplicate(s, compound_id="C06", category="noise", now=now) is None
        assert await cases.find_duplicate(s, compound_id="C05", category="sanitation", now=now) is None
    async with db.transaction() as s:
        (await cases.by_number(s, number)).status = "closed"
    async with db.sessions() as s:
        assert await cases.find_duplicate(s, compound_id="C05", category="noise", now=now) is None


def test_phone_numbers_are_masked():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert mask_phone("65551234") == "****1234"
    assert mask_phone(None) is None
