"""Questions to the street answered from its knowledge base, at rest (no report being written).

The nlp decides what a message is (`Analyzer.inquire`): a question gets the entry that answers it and one line
offering a person; a question no entry answers is told so, offered a person, and kept (masked) for the
dashboard; a complaint, or anything else, goes on to the other conversations exactly as before (the report
dialog first), so a question never swallows a complaint. A complaint that also asks what an entry answers gets
the answer before the report dialog's first question (`answer_beside_report`).

`KnowledgeBase` holds the search index of the entries and builds a new one when they change. An edit in this
process's dashboard marks it stale at once (the next answer is the edited one); edits made elsewhere (another
server process, `kb import` on the command line) are seen within RECHECK_S, when it reads the entries' version
again: one small query every few seconds, not one per message. It is built at start with the analyzer
(bot/services.py), so the first question does not wait for it."""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from backend import kb
from handlers import texts as T
from handlers.intake import ACTIVE, INQUIRY, TEXTUAL, understand
from handlers.router import Context, Filter, Router, SkipHandler
from handlers.types import Reply, Update
from storage import inbound
from storage.conversation import ConversationStore

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from nlp import Analyzer, Inquiry
    from nlp.faq import FaqIndex


RECHECK_S = 5  # an entry edited in another process is answered at most this long after
PICK = re.compile(r"^\s*([1-9１-９])\s*$")


class KnowledgeBase:
    """The index of the street's entries and their answers, rebuilt when the entries' version changes."""

    def __init__(self):
        self._version: tuple | None = None
        self._index: "FaqIndex | None" = None
        self._entries: dict[str, "kb.Entry"] = {}
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
        found = [FaqEntry(e.faq_id, e.question, e.keywords, e.answer, e.phrasings or ()) for e in entries]
        self._index = await asyncio.to_thread(analyzer.faq_index, found)
        self._entries = {e.faq_id: e for e in entries}
        self._version = version

    def answer(self, faq_id: str) -> str | None:
        entry = self._entries.get(faq_id)
        return entry.answer if entry else None

    def question(self, faq_id: str) -> str | None:
        entry = self._entries.get(faq_id)
        return entry.question if entry else None


async def inquiry_of(update: Update, ctx: Context) -> "Inquiry":
    """The nlp's decision on this message against the current entries, computed once per message."""
    if INQUIRY not in ctx.readings:
        index = await ctx.services.knowledge.index(ctx.session, ctx.services.nlp, ctx.now)
        ctx.readings[INQUIRY] = ctx.services.nlp.inquire(update.text or "", index, understand(update, ctx))
    return ctx.readings[INQUIRY]


async def consult(update: Update, ctx: Context) -> Reply | None:
    """The answer to a question at rest (the entry's; else the entries that come near, to pick from; else that
    nobody knows), the question kept for the street when no entry was sure; None when the message is no
    question."""
    inquiry = await inquiry_of(update, ctx)
    if inquiry.intent != "consultation":
        return None
    answer = ctx.services.knowledge.answer(inquiry.faq_id) if inquiry.faq_id else None
    consultation = await kb.record_consultation(ctx.session, ctx.now, inquiry.faq_id if answer else None,
                                                update.text or "")
    question = kb.kept_text(update.text or "")
    if answer is not None:
        await answered(update, ctx, consultation, question)
        return Reply(text=T.KB_ANSWER.format(answer=answer))
    near = [c for c in inquiry.offered if ctx.services.knowledge.question(c)]
    if not near:
        return Reply(text=T.KB_UNKNOWN)
    since = await inbound.mark(ctx.session, update.platform, update.user_id)
    await exchange_store(update, ctx).set("offered", {"faq_ids": near, "consultation": consultation, "since": since,
                                                      "text": question}, ctx.now)
    choices = "\n".join(T.KB_CHOICE.format(n=n, question=ctx.services.knowledge.question(c))
                        for n, c in enumerate(near, 1))
    return Reply(text=T.KB_SUGGEST.format(choices=choices))


def exchange_store(update: Update, ctx: Context) -> ConversationStore:
    """The knowledge base's last word to this person, kept apart from any dialog: the entries offered to pick
    from, or the answer given (so a 没解决 right after it disowns it). Holds the question masked, as kept."""
    return ConversationStore(ctx.session, f"{update.platform}#kb", update.user_id)


async def answered(update: Update, ctx: Context, consultation: int, question: str) -> None:
    """An entry's answer was given to `question` (as kept): what a 没解决 right after it disowns."""
    since = await inbound.mark(ctx.session, update.platform, update.user_id)
    await exchange_store(update, ctx).set("answered", {"consultation": consultation, "since": since,
                                                       "text": question}, ctx.now)


async def answer_disowned(update: Update, ctx: Context) -> bool:
    """The resident's 没解决 or 人工 as their very next message after an answer, within the dialog timeout: the
    answer did not solve it (backend.kb.answer_not_solved), and the street will see the question."""
    store = exchange_store(update, ctx)
    last = await store.get()
    if last is None or last.state != "answered" or ctx.now - last.updated_at > ctx.services.dialog_ttl:
        return False
    if not await inbound.nothing_since(ctx.session, update.platform, update.user_id, last.data.get("since", {})):
        return False
    await store.clear()
    return await kb.answer_not_solved(ctx.session, last.data["consultation"], last.data.get("text", ""), ctx.now)


def picks_a_number(update: Update, ctx: Context) -> bool:
    return update.kind == "text" and ctx.dialog is None and PICK.match(update.text or "") is not None


async def picked(update: Update, ctx: Context) -> tuple[str, int, str] | None:
    """The entry a bare number picks: among those offered to this person in reply to their last message, within
    the dialog timeout, with nothing pushed to them since (a survey's 1/2/3 is not a pick); with the
    consultation it answers and the question (masked)."""
    offer = await exchange_store(update, ctx).get()
    if offer is None or offer.state != "offered" or ctx.now - offer.updated_at > ctx.services.dialog_ttl:
        return None
    n = int(PICK.match(update.text).group(1))
    near = offer.data.get("faq_ids", [])
    if not 1 <= n <= len(near):
        return None
    if not await inbound.nothing_since(ctx.session, update.platform, update.user_id, offer.data.get("since", {})):
        return None
    return near[n - 1], offer.data["consultation"], offer.data.get("text", "")


def answer_beside_report(ctx: Context) -> str | None:
    """The entry's answer to what a report at rest also asks ("路灯坏了三天了，到底归谁管？"), to say before the
    report dialog's first question; None when the report asks nothing an entry answers. It opens a case, not a
    consultation: the street's consultation figures do not count it."""
    inquiry = ctx.readings.get(INQUIRY)
    if inquiry is None or inquiry.intent != "complaint" or inquiry.faq_id is None:
        return None
    return ctx.services.knowledge.answer(inquiry.faq_id)


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
pick_router = Router("knowledge pick")


@pick_router.on(Filter(picks_a_number, "picks an entry offered"))
async def pick(update: Update, ctx: Context) -> Reply:
    found = await picked(update, ctx)
    answer = ctx.services.knowledge.answer(found[0]) if found else None
    if answer is None:
        raise SkipHandler  # no offer stands: the number means whatever it means elsewhere (a survey's rating)
    faq_id, consultation, question = found
    await kb.answered_by_choice(ctx.session, consultation, faq_id)
    await answered(update, ctx, consultation, question)
    return Reply(text=T.KB_ANSWER.format(answer=answer))


@router.on(TEXTUAL & ~ACTIVE)
async def consultation(update: Update, ctx: Context) -> Reply:
    reply = await consult(update, ctx)
    if reply is None:
        raise SkipHandler  # a complaint goes to the report dialog, the rest to their conversations
    return reply
