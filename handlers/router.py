"""Routing an Update to the first handler whose filter matches (aiogram-style routers and filters).

Routers nest. Entering a router runs its own middlewares (they prepare the Context for its filters and
handlers), then its routes are tried in order; a nested router that handles nothing lets the search go
on after it. A handler whose filter matched but that declines (e.g. a survey word with no survey
pending) raises `SkipHandler`, and the search goes on with the next route, in this router or after it:
no handler calls another router's handler.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Awaitable, Callable

from handlers.services import Services
from handlers.types import Reply, Update

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from backend.staff import Staff
    from nlp import Understanding
    from storage.conversation import ConversationStore, DialogState


@dataclass
class Context:
    """What a handler may use besides the Update: the open unit of work and the time of handling.

    `session` is the database session of the transaction the handler runs in; everything the handler
    changes (and the outbox rows it writes) commits with the message's completion, or not at all.
    `services` are the long-lived objects set up at start (the nlp analyzer, the street's policies).
    The other fields are per message, filled by middlewares before a handler is chosen.
    """

    session: "AsyncSession"
    now: datetime
    services: Services = field(default_factory=Services)
    dialog: "DialogState | None" = None  # the person's dialog state (handlers/dialog.py load_dialog)
    store: "ConversationStore | None" = None  # where that state is kept
    understanding: "Understanding | None" = None  # the nlp reading of the text, computed once
    staff: "Staff | None" = None  # the bound staff member sending this update, if any
    readings: dict = field(default_factory=dict)  # other readings of this update, computed once (handlers/turns.py)


Handler = Callable[[Update, Context], Awaitable[Reply | None]]
Middleware = Callable[[Update, Context], Awaitable[None]]


class SkipHandler(Exception):
    """Raised by a handler that declines an update its filter matched: the search goes on."""


class Filter:
    """A predicate over (update, context); filters compose with &, | and ~."""

    def __init__(self, check: Callable[[Update, Context], bool], name: str = "filter"):
        self._check = check
        self.name = name

    def __call__(self, update: Update, ctx: Context) -> bool:
        return self._check(update, ctx)

    def __and__(self, other: "Filter") -> "Filter":
        return Filter(lambda u, c: self(u, c) and other(u, c), f"({self.name} & {other.name})")

    def __or__(self, other: "Filter") -> "Filter":
        return Filter(lambda u, c: self(u, c) or other(u, c), f"({self.name} | {other.name})")

    def __invert__(self) -> "Filter":
        return Filter(lambda u, c: not self(u, c), f"~{self.name}")

    def __repr__(self) -> str:
        return f"<Filter {self.name}>"


def kind(*kinds: str) -> Filter:
    return Filter(lambda u, c: u.kind in kinds, f"kind{kinds}")


def event(*names: str) -> Filter:
    return Filter(lambda u, c: u.kind == "event" and u.event in names, f"event{names}")


def text_matches(pattern: str) -> Filter:
    regex = re.compile(pattern)
    return Filter(lambda u, c: u.text is not None and regex.fullmatch(u.text.strip()) is not None, pattern)


ANY = Filter(lambda u, c: True, "any")


class _Unhandled:
    """No route of a router took the update (distinct from a handler that answered None)."""


UNHANDLED = _Unhandled()


class Router:
    """Ordered routes: (filter, handler) pairs and nested routers; the first handler that answers wins.

    `when` gates the whole router: when it does not match, neither its middlewares nor its routes run.
    """

    def __init__(self, name: str, *, when: Filter = ANY):
        self.name = name
        self.when = when
        self._routes: list[tuple[Filter, Handler] | Router] = []
        self.middlewares: list[Middleware] = []

    def on(self, filter_: Filter) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._routes.append((filter_, handler))
            return handler

        return register

    def include(self, router: "Router") -> "Router":
        self._routes.append(router)
        return router

    async def propagate(self, update: Update, ctx: Context) -> Reply | None | _Unhandled:
        """This router's answer to the update, or UNHANDLED when none of its routes took it."""
        if not self.when(update, ctx):
            return UNHANDLED
        for middleware in self.middlewares:
            await middleware(update, ctx)
        for route in self._routes:
            if isinstance(route, Router):
                result = await route.propagate(update, ctx)
                if result is not UNHANDLED:
                    return result
                continue
            check, handler = route
            if not check(update, ctx):
                continue
            try:
                return await handler(update, ctx)
            except SkipHandler:
                continue
        return UNHANDLED

    async def dispatch(self, update: Update, ctx: Context) -> Reply | None:
        """The reply of the first handler that takes the update (None: nothing to answer)."""
        result = await self.propagate(update, ctx)
        return None if result is UNHANDLED else result
