"""One way to write a page: Jinja2 templates through aiohttp-jinja2, escaping every value by default.

Every HTML page (dashboard, sandbox, residents' pages) is a template under web/templates rendered by
`render`; a value reaches the page escaped unless it is `Markup` made by code that escaped its own parts
(the inline SVG of web/charts.py). No page is built from f-strings.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from backend.clock import local

TEMPLATES = Path(__file__).parent / "templates"


def when(at: datetime | None) -> str:
    return local(at).strftime("%Y-%m-%d %H:%M") if at else ""


def setup(app: web.Application) -> None:
    """Give the application its template environment (once, whoever asks first)."""
    if app.get(aiohttp_jinja2.APP_KEY) is None:
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             auto_reload=False, finalize=_blank_none, filters={"when": when})


def _blank_none(value):
    """None prints as nothing (a missing officer is an empty cell, not the word None)."""
    return "" if value is None else value


def render(request: web.Request, name: str, context: dict, *, status: int = 200,
           headers: dict[str, str] | None = None) -> web.Response:
    html = aiohttp_jinja2.render_string(name, request, context)
    return web.Response(text=html, content_type="text/html", status=status, headers=headers)
