"""Local time of the street office. China keeps UTC+8 all year, so a fixed offset is exact."""
from datetime import datetime, timedelta, timezone

LOCAL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def local(at: datetime) -> datetime:
    return at.astimezone(LOCAL_TZ)
