"""Declarative dialogs (python-telegram-bot's ConversationHandler, aiogram's FSM).

A Dialog is a dict of named States; each State holds its whole step: the question asked on entering it,
the handler of the person's answer, and how the next state is chosen when the answer does not name one.
The current state and its slots live in the database (storage.conversation) per person; a dialog idle
longer than the configured timeout (`DRAFT_TTL_S`, ctx.services.dialog_ttl) is dropped, and the text
saying so follows that setting. The intake dialog reads in one screen in handlers/intake.py, the charging
one in handlers/charging.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Awaitable, Callable

from backend.clock import duration_text
from handlers import texts as T
from handlers.router import Context, Filter
from handlers.types import Reply, Update
from storage.conversation import ConversationStore, DialogState

Ask = Callable[[Any, Context], Awaitable[str]]  # (the dialog's slots, ctx) -> the question
Answer = Callable[..., Awaitable[Any]]  # the dialog's own answer signature (intake: slots, update, ctx -> Step)
Next = Callable[[Any, Context], str]  # (slots, ctx) -> the next state's name


@dataclass(frozen=True)
class Step:
    """After an answer: go to `state` (None: the state's own `next`), with `prefix` before its question;
    or finish the dialog with `reply`."""

    state: str | None = None
    prefix: str = ""
    reply: Reply | None = None


@dataclass(frozen=True)
class State:
    """One step of a dialog: its question, the handler of the answer, and how the next step is chosen."""

    ask: Ask
    answer: Answer
    next: Next | None = None  # None: the dialog's `next`
    expecting: str | None = None  # what the question asks for, as the nlp's turn reader names it


@dataclass(frozen=True)
class Dialog:
    name: str
    states: dict[str, State]
    next: Next | None = None  # the default way of choosing the next state
    expired_text: str = field(default=T.EXPIRED)

    def next_state(self, current: str | None, slots: Any, ctx: Context, step: Step) -> str:
        if step.state is not None:
            return step.state
        chooser = (self.states[current].next if current in self.states else None) or self.next
        if chooser is None:
            raise ValueError(f"{self.name}: no next state after {current}")
        return chooser(slots, ctx)

    async def ask(self, state: str, slots: Any, ctx: Context) -> str:
        return await self.states[state].ask(slots, ctx)

    def timeout(self, ctx: Context) -> timedelta:
        return ctx.services.dialog_ttl

    def expired(self, ctx: Context) -> bool:
        """The person is in this dialog and has been idle past its timeout."""
        state = ctx.dialog
        return state is not None and state.state in self.states and ctx.now - state.updated_at > self.timeout(ctx)

    def expiry_notice(self, ctx: Context) -> str:
        return self.expired_text.format(idle=duration_text(self.timeout(ctx)))




async def load_dialog(update: Update, ctx: Context) -> None:
    """Router middleware: the person's dialog state, available to filters and handlers as ctx.dialog."""
    ctx.store = ConversationStore(ctx.session, update.platform, update.user_id)
    ctx.dialog = await ctx.store.get()


def in_dialog(dialog: Dialog) -> Filter:
    def check(update: Update, ctx: Context) -> bool:
        state: DialogState | None = ctx.dialog
        return state is not None and state.state in dialog.states
    return Filter(check, f"in_dialog({dialog.name})")


def in_state(dialog: Dialog, *names: str) -> Filter:
    unknown = set(names) - set(dialog.states)
    if unknown:
        raise KeyError(f"{dialog.name} has no states {sorted(unknown)}")
    return Filter(lambda u, c: c.dialog is not None and c.dialog.state in names, f"{dialog.name}{names}")
