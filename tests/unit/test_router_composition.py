"""Routers compose (no HTTP, no database): nested routers run their own middlewares, a handler that
declines raises SkipHandler and the search goes on, a gated router is passed over whole."""
import asyncio
from datetime import datetime, timezone

from handlers.router import ANY, Context, Filter, Router, SkipHandler, kind
from handlers.types import Reply, Update

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


def update(text: str = "hi", kind_: str = "text") -> Update:
    return Update(platform="test", user_id="u1", kind=kind_, message_key="k", created_at=NOW, text=text)


def run(router: Router, u: Update) -> tuple[Reply | None, Context]:
    ctx = Context(session=None, now=NOW)
    return asyncio.run(router.dispatch(u, ctx)), ctx


def answering(text: str):
    async def handler(update, ctx):
        return Reply(text=text)
    return handler


def test_a_declining_handler_lets_the_next_router_answer():
    first, second, root = Router("first"), Router("second"), Router("root")

    @first.on(ANY)
    async def declines(update, ctx):
        raise SkipHandler

    second.on(ANY)(answering("second"))
    root.include(first)
    root.include(second)
    assert run(root, update())[0].text == "second"


def test_a_declining_handler_lets_the_next_route_of_its_own_router_answer():
    router = Router("one")

    @router.on(ANY)
    async def declines(update, ctx):
        raise SkipHandler

    router.on(kind("text"))(answering("later in the same router"))
    assert run(router, update())[0].text == "later in the same router"


def test_nested_routers_run_their_own_middlewares_on_entry_only():
    seen: list[str] = []

    def marking(name: str):
        async def middleware(update, ctx):
            seen.append(name)
        return middleware

    root, images, texts = Router("root"), Router("images"), Router("texts")
    root.middlewares.append(marking("root"))
    images.middlewares.append(marking("images"))
    texts.middlewares.append(marking("texts"))
    images.on(kind("image"))(answering("image"))

    @texts.on(Filter(lambda u, c: getattr(c, "marked", False), "prepared by the middleware"))
    async def needs_middleware(update, ctx):
        return Reply(text="texts")

    async def prepare(update, ctx):
        ctx.marked = True

    texts.middlewares.append(prepare)
    root.include(images)
    root.include(texts)
    assert run(root, update())[0].text == "texts"
    assert seen == ["root", "images", "texts"]


def test_a_gated_router_runs_neither_middlewares_nor_routes():
    ran: list[str] = []

    async def middleware(update, ctx):
        ran.append("gated middleware")

    gated = Router("gated", when=Filter(lambda u, c: u.text == "open", "open"))
    gated.middlewares.append(middleware)
    gated.on(ANY)(answering("gated"))
    root = Router("root")
    root.include(gated)
    root.on(ANY)(answering("fallback"))
    assert run(root, update("closed"))[0].text == "fallback"
    assert ran == []
    assert run(root, update("open"))[0].text == "gated"


def test_a_handler_answering_nothing_ends_the_search():
    root = Router("root")

    @root.on(kind("event"))
    async def silent(update, ctx):
        return None

    root.on(ANY)(answering("should not run"))
    assert run(root, update(kind_="event"))[0] is None


def test_nothing_matching_answers_none():
    root = Router("root")
    root.include(Router("empty"))
    assert run(root, update())[0] is None


def test_filters_compose():
    is_text, says_hi = kind("text"), Filter(lambda u, c: u.text == "hi", "hi")
    ctx = Context(session=None, now=NOW)
    assert (is_text & says_hi)(update("hi"), ctx)
    assert not (is_text & ~says_hi)(update("hi"), ctx)
    assert (~is_text | says_hi)(update("hi", "voice"), ctx)
