"""Declarative dialogs (python-telegram-bot's ConversationHandler, aiogram's FSM):

a Dialog is a dict of named States, each with the handler of the answer to its question;
the current state and its slots live in the database (storage.conversation) per person, and a
dialog idle for longer than its timeout is dropped. The whole intake dialog reads in one screen in
handlers/intake.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable

from handlers.router import Context, Filter
from handlers.types import Reply, Update
from storage.conversation import ConversationStore, DialogState

Answer = Callable[[Update, Context], Awaitable[Reply | None]]


@dataclass(frozen=True)
class State:
    """One step of a dialog: the handler of the person's answer while in this state."""

    answer: Answer


@dataclass(frozen=True)
class Dialog:
    name: str
    states: dict[str, State]
    timeout: timedelta


async def load_dialog(update: Update, ctx: Context) -> None:
    """Router middleware: the person's dialog state, available to filters and handlers as ctx.dialog."""
    ctx.store = ConversationStore(ctx.session, update.platform, update.user_id)
    ctx.dialog = await ctx.store.get()


def in_dialog(dialog: Dialog) -> Filter:
    def check(update: Update, ctx: Context) -> bool:
        state: DialogState | None = getattr(ctx, "dialog", None)
        return state is not None and state.state in dialog.states
    return Filter(check, f"in_dialog({dialog.name})")


def expired(dialog: Dialog, ctx: Context) -> bool:
    """Idle past the dialog's timeout (or the configured `draft_ttl` service, when set)."""
    state: DialogState | None = ctx.dialog
    timeout = ctx.services.get("draft_ttl", dialog.timeout)
    return state is not None and ctx.now - state.updated_at > timeout
