"""Local time of the street office. China keeps UTC+8 all year, so a fixed offset is exact."""
from datetime import datetime, timedelta, timezone

LOCAL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def local(at: datetime) -> datetime:
    return at.astimezone(LOCAL_TZ)


def deadline_text(at: datetime, now: datetime) -> str:
    """A deadline as staff read it: "14:30" today, "12-05 06:43" on another day, and marked overdue once
    passed (so a time with no date never reads as today's, and a passed one never reads as still to come)."""
    from backend import texts

    shown = local(at).strftime("%H:%M") if local(at).date() == local(now).date() else local(at).strftime("%m-%d %H:%M")
    return texts.DEADLINE_PASSED.format(at=shown) if at <= now else shown
