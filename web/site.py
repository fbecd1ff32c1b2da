"""Wires the web surfaces into the application: /dashboard, /metrics, /h5 (residents), /sandbox in sandbox mode."""
from __future__ import annotations

from aiohttp import web

from backend.analytics import HotspotRule, Targets
from web.clients import Proxies
from web.dashboard import Dashboard
from web.kb_pages import KnowledgePages
from web import templating
from web.metrics import MessageMetrics, metrics_handler

METRICS_KEY = web.AppKey("message_metrics", MessageMetrics)


def category_names() -> dict[str, str]:
    from nlp import load_taxonomy

    return {c.code: c.name for c in load_taxonomy().categories}


def add_dashboard(app: web.Application, settings, db, clock, pipeline, fake) -> None:
    templating.setup(app)
    metrics = MessageMetrics()
    metrics.instrument(pipeline)
    app[METRICS_KEY] = metrics
    app.router.add_get("/metrics", metrics_handler(metrics, db, settings.metrics_token))
    taxonomy = pipeline.services.taxonomy
    names = {c.code: c.name for c in taxonomy.categories} if taxonomy is not None else category_names()
    dashboard = Dashboard(db, clock, session_ttl_s=settings.dashboard_session_ttl_s,
                          cookie_secure=settings.dashboard_cookie_secure, category_names=names,
                          targets=Targets(resolve_within_s=settings.report_resolve_within_s),
                          rule=HotspotRule(window_days=settings.hotspot_window_days,
                                           min_count=settings.hotspot_min_count),
                          proxies=Proxies(settings.trusted_proxies))
    app.add_routes(dashboard.routes())
    app.add_routes(KnowledgePages(dashboard, on_change=lambda: pipeline.services.knowledge.invalidate()).routes())
    add_resident_pages(app, settings, db, clock, pipeline.services, names)
    if settings.extra.get("sandbox") and fake is not None:
        from web.sandbox_web import WebSandbox

        app.add_routes(WebSandbox(db, clock, settings, fake).routes())


def add_resident_pages(app: web.Application, settings, db, clock, services, names: dict[str, str]) -> None:
    """/h5/: the residents' pages inside WeChat (web/h5.py, web/h5_report.py)."""
    from web.h5_report import ReportPages

    pages = ReportPages(db, clock, settings, services, category_names=names, proxies=Proxies(settings.trusted_proxies))
    app.add_routes(pages.routes())
    app.on_cleanup.append(pages.close)
