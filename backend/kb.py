"""The street's knowledge base: its entries, the questions residents asked that no entry answered (masked,
grouped by their normalised text), and one row per question asked for the figures.

Entries are edited here only (CLI, dashboard, import), and each edit stamps `updated_at`: `version()` changes
with every edit, so whoever holds a search index built from the entries knows when to build a new one."""
from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.privacy import mask_text
from storage.models import Consultation, KbEntry, KbQuestion

FAQ_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
QUESTION_MAX, ANSWER_MAX, KEYWORDS_MAX, DEPARTMENT_MAX, PHRASINGS_MAX = 200, 2000, 30, 32, 50
ASKED_TEXT_MAX = 200  # characters of an unanswered question kept for the dashboard
CSV_COLUMNS = ("faq_id", "question", "answer", "department", "keywords")
ANSWERED_BY_KB, UNKNOWN = "answered_by_kb", "unknown"
ANSWERED_BY_CHOICE = "answered_by_choice"  # no entry was sure; the resident picked one of those offered
ANSWER_NOT_SOLVED = "answer_not_solved"  # answered, and the resident's next words were 没解决 or 人工


@dataclass(frozen=True)
class Entry:
    faq_id: str
    question: str
    answer: str
    department: str | None = None
    keywords: tuple[str, ...] = ()
    updated_at: datetime | None = None
    updated_by: str | None = None
    phrasings: tuple[str, ...] | None = None  # None: not given (an import keeps the entry's own)

    def as_json(self) -> dict:
        return {"faq_id": self.faq_id, "question": self.question, "answer": self.answer,
                "department": self.department, "keywords": list(self.keywords),
                "phrasings": list(self.phrasings or ()),
                "updated_at": self.updated_at.isoformat() if self.updated_at else None,
                "updated_by": self.updated_by}


@dataclass(frozen=True)
class Refusal:
    """Why an entry was not taken: a code the texts modules put into words, and the field or row."""

    code: str  # bad_id | empty_question | empty_answer | too_long | duplicate_id | unknown_id | bad_csv
    where: str = ""


@dataclass
class Imported:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _clean(value: object) -> str:
    return unicodedata.normalize("NFC", str(value or "")).replace("\r\n", "\n").strip()


def make_entry(faq_id: object, question: object, answer: object, department: object = None,
               keywords: object = (), phrasings: object = None) -> Entry | Refusal:
    """An entry from what a person typed (a form, a CSV row, the CLI), or why it cannot be one. `phrasings`:
    one a line (a form) or a list; None leaves the entry's own."""
    faq_id, question, answer = _clean(faq_id), _clean(question), _clean(answer)
    words = keywords.split("|") if isinstance(keywords, str) else list(keywords or ())
    words = tuple(dict.fromkeys(w for w in (_clean(k) for k in words) if w))
    asked = None
    if phrasings is not None:
        lines = phrasings.split("\n") if isinstance(phrasings, str) else list(phrasings)
        asked = tuple(dict.fromkeys(p for p in (_clean(line) for line in lines) if p))
        if len(asked) > PHRASINGS_MAX or any(len(p) > ASKED_TEXT_MAX for p in asked):
            return Refusal("too_long", "phrasings")
    dept = _clean(department) or None
    if not FAQ_ID.match(faq_id):
        return Refusal("bad_id", "faq_id")
    if not question:
        return Refusal("empty_question", "question")
    if not answer:
        return Refusal("empty_answer", "answer")
    for name, value, limit in (("question", question, QUESTION_MAX), ("answer", answer, ANSWER_MAX),
                               ("department", dept or "", DEPARTMENT_MAX)):
        if len(value) > limit:
            return Refusal("too_long", name)
    if len(words) > KEYWORDS_MAX or any(len(w) > 20 for w in words):
        return Refusal("too_long", "keywords")
    return Entry(faq_id, question, answer, dept, words, phrasings=asked)


def _entry(row: KbEntry) -> Entry:
    return Entry(row.faq_id, row.question, row.answer, row.department, tuple(row.keywords or ()), row.updated_at,
                 row.updated_by, tuple(row.phrasings or ()))


async def list_entries(session: AsyncSession) -> list[Entry]:
    rows = await session.scalars(select(KbEntry).order_by(KbEntry.faq_id))
    return [_entry(r) for r in rows]


async def get_entry(session: AsyncSession, faq_id: str) -> Entry | None:
    row = await session.get(KbEntry, faq_id)
    return _entry(row) if row is not None else None


async def version(session: AsyncSession) -> tuple[int, str | None]:
    """Changes with every add, edit and removal: (number of entries, latest edit)."""
    count, latest = (await session.execute(select(func.count(), func.max(KbEntry.updated_at)))).one()
    return int(count), latest.isoformat() if latest else None


async def put_entry(session: AsyncSession, entry: Entry, now: datetime, actor: str, *,
                    must_exist: bool | None = None) -> str | Refusal:
    """Add or replace an entry: 'added', 'updated' or 'unchanged'. `must_exist` True refuses a new id (edit),
    False refuses a known one (add), None takes both (import)."""
    row = await session.get(KbEntry, entry.faq_id)
    if row is None and must_exist:
        return Refusal("unknown_id", entry.faq_id)
    if row is not None and must_exist is False:
        return Refusal("duplicate_id", entry.faq_id)
    if row is None:
        session.add(KbEntry(faq_id=entry.faq_id, question=entry.question, answer=entry.answer,
                            department=entry.department, keywords=list(entry.keywords),
                            phrasings=list(entry.phrasings or ()), updated_at=now, updated_by=actor))
        await session.flush()
        return "added"
    phrasings = tuple(row.phrasings or ()) if entry.phrasings is None else entry.phrasings
    same = (row.question, row.answer, row.department, tuple(row.keywords or ()), tuple(row.phrasings or ())) == \
        (entry.question, entry.answer, entry.department, entry.keywords, phrasings)
    if same:
        return "unchanged"
    row.question, row.answer, row.department, row.keywords = (entry.question, entry.answer, entry.department,
                                                              list(entry.keywords))
    row.phrasings = list(phrasings)
    row.updated_at, row.updated_by = _after(row.updated_at, now), actor
    await session.flush()
    return "updated"


def _after(previous: datetime | None, now: datetime) -> datetime:
    """`now`, or a microsecond past the previous edit when the clock has not moved: the version must change."""
    if previous is not None and now <= previous:
        return previous + timedelta(microseconds=1)
    return now


async def attach_question(session: AsyncSession, key: str, faq_id: str, now: datetime, actor: str) -> str | Refusal:
    """An unanswered question becomes one of an entry's phrasings, as it was kept (masked), and leaves the
    unanswered list: the next resident who asks it so gets the entry. Returns the entry's id."""
    asked, row = await session.get(KbQuestion, key), await session.get(KbEntry, faq_id)
    if asked is None:
        return Refusal("unknown_question", key[:12])
    if row is None:
        return Refusal("unknown_id", faq_id)
    phrasings = list(dict.fromkeys([*(row.phrasings or ()), asked.text]))
    if len(phrasings) > PHRASINGS_MAX:
        return Refusal("too_long", "phrasings")
    row.phrasings, row.updated_at, row.updated_by = phrasings, _after(row.updated_at, now), actor
    await session.delete(asked)
    await session.flush()
    return row.faq_id


async def remove_entry(session: AsyncSession, faq_id: str) -> bool:
    return (await session.execute(delete(KbEntry).where(KbEntry.faq_id == faq_id))).rowcount > 0


def read_csv(path: str | Path) -> list[Entry] | Refusal:
    """Entries of a CSV file with the columns faq_id,question,answer,department,keywords (keywords joined by
    |); a bad row refuses the whole file, naming its line, so an import never half-applies."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in ("faq_id", "question", "answer") if c not in (reader.fieldnames or ())]
            if missing:
                return Refusal("bad_csv", "columns: " + ",".join(missing))
            entries, seen = [], set()
            for line, row in enumerate(reader, start=2):
                made = make_entry(row.get("faq_id"), row.get("question"), row.get("answer"), row.get("department"),
                                  row.get("keywords") or "")
                if isinstance(made, Refusal):
                    return Refusal(made.code, f"line {line}: {made.where}")
                if made.faq_id in seen:
                    return Refusal("duplicate_id", f"line {line}: {made.faq_id}")
                seen.add(made.faq_id)
                entries.append(made)
            return entries
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return Refusal("bad_csv", str(exc)[:200])


async def import_entries(session: AsyncSession, entries: Iterable[Entry], now: datetime,
                         actor: str = "import") -> Imported:
    """Add new entries and update changed ones, by faq_id; importing the same file twice changes nothing."""
    done = Imported()
    for entry in entries:
        outcome = await put_entry(session, entry, now, actor)
        getattr(done, outcome).append(entry.faq_id)
    return done


def kept_text(text: str) -> str:
    """A question as it may be kept: masked (no phone or name is ever stored), at most ASKED_TEXT_MAX long."""
    return (mask_text(text) or "").strip()[:ASKED_TEXT_MAX]


def asked_key(text: str) -> tuple[str, str]:
    """(group key, kept text) of a question: masked first, then normalised (full-width to ASCII, case, spaces
    and punctuation dropped) so the same question typed twice is one group."""
    masked = kept_text(text)
    folded = unicodedata.normalize("NFKC", masked).lower()
    folded = "".join(ch for ch in folded if ch.isalnum() or ch == "*")
    return hashlib.sha256(folded.encode("utf-8")).hexdigest(), masked


async def record_consultation(session: AsyncSession, now: datetime, faq_id: str | None, text: str) -> int:
    """One question asked: counted for the figures; one no entry answered is also kept (masked, grouped) for
    the street to answer. Returns the consultation's id."""
    consultation = Consultation(at=now, outcome=ANSWERED_BY_KB if faq_id else UNKNOWN, faq_id=faq_id)
    session.add(consultation)
    if faq_id is None:
        await _keep_question(session, text, now, answered_with=None)
    await session.flush()
    return consultation.id


async def _keep_question(session: AsyncSession, text: str, now: datetime, *, answered_with: str | None,
                         asked_again: bool = True) -> None:
    """Group the question with the same ones asked before; `asked_again` False: it is kept already for this
    asking (a question answered by the resident's pick), only what answered it changes."""
    key, masked = asked_key(text)
    row = await session.get(KbQuestion, key)
    if row is None:
        session.add(KbQuestion(key=key, text=masked, count=1, first_asked_at=now, last_asked_at=now,
                               answered_with=answered_with))
        return
    if asked_again:
        row.count, row.last_asked_at, row.text = row.count + 1, max(row.last_asked_at, now), masked
    row.answered_with = answered_with


async def answered_by_choice(session: AsyncSession, consultation_id: int, faq_id: str) -> None:
    """A question no entry was sure of, answered by the entry the resident picked among those offered. It stays
    among the unanswered questions the street sees: the knowledge base did not know it by itself."""
    row = await session.get(Consultation, consultation_id)
    if row is not None and row.outcome == UNKNOWN:
        row.outcome, row.faq_id = ANSWERED_BY_CHOICE, faq_id
        await session.flush()


async def answer_not_solved(session: AsyncSession, consultation_id: int, text: str, now: datetime) -> bool:
    """The resident said the answer just given did not solve it: the consultation counts apart in the figures,
    and the question (`text`, masked as kept) joins those the street looks at, with the entry that answered it,
    so a supervisor can name the entry that does answer it or write one. False when that answer was not
    given (or already disowned)."""
    row = await session.get(Consultation, consultation_id)
    if row is None or row.outcome not in (ANSWERED_BY_KB, ANSWERED_BY_CHOICE):
        return False
    picked = row.outcome == ANSWERED_BY_CHOICE  # its question was kept when no entry was sure of it
    row.outcome = ANSWER_NOT_SOLVED
    await _keep_question(session, text, now, answered_with=row.faq_id, asked_again=not picked)
    await session.flush()
    return True


@dataclass(frozen=True)
class Unanswered:
    text: str
    count: int
    first_asked_at: datetime
    last_asked_at: datetime
    key: str = ""  # the group's key: what the dashboard names when it attaches the question to an entry
    answered_with: str | None = None  # the entry whose answer the resident said did not solve it


async def unanswered(session: AsyncSession, limit: int = 200) -> list[Unanswered]:
    """Questions no entry answered, or whose answer did not solve them, newest first, with how often each was
    asked."""
    rows = await session.scalars(select(KbQuestion).order_by(KbQuestion.last_asked_at.desc()).limit(limit))
    return [Unanswered(r.text, r.count, r.first_asked_at, r.last_asked_at, r.key, r.answered_with) for r in rows]


async def forget_unanswered(session: AsyncSession, before: datetime) -> int:
    """Retention: questions last asked before `before` are deleted."""
    return (await session.execute(delete(KbQuestion).where(KbQuestion.last_asked_at < before))).rowcount


async def consultation_figures(session: AsyncSession, start: datetime | None = None,
                               end: datetime | None = None) -> dict:
    """The consultations of a period as 12345 counts them: asked, and how each was met. Every way a question
    is met is one key of `consultations`. `answered_by_kb` counts the answers given, at once or after the
    resident picked one of the entries offered (`answered_after_choice`), and within them `answers_not_solved`,
    those the resident said did not solve it; kb_answer_rate is the share answered and not disowned."""
    query = select(Consultation.outcome, func.count()).group_by(Consultation.outcome)
    if start is not None:
        query = query.where(Consultation.at >= start)
    if end is not None:
        query = query.where(Consultation.at < end)
    counts = {outcome: n for outcome, n in (await session.execute(query)).all()}
    asked = sum(counts.values())
    chosen, disowned = counts.get(ANSWERED_BY_CHOICE, 0), counts.get(ANSWER_NOT_SOLVED, 0)
    met = {"asked": asked, ANSWERED_BY_KB: counts.get(ANSWERED_BY_KB, 0) + chosen + disowned,
           "answered_after_choice": chosen, "answers_not_solved": disowned}
    rate = round((met[ANSWERED_BY_KB] - disowned) / asked, 4) if asked else None
    return {"consultations": met, "kb_answer_rate": rate}
