"""`main.py chat --as OPENID` / `--wecom USERID`: the command; the client itself is cli/chat_client.py (imported
only when a chat starts, so other commands do not load aiohttp and the simulators)."""
from __future__ import annotations

from bot.config import Settings


def register(commands) -> None:
    chat = commands.add_parser("chat", help="talk to a running server as WeChat would, from the terminal")
    chat.add_argument("--as", dest="openid", default="demo-resident", help="the openid to chat as")
    chat.add_argument("--no-pushes", action="store_true", help="do not poll the sandbox for pushes")
    chat.add_argument("--wecom", metavar="USERID",
                      help="chat as this WeCom (企业微信) user against /wecom instead, e.g. a staff member's UserID")
    chat.set_defaults(run=cmd_chat)


async def cmd_chat(settings: Settings, args) -> int:
    from cli.chat_client import run_chat

    return await run_chat(settings, args.wecom or args.openid, show_pushes=not args.no_pushes,
                          wecom=bool(args.wecom))
