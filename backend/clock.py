"""Local time of the street office. China keeps UTC+8 all year, so a fixed offset is exact."""
from datetime import datetime, timedelta, timezone

LOCAL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def local(at: datetime) -> datetime:
    return at.astimezone(LOCAL_TZ)


def time_text(at: datetime, now: datetime) -> str:
    """A moment as people read it: "14:30" today, "12-05 06:43" on another day (a time with no date never
    reads as today's)."""
    return local(at).strftime("%H:%M" if local(at).date() == local(now).date() else "%m-%d %H:%M")


def deadline_text(at: datetime, now: datetime) -> str:
    """A deadline as staff read it: its time_text, marked overdue once passed (a passed one never reads as
    still to come)."""
    from backend import texts

    shown = time_text(at, now)
    return texts.DEADLINE_PASSED.format(at=shown) if at <= now else shown
