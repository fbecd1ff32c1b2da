"""Who may talk to the bot on WeCom: the street office's staff, and people binding themselves as staff.

The WeCom app is a staff tool, so its Updates go through a router that wraps the shared one (built in
handlers/, unchanged): for bound staff and `绑定 <code>` messages the shared router is included as it is
(same handlers, same authorisation, its own middlewares); everyone else gets a short answer that the app
is for staff. The decision is made here, inside the pipeline, rather than in the webhook before it, so a
refused message is deduplicated, ordered, logged and answered within the budget like any other.
"""
from __future__ import annotations

from backend import staff as staff_mod
from bot import texts
from handlers.router import ANY, Context, Filter, Router
from handlers.staff import BIND
from handlers.types import Reply, Update


async def identify(update: Update, ctx: Context) -> None:
    """Middleware: the staff member bound to this WeCom user, if any, as ctx.staff."""
    ctx.staff = await staff_mod.identify(ctx.session, update.platform, update.user_id)


def binding(update: Update, ctx: Context) -> bool:
    return update.kind == "text" and BIND.match(update.text or "") is not None


STAFF_OR_BINDING = Filter(lambda u, c: c.staff is not None, "bound staff") | Filter(binding, "bind")


def wecom_router(shared: Router) -> Router:
    """The router for WeCom Updates, in front of `shared` (the router every platform uses)."""
    root = Router("wecom")
    root.middlewares.append(identify)
    root.include(Router("wecom staff", when=STAFF_OR_BINDING)).include(shared)

    @root.on(~STAFF_OR_BINDING)
    async def staff_only(update: Update, ctx: Context) -> Reply | None:
        if update.kind == "event" and update.event in ("unsubscribe", "enter_agent"):
            return None  # nothing to say to someone leaving or just opening the app
        return Reply(text=texts.WECOM_STAFF_ONLY)

    return root
