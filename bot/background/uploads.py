"""Photos uploaded on 随手拍 that never joined a case (the resident left the form after an error or at the
duplicate offer) are deleted once no form can carry them on any more: they are personal data nobody needs.
Runs on the job loop every hour (`JobRunner.every`, bot/background/workers.py)."""
from __future__ import annotations

import logging
import time
from pathlib import Path

from backend import residents
from storage.db import Database

log = logging.getLogger(__name__)

KEEP_S = 2 * 3600  # longer than a form carries an upload on (web/h5_report.py STAGED_TTL_S)
EVERY_S = 3600
BATCH = 200  # file names looked up in one query


class UploadSweeper:
    def __init__(self, db: Database, root: Path, *, keep_s: float = KEEP_S, now=time.time):
        self.db, self.folder, self.keep_s, self.now = db, root / "h5", keep_s, now

    async def tick(self) -> int:
        """Delete the old uploads no case points at; returns how many."""
        if not self.folder.is_dir():
            return 0
        cutoff = self.now() - self.keep_s
        old = [p for p in self.folder.iterdir() if p.is_file() and p.stat().st_mtime < cutoff]
        removed = 0
        for start in range(0, len(old), BATCH):
            batch = old[start:start + BATCH]
            async with self.db.sessions() as session:
                kept = await residents.kept_names(session, [p.name for p in batch])
            for path in batch:
                if path.name not in kept:
                    path.unlink(missing_ok=True)
                    removed += 1
        if removed:
            log.info("deleted %d uploaded photos that joined no case", removed)
        return removed
