"""`kb import | list | show | add | edit | remove | ask`: the street's knowledge base from the command line.

`kb ask` shows the knowledge base's decision on a message (intent, the entry that answers, its score, the
candidates), one JSON line per input line with --json --file. The chat acts on `consultation` (the answer, or
"nobody knows"); for anything else it goes on to its other conversations, where the report dialog decides by
its own reading whether a report starts, so `complaint` here says only "not a question for the knowledge base"."""
from __future__ import annotations

import json
import sys

from backend import kb
from bot.config import Settings
from cli.context import database, print_rows, utc_now

ACTOR = "cli"


def register(commands) -> None:
    parser = commands.add_parser("kb", help="the knowledge base: import, list, show, add, edit, remove, ask")
    actions = parser.add_subparsers(dest="kb_command", required=True, metavar="ACTION")
    imported = actions.add_parser("import", help="add or update entries from a CSV (faq_id,question,answer,"
                                                 "department,keywords); idempotent by faq_id")
    imported.add_argument("--file", required=True)
    imported.set_defaults(run=cmd_import)
    listed = actions.add_parser("list", help="every entry")
    listed.add_argument("--json", action="store_true")
    listed.set_defaults(run=cmd_list)
    show = actions.add_parser("show", help="one entry")
    show.add_argument("faq_id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=cmd_show)
    for name, must_exist in (("add", False), ("edit", True)):
        action = actions.add_parser(name, help=f"{name} an entry")
        action.add_argument("faq_id")
        action.add_argument("--question", required=name == "add")
        action.add_argument("--answer", required=name == "add")
        action.add_argument("--department")
        action.add_argument("--keywords", help="words that find the entry, separated by |")
        action.set_defaults(run=cmd_put, must_exist=must_exist)
    remove = actions.add_parser("remove", help="remove an entry")
    remove.add_argument("faq_id")
    remove.set_defaults(run=cmd_remove)
    ask = actions.add_parser("ask", help="the decision on a message: consultation (and its entry), complaint "
                                         "or other")
    ask.add_argument("text", nargs="?")
    ask.add_argument("--file", help="one message per line")
    ask.add_argument("--json", action="store_true")
    ask.set_defaults(run=cmd_ask)


def refused(refusal: kb.Refusal) -> int:
    print(f"kb: refused ({refusal.code}) {refusal.where}".rstrip(), file=sys.stderr)
    return 1


async def cmd_import(settings: Settings, args) -> int:
    entries = kb.read_csv(args.file)
    if isinstance(entries, kb.Refusal):
        return refused(entries)
    async with database(settings) as db, db.transaction() as session:
        done = await kb.import_entries(session, entries, utc_now(), actor="import")
    print(f"kb import: {len(done.added)} added, {len(done.updated)} updated, {len(done.unchanged)} unchanged")
    return 0


async def cmd_list(settings: Settings, args) -> int:
    async with database(settings) as db, db.sessions() as session:
        entries = await kb.list_entries(session)
    print_rows([e.as_json() for e in entries], args.json,
               lambda e: f"{e['faq_id']}  {e['question']}  [{e['department'] or '-'}]", f"{len(entries)} entries")
    return 0


async def cmd_show(settings: Settings, args) -> int:
    async with database(settings) as db, db.sessions() as session:
        entry = await kb.get_entry(session, args.faq_id)
    if entry is None:
        return refused(kb.Refusal("unknown_id", args.faq_id))
    if args.json:
        print(json.dumps(entry.as_json(), ensure_ascii=False, indent=1))
    else:
        print(f"{entry.faq_id}  {entry.question}\n{entry.answer}\ndepartment: {entry.department or '-'}  "
              f"keywords: {'|'.join(entry.keywords) or '-'}  updated: {entry.updated_at:%Y-%m-%d %H:%M} "
              f"{entry.updated_by or ''}".rstrip())
    return 0


async def cmd_put(settings: Settings, args) -> int:
    async with database(settings) as db, db.transaction() as session:
        old = await kb.get_entry(session, args.faq_id) if args.must_exist else None
        if args.must_exist and old is None:
            return refused(kb.Refusal("unknown_id", args.faq_id))
        base = old or kb.Entry(args.faq_id, "", "")
        made = kb.make_entry(args.faq_id, _given(args.question, base.question), _given(args.answer, base.answer),
                             _given(args.department, base.department), _given(args.keywords, base.keywords))
        if isinstance(made, kb.Refusal):
            return refused(made)
        outcome = await kb.put_entry(session, made, utc_now(), ACTOR, must_exist=args.must_exist)
    if isinstance(outcome, kb.Refusal):
        return refused(outcome)
    print(f"{args.faq_id}: {outcome}")
    return 0


def _given(value, default):
    return default if value is None else value


async def cmd_remove(settings: Settings, args) -> int:
    async with database(settings) as db, db.transaction() as session:
        removed = await kb.remove_entry(session, args.faq_id)
    if not removed:
        return refused(kb.Refusal("unknown_id", args.faq_id))
    print(f"{args.faq_id}: removed")
    return 0


async def cmd_ask(settings: Settings, args) -> int:
    if bool(args.text) == bool(args.file):
        print("kb ask: give TEXT or --file FILE", file=sys.stderr)
        return 2
    from bot.services import nlp_places
    from handlers.knowledge import KnowledgeBase
    from nlp import Analyzer, load_taxonomy

    async with database(settings) as db:
        analyzer = Analyzer(load_taxonomy(), await nlp_places(db), model_dir=settings.nlp_model_dir,
                            cache_dir=settings.data_dir)
        async with db.sessions() as session:
            index = await KnowledgeBase().index(session, analyzer, utc_now())
    try:
        lines = [args.text] if args.text else _lines(args.file)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"kb ask: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    for line in lines:
        inquiry = analyzer.inquire(line, index)
        if args.json:
            print(json.dumps(inquiry.as_json(), ensure_ascii=False))
        else:
            candidates = "  ".join(f"{c}:{s}" for c, s in inquiry.candidates)
            print(f"{inquiry.intent}\t{inquiry.faq_id or '-'}\t{inquiry.score}\t{candidates}\t{inquiry.text}")
    return 0


def _lines(path: str) -> list[str]:
    with open(path, encoding="utf-8-sig") as f:
        return [line.rstrip("\r\n") for line in f]
