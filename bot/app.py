"""The aiohttp application. `build_app` reads as a table of contents: one `setup_*` per concern."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from aiohttp import web

from bot.background.standing import schedule_at_start as schedule_standing_jobs
from bot.background.workers import background_workers
from bot.config import Settings
from bot.health import health_handler
from bot.pipeline import Clock, MessagePipeline
from bot.sandbox.credentials import load_or_create
from bot.sandbox.fake_wechat import FakeWeChat, window_from_inbound_log
from bot.services import build_services
from bot.wechat.webhook import WeChatWebhook
from bot.wecom.mount import mount as setup_wecom, sandbox_settings as wecom_sandbox_settings
from handlers import Router, build_router
from handlers.services import Services
from storage.db import Database
from web.charging import ChargingAPI, charging_policy
from web.open311 import Open311API
from web.site import add_dashboard

log = logging.getLogger(__name__)

SANDBOX_API_PREFIX = "/sandbox/wechat-api"
DB_KEY = web.AppKey("db", Database)
PIPELINE_KEY = web.AppKey("pipeline", MessagePipeline)
FAKE_KEY = web.AppKey("fake_wechat", FakeWeChat)
SETTINGS_KEY = web.AppKey("settings", Settings)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def resolve_sandbox(settings: Settings) -> Settings:
    """In sandbox mode, fill WeChat's (and WeCom's) credentials from the data directory and aim the APIs at
    the fakes."""
    if not settings.sandbox:
        return settings
    creds = load_or_create(settings.data_dir)
    return wecom_sandbox_settings(settings.with_(
        wechat_token=creds.token,
        wechat_app_id=creds.app_id,
        wechat_app_secret=creds.app_secret,
        wechat_aes_key=creds.aes_key,
        wechat_api_base=f"http://{settings.host}:{settings.port}{SANDBOX_API_PREFIX}",
        wechat_oauth_base=f"http://{settings.host}:{settings.port}{SANDBOX_API_PREFIX}",
        extra={**settings.extra, "sandbox": True},
    ))


def build_app(settings: Settings, db: Database, *, clock: Clock = utc_now, router: Router | None = None,
              services: Services | dict | None = None) -> web.Application:
    """An application for already-resolved settings (see resolve_sandbox) on a migrated database.

    `services` (taxonomy, nlp analyzer) are built at start-up unless given (tests share one set)."""
    app = web.Application(middlewares=[no_tracebacks], client_max_size=settings.max_body_bytes)
    app[SETTINGS_KEY], app[DB_KEY] = settings, db
    pipeline = setup_pipeline(app, settings, db, clock, router, services)
    setup_wechat(app, settings, pipeline, clock)
    setup_wecom(app, settings, pipeline, clock, router)
    setup_sandbox_api(app, settings, db)
    setup_charging(app, settings, db, clock)
    app.add_routes(Open311API(db, clock, pipeline.services, settings).routes())
    add_dashboard(app, settings, db, clock, pipeline, app.get(FAKE_KEY))
    app.router.add_get("/healthz", health_handler(db, settings.background, settings.staff_alarm_s))
    app.cleanup_ctx.append(background_workers(settings, db, clock))
    app.on_startup.append(schedule_standing_jobs(settings, db, clock))
    return app


def setup_pipeline(app: web.Application, settings: Settings, db: Database, clock: Clock, router: Router | None,
                   services: Services | dict | None) -> MessagePipeline:
    """The message pipeline every messaging platform feeds; its services are built at start-up unless given,
    and it is drained (handlers in flight finish) at shutdown."""
    pipeline = MessagePipeline(db, router or build_router(), clock=clock, budget_s=settings.reply_budget_s,
                               services=services)
    app[PIPELINE_KEY] = pipeline
    if services is None:
        app.on_startup.append(_start_services)
    app.on_shutdown.append(_drain)
    return pipeline


def setup_wechat(app: web.Application, settings: Settings, pipeline: MessagePipeline, clock: Clock) -> None:
    """/wechat: the official account's webhook."""
    webhook = WeChatWebhook(pipeline, token=settings.wechat_token or "", app_id=settings.wechat_app_id,
                            aes_key=settings.wechat_aes_key, clock=clock, replay_window_s=settings.replay_window_s, max_body_bytes=settings.max_body_bytes)
    app.add_routes(webhook.routes("/wechat"))


def setup_sandbox_api(app: web.Application, settings: Settings, db: Database) -> None:
    """Sandbox mode: a fake of WeChat's API in this server, which keeps WeChat's 48-hour rule."""
    if not settings.extra.get("sandbox"):
        return
    fake = FakeWeChat(settings.wechat_app_id or "", settings.wechat_app_secret or "",
                      enforce_window=True, last_message_at=window_from_inbound_log(db))
    app[FAKE_KEY] = fake
    app.add_subapp(SANDBOX_API_PREFIX, fake.app())


def setup_charging(app: web.Application, settings: Settings, db: Database, clock: Clock) -> None:
    """The charging feeds' ingest and state API (the chat's charging settings are among the services)."""
    app.add_routes(ChargingAPI(db, clock, charging_policy(settings)).routes())


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


async def _start_services(app: web.Application) -> None:
    built = await build_services(app[SETTINGS_KEY], app[DB_KEY])
    app[PIPELINE_KEY].services.fill(**built.values())  # in place: Open311 and WeCom hold the same object


async def _drain(app: web.Application) -> None:
    await app[PIPELINE_KEY].drain()
