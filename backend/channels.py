"""Channels other than WeChat (the 12345 hotline, digital city management, …): each files cases through
the Open311 API with its own API key. Only the key's sha256 is stored; the key is shown once, at creation."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import lifecycle
from storage.models import Case, Channel

KEY_PREFIX = "gz311_"
NAME_LIMIT = 32
WECHAT = "wechat"  # Case.channel of reports made in the WeChat chat


class ChannelError(ValueError):
    """A channel command that cannot be carried out; the message is for the administrator."""


def key_hash(key: str) -> str:
    return hashlib.sha256(key.strip().encode()).hexdigest()


async def add_channel(session: AsyncSession, name: str, now: datetime) -> tuple[Channel, str]:
    """A new channel and its API key (returned once; only its hash is kept)."""
    name = name.strip()
    if not name or len(name) > NAME_LIMIT:
        raise ChannelError(f"a channel name is 1 to {NAME_LIMIT} characters")
    if name == WECHAT:
        raise ChannelError(f"{WECHAT!r} is the WeChat chat's own channel")
    if (await session.execute(select(Channel.id).where(Channel.name == name))).first() is not None:
        raise ChannelError(f"channel {name!r} exists already (use `channel rotate` for a new key)")
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    channel = Channel(name=name, key_hash=key_hash(key), key_hint=key[:10], created_at=now)
    session.add(channel)
    await session.flush()
    return channel, key


async def rotate_key(session: AsyncSession, name: str) -> str:
    """A new key for a channel; the old one stops working at once."""
    channel = (await session.execute(select(Channel).where(Channel.name == name))).scalar_one_or_none()
    if channel is None:
        raise ChannelError(f"no channel {name!r}")
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    channel.key_hash, channel.key_hint, channel.revoked_at = key_hash(key), key[:10], None
    return key


async def by_key(session: AsyncSession, key: str | None) -> Channel | None:
    """The live channel this API key belongs to, or None (unknown, empty or revoked)."""
    if not key or not key.strip():
        return None
    found = (await session.execute(select(Channel).where(Channel.key_hash == key_hash(key)))).scalar_one_or_none()
    return found if found is not None and found.revoked_at is None else None


@dataclass(frozen=True)
class ChannelLine:
    channel: Channel | None  # None for WeChat and for names no longer registered
    name: str
    cases: int
    open_cases: int


async def list_channels(session: AsyncSession) -> list[ChannelLine]:
    """Every registered channel (and WeChat) with its number of cases, all and still open."""
    counts = {name: (total, still_open) for name, total, still_open in (await session.execute(
        select(Case.channel, func.count(), func.count().filter(Case.status.in_(lifecycle.UNFINISHED)))
        .group_by(Case.channel))).all()}
    channels = (await session.execute(select(Channel).order_by(Channel.id))).scalars().all()
    lines = [ChannelLine(None, WECHAT, *counts.pop(WECHAT, (0, 0)))]
    lines += [ChannelLine(c, c.name, *counts.pop(c.name, (0, 0))) for c in channels]
    lines += [ChannelLine(None, name, *n) for name, n in sorted(counts.items())]
    return lines
