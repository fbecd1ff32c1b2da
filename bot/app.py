"""The aiohttp application: routes, start-up and shutdown."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from aiohttp import web

from bot.config import Settings
from bot.pipeline import Clock, MessagePipeline
from bot.sandbox.credentials import load_or_create
from bot.sandbox.fake_wechat import FakeWeChat, window_from_inbound_log
from bot.wechat.webhook import WeChatWebhook
from handlers import Router, build_router
from handlers.services import Services
from storage.db import Database

log = logging.getLogger(__name__)

SANDBOX_API_PREFIX = "/sandbox/wechat-api"
DB_KEY = web.AppKey("db", Database)
PIPELINE_KEY = web.AppKey("pipeline", MessagePipeline)
FAKE_KEY = web.AppKey("fake_wechat", FakeWeChat)
SETTINGS_KEY = web.AppKey("settings", Settings)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def resolve_sandbox(settings: Settings) -> Settings:
    """In sandbox mode, fill WeChat's credentials from the data directory and aim the API at the fake."""
    if not settings.sandbox:
        return settings
    creds = load_or_create(settings.data_dir)
    resolved = settings.with_(
        wechat_token=creds.token,
        wechat_app_id=creds.app_id,
        wechat_app_secret=creds.app_secret,
        wechat_aes_key=creds.aes_key,
        wechat_api_base=f"http://{settings.host}:{settings.port}{SANDBOX_API_PREFIX}",
        extra={**settings.extra, "sandbox": True},
    )
    # --- WeCom (issue 11): the sandbox's own WeCom app, so /wecom is on in sandbox mode ---
    from bot.wecom.mount import sandbox_settings

    return sandbox_settings(resolved)
    # --- end WeCom ---


@web.middleware
async def no_tracebacks(request: web.Request, handler):
    """Whatever goes wrong inside, the caller gets a short status line, never a traceback."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return web.Response(status=500, text="internal error\n")


def build_app(settings: Settings, db: Database, *, clock: Clock = utc_now, router: Router | None = None,
              services: Services | dict | None = None) -> web.Application:
    """An application for already-resolved settings (see resolve_sandbox) on a migrated database.

    `services` (taxonomy, nlp analyzer) are built at start-up unless given (tests share one set)."""
    app = web.Application(middlewares=[no_tracebacks], client_max_size=settings.max_body_bytes)
    pipeline = MessagePipeline(db, router or build_router(), clock=clock, budget_s=settings.reply_budget_s,
                               services=services)
    if services is None:
        app.on_startup.append(_start_services)
    app[SETTINGS_KEY] = settings
    webhook = WeChatWebhook(pipeline, token=settings.wechat_token or "", app_id=settings.wechat_app_id,
                            aes_key=settings.wechat_aes_key, clock=clock,
                            replay_window_s=settings.replay_window_s, max_body_bytes=settings.max_body_bytes)
    app[DB_KEY] = db
    app[PIPELINE_KEY] = pipeline
    app.add_routes(webhook.routes("/wechat"))
    app.router.add_get("/healthz", healthz)
    if settings.extra.get("sandbox"):
        fake = FakeWeChat(settings.wechat_app_id or "", settings.wechat_app_secret or "",
                          enforce_window=True, last_message_at=window_from_inbound_log(db))  # issue 6: 48 h rule
        app[FAKE_KEY] = fake
        app.add_subapp(SANDBOX_API_PREFIX, fake.app())
    app.on_shutdown.append(_drain)
    # --- WeCom (issue 11): /wecom for staff, its own pipeline in front of the same router ---
    from bot.wecom.mount import mount as mount_wecom

    mount_wecom(app, settings, pipeline, clock)
    # --- end WeCom ---
    # --- EV charging (issue 7): ingest and state API, and the chat's charging settings ---
    from web.charging import ChargingAPI, charging_policy

    app.add_routes(ChargingAPI(db, clock, charging_policy(settings)).routes())
    # --- end EV charging ---
    # --- Open311 (issue 9): other channels file and follow cases, see web/open311.py ---
    from web.open311 import Open311API

    app.add_routes(Open311API(db, clock, pipeline.services, settings).routes())
    # --- end Open311 ---
    # --- dashboard (issue 8): /dashboard, /metrics, and the web sandbox /sandbox in sandbox mode ---
    from web.site import add_dashboard

    add_dashboard(app, settings, db, clock, pipeline, app.get(FAKE_KEY))
    # --- end dashboard ---
    # --- pushes and jobs (issue 6): the outbox sender and the job loop, see bot/background/workers.py ---
    from bot.background.workers import background_workers

    app.cleanup_ctx.append(background_workers(settings, db, clock))
    # --- end pushes and jobs ---
    return app


async def healthz(request: web.Request) -> web.Response:
    """ok when the database answers and the job loop runs (or is off by BACKGROUND=off); with the outbox
    backlog (pending pushes, the oldest one's age, failed ones) for a look."""
    from sqlalchemy import text

    from web.metrics import job_loop_state, outbox_backlog

    settings = request.app[SETTINGS_KEY]
    try:
        async with request.app[DB_KEY].sessions() as session:
            await session.execute(text("SELECT 1"))
            backlog = await outbox_backlog(session, utc_now())
    except Exception as exc:
        return web.json_response({"ok": False, "database": str(exc)[:200]}, status=503)
    jobs = job_loop_state(settings.background)
    ok = jobs != "stopped"
    return web.json_response({"ok": ok, "database": "ok", "job_loop": jobs, "outbox": backlog},
                             status=200 if ok else 503)


async def _start_services(app: web.Application) -> None:
    from bot.services import build_services

    built = await build_services(app[SETTINGS_KEY], app[DB_KEY])
    app[PIPELINE_KEY].services.fill(**built.values())  # in place: Open311 and WeCom hold the same object


async def _drain(app: web.Application) -> None:
    await app[PIPELINE_KEY].drain()
