"""Local time of the street office. China keeps UTC+8 all year, so a fixed offset is exact."""
from datetime import datetime, timedelta, timezone

from backend import texts as T

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


def duration_text(span: timedelta | float) -> str:
    """"30分钟", "2小时", "1小时30分钟", "45秒", "3分钟3秒": a duration as people read it (seconds or a timedelta)."""
    seconds = int(span.total_seconds() if isinstance(span, timedelta) else span)
    if seconds < 60:
        return T.DURATION_SECONDS.format(n=seconds)
    hours, minutes = divmod(seconds // 60, 60)
    parts = ([T.DURATION_HOURS.format(n=hours)] if hours else []) + \
        ([T.DURATION_MINUTES.format(n=minutes)] if minutes else []) + \
        ([T.DURATION_SECONDS.format(n=seconds % 60)] if seconds % 60 else [])
    return "".join(parts)
