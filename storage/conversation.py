"""Dialog state per person (platform + user id): a state name and its slots, kept in the database so a
dialog survives restarts and is the same whichever server process gets the next message."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation


_TABLE = Conversation.__table__
_GET = select(_TABLE.c.state, _TABLE.c.data, _TABLE.c.updated_at).where(  # built once: read on every message
    _TABLE.c.platform == bindparam("p"), _TABLE.c.user_id == bindparam("u"))


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
        row = await self.session.get(Conversation, (self.platform, self.user_id))
        if row is None:
            self.session.add(Conversation(platform=self.platform, user_id=self.user_id, state=state, data=data,
                                          updated_at=now))
        else:
            row.state, row.data, row.updated_at = state, data, now

    async def clear(self) -> None:
        await self.session.execute(delete(Conversation).where(Conversation.platform == self.platform,
                                                              Conversation.user_id == self.user_id))
