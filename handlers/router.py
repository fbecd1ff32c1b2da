"""Routing an Update to the first handler whose filter matches (aiogram-style routers and filters)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable

from handlers.types import Reply, Update


@dataclass
class Context:
    """What a handler may use besides the Update: the open unit of work and the time of handling.

    `session` is the database session of the transaction the handler runs in; everything the handler
    changes (and the outbox rows it writes) commits with the message's completion, or not at all.
    `services` carries long-lived objects set up at start (e.g. the nlp analyzer), by name.
    """

    session: Any
    now: datetime
    services: dict[str, Any] = field(default_factory=dict)
    # filled by router middlewares before a handler is chosen (see handlers/dialog.py, handlers/app.py)
    dialog: Any = None
    store: Any = None
    understanding: Any = None
    staff: Any = None  # the bound staff member sending this update, if any


Handler = Callable[[Update, Context], Awaitable[Reply | None]]


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


class Router:
    """An ordered list of (filter, handler) and nested routers; the first match wins."""

    def __init__(self, name: str):
        self.name = name
        self._routes: list[tuple[Filter, Handler] | Router] = []
        self.middlewares: list[Callable[[Update, Context], Awaitable[None]]] = []

    def on(self, filter_: Filter) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._routes.append((filter_, handler))
            return handler

        return register

    def include(self, router: "Router") -> "Router":
        self._routes.append(router)
        return router

    def find(self, update: Update, ctx: Context) -> Handler | None:
        for route in self._routes:
            if isinstance(route, Router):
                found = route.find(update, ctx)
                if found is not None:
                    return found
            elif route[0](update, ctx):
                return route[1]
        return None

    async def dispatch(self, update: Update, ctx: Context) -> Reply | None:
        """Run the middlewares (they prepare ctx for filters), then the first matching handler."""
        for middleware in self.middlewares:
            await middleware(update, ctx)
        handler = self.find(update, ctx)
        if handler is None:
            return None
        return await handler(update, ctx)
