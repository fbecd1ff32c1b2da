"""Wiring WeCom into the application: the /wecom route with its own pipeline in front of the shared
router, and, in sandbox mode, the sandbox's WeCom app and the fake WeCom API."""
from __future__ import annotations

import logging

from aiohttp import web

from bot.config import Settings
from bot.pipeline import Clock, MessagePipeline
from bot.sandbox.fake_wecom import FakeWeCom
from bot.wecom.router import wecom_router
from bot.wecom.webhook import WeComWebhook
from handlers.app import staff_desk_router
from handlers.router import Router

log = logging.getLogger(__name__)

SANDBOX_API_PREFIX = "/sandbox/wecom-api"
WECOM_PIPELINE_KEY = web.AppKey("wecom_pipeline", MessagePipeline)
FAKE_WECOM_KEY = web.AppKey("fake_wecom", FakeWeCom)


def sandbox_settings(settings: Settings) -> Settings:
    """In sandbox mode (no WeChat credentials), a WeCom app of the sandbox's own, unless WeCom is
    configured; the API aimed at the fake, and case links at this server."""
    from bot.sandbox.credentials import load_or_create_wecom

    here = f"http://{settings.host}:{settings.port}"
    changes: dict = {"public_url": settings.public_url or here}
    if not (settings.wecom_token or settings.wecom_secret):
        creds = load_or_create_wecom(settings.data_dir)
        changes.update(wecom_token=creds.token, wecom_aes_key=creds.aes_key, wecom_corp_id=creds.corp_id,
                       wecom_agent_id=creds.agent_id, wecom_secret=creds.secret,
                       wecom_api_base=here + SANDBOX_API_PREFIX)
    return settings.with_(**changes)


def mount(app: web.Application, settings: Settings, shared: MessagePipeline, clock: Clock,
          staff_desk: Router | None = None) -> None:
    """Serve /wecom when the callback is configured (otherwise nothing changes). `staff_desk` is what bound
    staff reach (the staff commands; a test may give its own router)."""
    if not settings.wecom_callback:
        return
    pipeline = MessagePipeline(shared.db, wecom_router(staff_desk or staff_desk_router()), clock=clock,
                               budget_s=settings.reply_budget_s)
    pipeline.services = shared.services  # the same object, filled at start-up
    webhook = WeComWebhook(pipeline, token=settings.wecom_token or "", aes_key=settings.wecom_aes_key or "",
                           corp_id=settings.wecom_corp_id or "", agent_id=settings.wecom_agent_id, clock=clock,
                           replay_window_s=settings.replay_window_s, max_body_bytes=settings.max_body_bytes)
    app[WECOM_PIPELINE_KEY] = pipeline
    app.add_routes(webhook.routes("/wecom"))
    if settings.extra.get("sandbox") and settings.wecom_api_base.endswith(SANDBOX_API_PREFIX):
        fake = FakeWeCom(settings.wecom_corp_id or "", settings.wecom_secret or "",
                         int(settings.wecom_agent_id or 0))
        app[FAKE_WECOM_KEY] = fake
        app.add_subapp(SANDBOX_API_PREFIX, fake.app())
    app.on_shutdown.append(_drain)


async def _drain(app: web.Application) -> None:
    await app[WECOM_PIPELINE_KEY].drain()
