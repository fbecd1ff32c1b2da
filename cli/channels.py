"""Other channels' credentials: `channel add | rotate | list` (Open311 API keys) and `charging token`
(a charging sensor feed's bearer token)."""
from __future__ import annotations

import re
import sys

from backend import channels, charging
from bot.config import Settings
from cli.context import database, utc_now


def register(commands) -> None:
    feeds = commands.add_parser("charging", help="EV charging: feed tokens for the ingest API")
    feed_actions = feeds.add_subparsers(dest="charging_command", required=True, metavar="ACTION")
    token = feed_actions.add_parser("token", help="print a new bearer token for a feed (replaces its old one)")
    token.add_argument("--feed", required=True, help="the feed's name, e.g. binhu-cameras")
    token.add_argument("--stations", required=True, help="the station ids this feed may write, e.g. P01,P02")
    token.set_defaults(run=cmd_charging_token)

    channel = commands.add_parser("channel", help="other channels (12345 hotline, …) on the Open311 API: API keys")
    actions = channel.add_subparsers(dest="channel_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="register a channel and print its API key (last line)")
    add.add_argument("--name", required=True, help="e.g. 12345热线; recorded on every case it files")
    add.set_defaults(run=cmd_channel_add)
    rotate = actions.add_parser("rotate", help="print a new API key for a channel (the old one stops)")
    rotate.add_argument("--name", required=True)
    rotate.set_defaults(run=cmd_channel_rotate)
    actions.add_parser("list", help="channels with their cases, all and open").set_defaults(run=cmd_channel_list)


async def cmd_charging_token(settings: Settings, args) -> int:
    stations = [s for s in re.split(r"[,;\s]+", args.stations) if s]
    async with database(settings) as db, db.transaction() as session:
        token = await charging.issue_token(session, args.feed, utc_now(), stations)
    print(f"feed {args.feed} ({', '.join(stations)}): send Authorization: Bearer <token> to POST "
          "/api/charging/updates", file=sys.stderr)
    print(token)
    return 0


async def cmd_channel_add(settings: Settings, args) -> int:
    async with database(settings) as db, db.transaction() as session:
        channel, key = await channels.add_channel(session, args.name, utc_now())
    print(f"channel {channel.name}: give this api_key to its Open311 client (shown once)")
    print(key)
    return 0


async def cmd_channel_rotate(settings: Settings, args) -> int:
    async with database(settings) as db, db.transaction() as session:
        key = await channels.rotate_key(session, args.name)
    print(key)
    return 0


async def cmd_channel_list(settings: Settings, args) -> int:
    async with database(settings) as db, db.sessions() as session:
        for line in await channels.list_channels(session):
            key = f"key {line.channel.key_hint}…" if line.channel else "-"
            print(f"{line.name:<16} {line.cases:>6} cases {line.open_cases:>6} open  {key}")
    return 0
