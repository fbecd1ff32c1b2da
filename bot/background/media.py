"""Keeps the photos of cases: WeChat and WeCom delete temporary media after 3 days, so every photo that joins
a case is downloaded (`/cgi-bin/media/get`, the same path on both; one keeper per platform, with that
platform's API) into DATA_DIR/media/<case id>/ soon after it arrives.

The download happens outside any database transaction (the row is reserved for a lease first), so a
slow WeChat never holds the database; a failed download is retried with backoff, and an expired
media id (40007) is recorded and given up. A file over MEDIA_MAX_BYTES is abandoned as soon as its size is
known (never read whole), and only the types of storage.media.MEDIA_TYPES are kept: the dashboard serves
these files back to staff, so nothing that can carry script (SVG, HTML) is ever stored. The job loop runs
`tick` every MEDIA_POLL_S seconds (`JobRunner.every`, bot/background/workers.py)."""
from __future__ import annotations

import asyncio
import logging
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from bot.api_client import download_limit
from bot.errors import DeliveryError, PermanentError
from storage import media
from storage.db import Database, private_dir

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
MAX_BYTES = 10 * 1024 * 1024  # MEDIA_MAX_BYTES: WeChat's own limit for a photo is 10 MB


class MediaKeeper:
    def __init__(self, db: Database, api, root: Path, *, clock: Callable[[], datetime], platform: str = "wechat",
                 max_bytes: int = MAX_BYTES):
        self.db, self.api, self.root, self.clock = db, api, root, clock
        self.platform, self.max_bytes = platform, max_bytes

    async def tick(self) -> int:
        """Download what is due; returns how many files were stored."""
        async with self.db.transaction() as session:
            due = await media.claim(session, platforms=[self.platform], now=self.clock(), lease=LEASE)
        stored = 0
        for item in due:
            stored += await self._fetch(item)
        return stored

    async def _fetch(self, item: media.Pending) -> int:
        limit = download_limit.set(self.max_bytes)
        try:
            file = await self.api.get_media(item.media_id)
            content_type = file.content_type.split(";")[0].strip().lower()
            if content_type not in media.MEDIA_TYPES:
                raise PermanentError("media_type", f"{content_type or 'no type'} is not a kind of media we keep")
        except PermanentError as exc:
            async with self.db.transaction() as session:
                await media.failed(session, item.id, str(exc), None)
            log.warning("media %s of case %d not kept: %s", item.media_id, item.case_id, exc)
            return 0
        except (DeliveryError, OSError) as exc:
            async with self.db.transaction() as session:
                await media.failed(session, item.id, str(exc), self.clock() + timedelta(minutes=2))
            return 0
        finally:
            download_limit.reset(limit)
        suffix = media.MEDIA_TYPES[content_type]
        folder = self.root / str(item.case_id)
        path = folder / f"{item.id}-{SAFE.sub('_', item.media_id)[:60]}{suffix}"
        await asyncio.to_thread(_write, path, file.content)
        async with self.db.transaction() as session:
            await media.stored(session, item.id, str(path))
        return 1


def _write(path: Path, content: bytes) -> None:
    """Residents' photos are personal data: folders 0700, files 0600."""
    private_dir(path.parent)
    tmp = path.with_suffix(path.suffix + ".part")
    with os.fdopen(os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600), "wb") as file:
        file.write(content)
    tmp.replace(path)
