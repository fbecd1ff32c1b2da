"""The background loops of one server process: the outbox sender and the job loop (which also runs the
media keeper and purges used webhook nonces).

`background_workers(settings, db, clock)` is an aiohttp cleanup context: it starts both loops when the
server starts and stops them (finishing the round in progress) when it stops. With BACKGROUND=off a
process serves webhooks only. WeChat pushes are sent only when the account's AppSecret is known (or in
sandbox mode); otherwise they wait in the outbox.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import AsyncIterator, Callable

import aiohttp
from aiohttp import web

from backend.pushes import STAFF_KINDS
from backend.staff import list_staff
from bot.config import Settings
from bot.background.jobs import JobPolicy, JobRunner, registered_handlers
from bot.background.media import MediaKeeper
from bot.background.standing import job_loop_jobs
from bot.background.uploads import EVERY_S as UPLOADS_EVERY_S, UploadSweeper
from bot.background.outbox import OutboxSender, SenderPolicy, process_id
from bot.sms import SmsDelivery, sms_sender
from bot.wechat.api import WeChatAPI
from bot.wechat.delivery import WeChatDelivery
from bot.wechat.templates import load_templates
from bot.wechat.token import SharedToken
from bot.wecom.api import WeComAPI
from bot.wecom.delivery import WeComDelivery
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Workers:
    sender: OutboxSender
    jobs: JobRunner
    wechat: WeChatAPI | None
    wecom: WeComAPI | None = None


WORKERS_KEY = web.AppKey("workers", Workers)


def sender_policy(settings: Settings) -> SenderPolicy:
    return SenderPolicy(batch=settings.outbox_batch, concurrency=settings.outbox_concurrency,
                        lease_s=settings.outbox_lease_s, retry_base_s=settings.outbox_retry_base_s,
                        retry_max_s=settings.outbox_retry_max_s, give_up_s=settings.outbox_give_up_s,
                        poll_s=settings.outbox_poll_s, pause_retry_s=settings.outbox_pause_retry_s)


def job_policy(settings: Settings) -> JobPolicy:
    return JobPolicy(lease_s=settings.jobs_lease_s, max_attempts=settings.jobs_max_attempts,
                     retry_base_s=settings.jobs_retry_base_s, retry_max_s=settings.jobs_retry_max_s,
                     poll_s=settings.jobs_poll_s)


def wechat_client(settings: Settings, db: Database, *, clock: Callable[[], datetime], owner: str,
                  http: aiohttp.ClientSession | None = None) -> WeChatAPI:
    """The API client for the configured official account, with its token shared through the database."""
    api = WeChatAPI(settings.wechat_api_base, settings.wechat_app_id or "", settings.wechat_app_secret or "",
                    http=http, timeout_s=settings.wechat_api_timeout_s)
    api.tokens = SharedToken(db, f"wechat:{settings.wechat_app_id}", api.fetch_token, clock=clock, owner=owner,
                             refresh_ahead_s=settings.token_refresh_ahead_s)
    return api


def wechat_delivery(settings: Settings, db: Database, api: WeChatAPI, *, clock: Callable[[], datetime]
                    ) -> WeChatDelivery:
    return WeChatDelivery(api, db, clock=clock,
                          templates=load_templates(settings.wechat_templates, settings.wechat_templates_file),
                          window_s=settings.wechat_cs_window_s, allowance=settings.wechat_cs_allowance,
                          public_url=settings.public_url)


# --- WeCom: pushes to staff bound on WeCom ---
def wecom_client(settings: Settings, db: Database, *, clock: Callable[[], datetime], owner: str,
                 http: aiohttp.ClientSession | None = None) -> WeComAPI:
    """The API client for the configured WeCom app, its token shared through the database like the
    official account's (a key of its own: one token per corp and app)."""
    api = WeComAPI(settings.wecom_api_base, settings.wecom_corp_id or "", settings.wecom_secret or "",
                   int(settings.wecom_agent_id or 0), http=http, timeout_s=settings.wechat_api_timeout_s)
    api.tokens = SharedToken(db, f"wecom:{settings.wecom_corp_id}:{settings.wecom_agent_id}", api.fetch_token,
                             clock=clock, owner=owner, refresh_ahead_s=settings.token_refresh_ahead_s)
    return api


def wecom_delivery(settings: Settings, api: WeComAPI) -> WeComDelivery:
    if not settings.public_url:
        log.warning("no PUBLIC_URL: WeCom pushes go as text, without a link to the case page")
    return WeComDelivery(api, public_url=settings.public_url)


def build_workers(settings: Settings, db: Database, clock: Callable[[], datetime], owner: str,
                  http: aiohttp.ClientSession) -> Workers:
    """The sender, with an adapter for each platform this process can deliver to (the rest wait in the
    outbox for a process that can), and the job loop."""
    sender = OutboxSender(db, clock=clock, owner=owner, policy=sender_policy(settings))
    api = wecom = None
    if settings.wechat_app_secret and settings.wechat_app_id:
        api = wechat_client(settings, db, clock=clock, owner=owner, http=http)
        sender.register("wechat", wechat_delivery(settings, db, api, clock=clock))
    else:
        log.warning("no WECHAT_APP_ID/WECHAT_APP_SECRET: pushes to WeChat stay in the outbox")
    if (sms := sms_sender(settings.sms_sender_name)) is not None:
        sender.register("sms", SmsDelivery(sms))
    if settings.wecom_push:
        wecom = wecom_client(settings, db, clock=clock, owner=owner, http=http)
        sender.register("wecom", wecom_delivery(settings, wecom))
    elif settings.wecom_callback:
        log.warning("no WECOM_SECRET/WECOM_AGENT_ID: pushes to staff on WeCom stay in the outbox")
    runner = JobRunner(db, clock=clock, owner=owner, policy=job_policy(settings))
    return Workers(sender, runner, api, wecom)


def job_loop(settings: Settings, db: Database, clock: Callable[[], datetime], workers: Workers) -> None:
    """The job loop's handlers, the standing jobs it makes sure exist, and this process's periodic work."""
    runner = workers.jobs
    runner.include(registered_handlers())
    runner.keep_scheduled(job_loop_jobs(settings))
    sweeper = UploadSweeper(db, settings.data_dir / "media")  # 随手拍 uploads that joined no case
    runner.every("uploads.sweep", UPLOADS_EVERY_S, sweeper.tick)
    # photos joined to cases, kept before the platform's 3-day expiry: residents' and staff's on WeChat, staff's
    # on WeCom (each platform's media ids are only valid with its own API)
    for platform, api in (("wechat", workers.wechat), ("wecom", workers.wecom)):
        if api is not None:
            keeper = MediaKeeper(db, api, settings.data_dir / "media", clock=clock, platform=platform,
                                 max_bytes=settings.media_max_bytes)
            runner.every(f"media.keep.{platform}", settings.media_poll_s, keeper.tick)


async def warn_unrouted_staff(settings: Settings, db: Database) -> list[str]:
    """At start: name every staff member whom some staff push could not reach once their 48 h window on
    WeChat closes (bound on WeChat only, and no template for the kind). Returns the warnings it logged."""
    templates = load_templates(settings.wechat_templates, settings.wechat_templates_file)
    missing = [kind for kind in STAFF_KINDS if kind not in templates]
    if not missing:
        return []
    warnings = []
    try:
        async with db.sessions() as session:
            staff = await list_staff(session)
    except Exception as exc:  # a database down at start must not stop the start (as in standing.py)
        log.warning("could not check the staff's push routes at start: %s: %s", type(exc).__name__, exc)
        return []
    for person, bound in staff:
        if {b.platform for b in bound} == {"wechat"}:
            warnings.append(f"staff {person.id} ({person.name}) is bound on WeChat only and no template is "
                            f"configured for {', '.join(missing)}: once they have not written to the account "
                            f"for {settings.wechat_cs_window_s} s those pushes cannot reach them (bind "
                            f"them on WeCom, or map the kinds in WECHAT_TEMPLATES_FILE)")
    for warning in warnings:
        log.warning(warning)
    return warnings


def background_workers(settings: Settings, db: Database, clock: Callable[[], datetime]):
    """An aiohttp cleanup context: the loops run while the server does."""
    async def context(app: web.Application) -> AsyncIterator[None]:
        if not settings.background:
            yield
            return
        http = aiohttp.ClientSession()
        workers = build_workers(settings, db, clock, process_id(), http)
        await warn_unrouted_staff(settings, db)
        job_loop(settings, db, clock, workers)
        app[WORKERS_KEY] = workers
        stop = asyncio.Event()
        tasks = [asyncio.create_task(workers.jobs.run(stop), name="job-loop")]
        if workers.sender.adapters:
            tasks.append(asyncio.create_task(workers.sender.run(stop), name="outbox-sender"))
        try:
            yield
        finally:
            stop.set()
            done, pending = await asyncio.wait(tasks, timeout=10)
            for task in pending:
                task.cancel()
            await http.close()

    return context
