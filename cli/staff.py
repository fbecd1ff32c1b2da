"""`staff invite | list | password | unbind | logout | link`: staff accounts and where they are bound."""
from __future__ import annotations

import re
import sys

from backend import staff as staff_mod
from bot.config import Settings
from cli.context import database, utc_now
from cli.dashboard import cmd_staff_password


def register(commands) -> None:
    staff = commands.add_parser("staff", help="staff accounts: invite (binding code), list, unbind, link")
    actions = staff.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    invite = actions.add_parser("invite", help="print a one-time binding code (last line) for 绑定 <code>")
    invite.add_argument("--staff-id", help="an existing staff record, e.g. S01")
    invite.add_argument("--name", help="create a new staff member with this name")
    invite.add_argument("--role", choices=["officer", "liaison", "supervisor"], default="officer")
    invite.add_argument("--dept", default="chengguan", help="department id, e.g. chengguan, gongan")
    invite.add_argument("--compounds", default="", help="compound ids, comma or semicolon separated; * = all")
    invite.set_defaults(run=cmd_invite)
    actions.add_parser("list", help="staff and where they are bound").set_defaults(run=cmd_list)
    password = actions.add_parser("password", help="set a dashboard password (asked twice, or from stdin)")
    password.add_argument("--staff-id", required=True)
    password.set_defaults(run=cmd_staff_password)
    unbind = actions.add_parser("unbind", help="remove a staff member's bound identities")
    unbind.add_argument("--staff-id", required=True)
    unbind.add_argument("--platform", choices=["wechat", "wecom"], help="only this platform")
    unbind.set_defaults(run=cmd_unbind)
    logout = actions.add_parser("logout", help="end every dashboard session of a staff member")
    logout.add_argument("--staff-id", required=True)
    logout.set_defaults(run=cmd_logout)
    link = actions.add_parser("link", help="bind an identity directly (directory sync)")
    link.add_argument("--staff-id", required=True)
    link.add_argument("--wechat-openid")
    link.add_argument("--wecom-user")
    link.set_defaults(run=cmd_link)


async def cmd_invite(settings: Settings, args) -> int:
    if args.staff_id is None and not args.name:
        print("give --staff-id, or --name (with --role, --dept, --compounds) for a new one", file=sys.stderr)
        return 2
    async with database(settings) as db, db.transaction() as session:
        staff_id = args.staff_id
        if staff_id is None:
            compounds = [c for c in re.split(r"[,;\s]+", args.compounds) if c]
            person = await staff_mod.create_staff(session, name=args.name, role=args.role, dept_id=args.dept,
                                                  compounds=compounds)
            staff_id = person.id
            print(f"created {person.id} {person.name} ({person.role}, {person.dept_id})")
        code = await staff_mod.invite(session, staff_id, utc_now())
    print(f"{staff_id}: send 绑定 {code} to the official account within 24 hours")
    print(code)
    return 0


async def cmd_list(settings: Settings, args) -> int:
    async with database(settings) as db, db.sessions() as session:
        for person, bound in await staff_mod.list_staff(session):
            where = ", ".join(f"{b.platform}:{b.user_id}" for b in bound) or "unbound"
            print(f"{person.id}  {person.name:<4} {person.role:<10} {person.dept_id:<10} "
                  f"{';'.join(person.compounds or []):<40} {where}")
    return 0


async def cmd_unbind(settings: Settings, args) -> int:
    async with database(settings) as db, db.transaction() as session:
        removed = await staff_mod.unbind(session, args.staff_id, args.platform)
    print(f"{removed} binding(s) removed; dashboard sessions ended")
    return 0


async def cmd_logout(settings: Settings, args) -> int:
    async with database(settings) as db, db.transaction() as session:
        ended = await staff_mod.log_out(session, args.staff_id)
    print(f"{ended} dashboard session(s) ended")
    return 0


async def cmd_link(settings: Settings, args) -> int:
    if not (args.wechat_openid or args.wecom_user):
        print("give --wechat-openid or --wecom-user", file=sys.stderr)
        return 2
    async with database(settings) as db, db.transaction() as session:
        for platform, user_id in (("wechat", args.wechat_openid), ("wecom", args.wecom_user)):
            if user_id:
                await staff_mod.link(session, args.staff_id, platform, user_id, utc_now())
    print("linked")
    return 0
