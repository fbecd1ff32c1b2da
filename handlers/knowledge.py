"""Questions to the street answered from its knowledge base, at rest (no report being written).

The nlp decides what a message is (`Analyzer.inquire`): a question gets the entry that answers it and one line
offering a person; a question no entry answers is told so, offered a person, and kept (masked) for the
dashboard; a complaint, or anything else, goes on to the other conversations exactly as before (the report
dialog first), so a question never swallows a complaint.

`KnowledgeBase` holds the search index of the entries and builds a new one when they change. An edit in this
process's dashboard marks it stale at once (the next answer is the edited one); edits made elsewhere (another
server process, `kb import` on the command line) are seen within RECHECK_S, when it reads the entries' version
again: one small query every few seconds, not one per message. It is built at start with the analyzer
(bot/services.py), so the first question does not wait for it."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from backend import kb
from handlers import texts as T
from handlers.intake import ACTIVE, TEXTUAL, understand
from handlers.router import Context, Router, SkipHandler
from handlers.types import Reply, Update

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from nlp import Analyzer, Inquiry
    from nlp.faq import FaqIndex


RECHECK_S = 5  # an entry edited in another process is answered at most this long after


class KnowledgeBase:
    """The index of the street's entries and their answers, rebuilt when the entries' version changes."""

    def __init__(self):
        self._version: tuple | None = None
        self._index: "FaqIndex | None" = None
        self._answers: dict[str, str] = {}
        self._checked_at: datetime | None = None  # when the entries' version was last read
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """The entries changed in this process: read them again before the next answer."""
        self._checked_at = None

    async def index(self, session: "AsyncSession", analyzer: "Analyzer", now: datetime) -> "FaqIndex":
        where = str(session.bind.url)  # a test may hand one set of services to two databases
        fresh = (self._checked_at is not None and self._version is not None and self._version[0] == where
                 and timedelta(0) <= now - self._checked_at < timedelta(seconds=RECHECK_S))
        if fresh:
            return self._index
        current = (where, await kb.version(session))
        if current != self._version:
            async with self._lock:
                if current != self._version:
                    await self._rebuild(session, analyzer, current)
        self._checked_at = now
        return self._index

    async def _rebuild(self, session: "AsyncSession", analyzer: "Analyzer", version: tuple) -> None:
        from nlp.faq import FaqEntry

        entries = await kb.list_entries(session)
        found = [FaqEntry(e.faq_id, e.question, e.keywords, e.answer) for e in entries]
        self._index = await asyncio.to_thread(analyzer.faq_index, found)
        self._answers = {e.faq_id: e.answer for e in entries}
        self._version = version

    def answer(self, faq_id: str) -> str | None:
        return self._answers.get(faq_id)


async def inquiry_of(update: Update, ctx: Context) -> "Inquiry":
    """The nlp's decision on this message against the current entries, computed once per message."""
    if "inquiry" not in ctx.readings:
        index = await ctx.services.knowledge.index(ctx.session, ctx.services.nlp, ctx.now)
        ctx.readings["inquiry"] = ctx.services.nlp.inquire(update.text or "", index, understand(update, ctx))
    return ctx.readings["inquiry"]


async def consult(update: Update, ctx: Context) -> Reply | None:
    """The answer to a question at rest (the entry's, or that nobody knows, the question kept for the street);
    None when the message is no question."""
    inquiry = await inquiry_of(update, ctx)
    if inquiry.intent != "consultation":
        return None
    answer = ctx.services.knowledge.answer(inquiry.faq_id) if inquiry.faq_id else None
    await kb.record_consultation(ctx.session, ctx.now, inquiry.faq_id if answer else None, update.text or "")
    if answer is None:
        return Reply(text=T.KB_UNKNOWN)
    return Reply(text=T.KB_ANSWER.format(answer=answer))


async def known_answer(update: Update, ctx: Context) -> str | None:
    """The entry's answer to a question asked in the middle of a report, or None: a question about the report
    itself ("要拍照吗") is answered by the dialog and kept nowhere."""
    inquiry = await inquiry_of(update, ctx)
    answer = ctx.services.knowledge.answer(inquiry.faq_id) if inquiry.faq_id else None
    if inquiry.intent != "consultation" or answer is None:
        return None
    await kb.record_consultation(ctx.session, ctx.now, inquiry.faq_id, update.text or "")
    return answer


router = Router("knowledge")


@router.on(TEXTUAL & ~ACTIVE)
async def consultation(update: Update, ctx: Context) -> Reply:
    reply = await consult(update, ctx)
    if reply is None:
        raise SkipHandler  # a complaint goes to the report dialog, the rest to their conversations
    return reply
