"""Dialog state per person (platform + user id): a state name and its slots, kept in the database so a
dialog survives restarts and is the same whichever server process gets the next message."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation


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
        table = Conversation.__table__
        conn = await self.session.connection()
        row = (await conn.execute(select(table.c.state, table.c.data, table.c.updated_at).where(
            table.c.platform == self.platform, table.c.user_id == self.user_id))).first()
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
