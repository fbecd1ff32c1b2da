"""What a message is at a step of a dialog, read by the nlp (`Analyzer.turn`): an answer, a confirmation,
a cancellation, a correction, an added detail, a question, chit-chat, staff words or nothing at all.

Handlers act on the kind: only answers and added details change a report, and an added detail is shown
back. Read once per message and step."""
from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.router import Context
from handlers.types import Update

if TYPE_CHECKING:
    from nlp import Turn

ANSWER, CONFIRM, CANCEL, CORRECTION, DETAIL = "answer", "confirm", "cancel", "correction", "detail"
QUESTION, CHITCHAT, STAFF_COMMAND, EMPTY = "question", "chitchat", "staff_command", "empty"
ASIDES = (EMPTY, CHITCHAT, QUESTION, STAFF_COMMAND)  # change nothing in a report; never open one


def turn_of(update: Update, ctx: Context, expecting: str | None = None) -> "Turn | None":
    """The nlp's reading of this message as a reply to a step that asked for `expecting` (None: no dialog);
    None when the message has no text."""
    if update.text is None:
        return None
    key = ("turn", expecting)
    if key not in ctx.readings:
        ctx.readings[key] = ctx.services.nlp.turn(update.text, expecting)
    return ctx.readings[key]


def kind_of(update: Update, ctx: Context, expecting: str | None = None) -> str | None:
    turn = turn_of(update, ctx, expecting)
    return turn.kind if turn is not None else None


def is_aside(update: Update, ctx: Context, expecting: str | None = None) -> bool:
    """Nothing for a report: empty, chit-chat, a question to us, or a staff command from a resident."""
    return kind_of(update, ctx, expecting) in ASIDES
