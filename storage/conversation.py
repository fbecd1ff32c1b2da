"""Dialog state per person (platform + user id): a state name and its slots, kept in the database so a
dialog survives restarts and is the same whichever server process gets the next message."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import INSERTS
from storage.models import Conversation


_TABLE = Conversation.__table__
# Built once: the state is read on every message and written on most.
_GET = select(_TABLE.c.state, _TABLE.c.data, _TABLE.c.updated_at).where(
    _TABLE.c.platform == bindparam("p"), _TABLE.c.user_id == bindparam("u"))
_CLEAR = delete(_TABLE).where(_TABLE.c.platform == bindparam("p"), _TABLE.c.user_id == bindparam("u"))


def _upsert(insert):
    """One statement whether the person has a state already or not."""
    statement = insert(_TABLE)
    return statement.on_conflict_do_update(index_elements=["platform", "user_id"],
                                           set_={c: statement.excluded[c] for c in ("state", "data", "updated_at")})


_SET = {name: _upsert(insert) for name, insert in INSERTS.items()}


@dataclass(frozen=True)
class DialogState:
    state: str
    data: dict
    updated_at: datetime


class ConversationStore:
    """Read, write and clear one person's dialog state inside the caller's transaction."""

    def __init__(self, session: AsyncSession, platform: str, user_id: str):
        self.session, self.platform, self.user_id = session, platform, user_id

    async def get(self) -> DialogState | None:
        conn = await self.session.connection()
        row = (await conn.execute(_GET, {"p": self.platform, "u": self.user_id})).first()
        return DialogState(row.state, dict(row.data or {}), row.updated_at) if row else None

    async def set(self, state: str, data: dict, now: datetime) -> None:
        conn = await self.session.connection()
        await conn.execute(_SET[conn.dialect.name], {"platform": self.platform, "user_id": self.user_id,
                                                     "state": state, "data": data, "updated_at": now})

    async def clear(self) -> None:
        conn = await self.session.connection()
        await conn.execute(_CLEAR, {"p": self.platform, "u": self.user_id})
