"""The official account's own features: `menu push` (the custom menu) and `survey campaign | results`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from backend import surveys
from bot.config import Settings
from bot.errors import DeliveryError
from cli.context import database, utc_now

MENU_FILE = Path(__file__).resolve().parent.parent / "bot" / "wechat" / "menu.json"


def register(commands) -> None:
    menu = commands.add_parser("menu", help="the official account's custom menu (bot/wechat/menu.json)")
    menu_actions = menu.add_subparsers(dest="menu_command", required=True, metavar="ACTION")
    menu_actions.add_parser("push", help="install the menu through WeChat's API (/cgi-bin/menu/create)"
                            ).set_defaults(run=cmd_menu_push)

    survey = commands.add_parser("survey", help="satisfaction survey campaigns per community")
    actions = survey.add_subparsers(dest="survey_command", required=True, metavar="ACTION")
    campaign = actions.add_parser("campaign", help="ask the residents who reported in a community")
    campaign.add_argument("--community", required=True, help="e.g. 竹园社区")
    campaign.add_argument("--question", required=True)
    campaign.add_argument("--every-days", type=int, default=30, help="repeat every N days (0: once)")
    campaign.set_defaults(run=cmd_survey_campaign)
    actions.add_parser("results", help="answers per campaign").set_defaults(run=cmd_survey_results)


def menu_for(public_url: str | None) -> dict:
    """The menu as WeChat takes it: a `view` button opens the residents' page under PUBLIC_URL (its `key`
    dropped); without PUBLIC_URL it stays a `click` button with that key, answered in the chat."""
    def button(b: dict) -> dict:
        if "sub_button" in b:
            return {"name": b["name"], "sub_button": [button(s) for s in b["sub_button"]]}
        if b.get("type") == "view":
            if public_url:
                return {"type": "view", "name": b["name"], "url": b["url"].replace("{PUBLIC_URL}", public_url)}
            return {"type": "click", "name": b["name"], "key": b["key"]}
        return b

    return {"button": [button(b) for b in json.loads(MENU_FILE.read_text(encoding="utf-8"))["button"]]}


async def cmd_menu_push(settings: Settings, args) -> int:
    menu = menu_for(settings.public_url)
    if not settings.wechat_app_secret:
        print("menu push needs WECHAT_APP_ID and WECHAT_APP_SECRET (sandbox mode: start `serve` first)",
              file=sys.stderr)
        return 2
    import aiohttp

    from bot.background.workers import wechat_client  # the API client: only for `menu push`

    async with database(settings) as db, aiohttp.ClientSession() as http:
        api = wechat_client(settings, db, clock=utc_now, owner="cli", http=http)
        try:
            await api.create_menu(menu)
        except (DeliveryError, aiohttp.ClientError) as exc:
            print(f"menu push failed: {exc}", file=sys.stderr)
            return 1
    print(f"menu installed: {', '.join(b['name'] for b in menu['button'])}")
    return 0


async def cmd_survey_campaign(settings: Settings, args) -> int:
    now = utc_now()
    every = args.every_days * 86400 if args.every_days else None
    async with database(settings) as db, db.transaction() as session:
        campaign = await surveys.start_campaign(session, args.community, args.question, every, now, now)
    print(f"campaign {campaign.id} for {args.community}: first round at the next hour outside 22:00-08:00, then "
          f"every {args.every_days} days" if every else f"campaign {campaign.id}: one round")
    return 0


async def cmd_survey_results(settings: Settings, args) -> int:
    async with database(settings) as db, db.sessions() as session:
        print(json.dumps(await surveys.campaign_results(session), ensure_ascii=False, indent=1))
    return 0
