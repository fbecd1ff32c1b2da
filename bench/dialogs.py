"""The dialog corpus (tests/data/dialogs/dialogs.jsonl) played through the real bot, scored on the cases it made.

    python bench/dialogs.py [--only ID_PREFIX] [--verbose] [--json]

For each conversation: a fresh SQLite file with the demo street seeded, the app served on loopback as in the
tests, the resident's turns posted signed and encrypted as WeChat posts them. When the script is over and
the bot still asks something, the resident answers as a resident would (the conversation's `answers`: the
compound, "跳过" for building/time, the expected category's number at a menu, "1" at the summary, "2" to a
follow offer), at most MAX_EXTRA times. Then the case is read from the database and scored field by field:
category, place, building, spot, urgency, description (has every `has` word and none of the `lacks`);
a conversation that must not make a case scores one field, `no_case`. Prints per-field rates, the overall %
of fields right and every failure with its transcript."""
from __future__ import annotations

import argparse
import asyncio
import base64
import csv
import json
import re
import secrets
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.demo import DEMO_DIR, seed_demo  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.services import policies  # noqa: E402
from bot.wechat.simulator import WeChatSimulator  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Case  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "dialogs" / "dialogs.jsonl"
FIELDS = ("category", "place", "building", "spot", "urgency", "description", "no_case")
MAX_EXTRA = 4
_MENU_LINE = re.compile(r"^\s*(\d+)\.\s*(.+?)\s*$", re.M)
_FILLER = re.compile(r"那个|这个|的|旁边|附近|边上")


@dataclass
class Outcome:
    conversation: dict
    transcript: list[tuple[str, str]] = field(default_factory=list)
    cases: list[dict] = field(default_factory=list)
    scores: dict[str, bool] = field(default_factory=dict)
    extra: int = 0  # answers the harness gave after the script
    supplied: set[str] = field(default_factory=set)  # fields whose expected value the harness itself named


def load(path: Path, only: str | None) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if not only or r["id"].startswith(only)]


def compound_names() -> dict[str, str]:
    """Every place's name by id: compounds and public places (roads, intersections, markets…)."""
    names = {}
    for file, id_column, name_column in (("compounds.csv", "compound_id", "compound"), ("places.csv", "place_id", "name")):
        with open(DEMO_DIR / file, encoding="utf-8", newline="") as f:
            names.update({row[id_column]: row[name_column] for row in csv.DictReader(f)})
    return names


class Street:
    """The bot on a fresh database, served on 127.0.0.1, with a simulator playing WeChat."""

    def __init__(self, workdir: Path, services: dict):
        self.workdir, self.services = workdir, services

    async def __aenter__(self):
        url = f"sqlite+aiosqlite:///{self.workdir / f'dialog-{secrets.token_hex(4)}.db'}"
        self.db = Database(url)
        await self.db.migrate()
        async with self.db.transaction() as session:
            await seed_demo(session)
        aes = base64.b64encode(secrets.token_bytes(32)).decode()[:43]
        settings = Settings(database_url=url, data_dir=self.workdir, wechat_token="bench-token",
                            wechat_app_id="wxbenchdialogs01", wechat_aes_key=aes, background=False)
        app = build_app(settings, self.db, services={**self.services, **policies(settings)})
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self.wechat = WeChatSimulator(url=str(self.server.make_url("/wechat")), token=settings.wechat_token,
                                      app_id=settings.wechat_app_id, aes_key=aes)
        return self

    async def __aexit__(self, *exc):
        await self.http.close()
        await self.server.close()
        await self.db.dispose()

    async def say(self, openid: str, text: str) -> str:
        delivery = await self.wechat.post(self.http, self.wechat.text(openid, text))
        if delivery.status != 200:
            return f"<HTTP {delivery.status}>"
        return delivery.text or ""

    async def cases_of(self, openid: str) -> list[Case]:
        async with self.db.sessions() as s:
            rows = await s.execute(select(Case).where(Case.reporter_id == openid).order_by(Case.id))
            return list(rows.scalars())


def next_answer(reply: str, conversation: dict, taxonomy, supplied: set[str]) -> str | None:
    """What a resident would answer to the bot's question, once the script is over; None: nothing asked.
    A field whose expected value the answer names goes into `supplied`: the bot asked, so it may be right,
    but the harness told it (reported apart as not earned)."""
    answers, expect = conversation.get("answers", {}), conversation["expect"]
    if "回复 1 确认" in reply:
        return answers.get("confirm", "1")
    if "仍要单独反映" in reply:
        return "2"
    options = dict((label, n) for n, label in _MENU_LINE.findall(reply))
    if options and "哪一类" in reply and expect.get("category"):
        supplied.add("category")
        return options.get(taxonomy.category(expect["category"]).name, "都不是")
    if options and "多个小区" in reply and expect.get("place"):
        supplied.add("place")
        return options.get(expect["place"], "都不是")
    if "是这个小区吗" in reply:
        return "1"
    if "几号楼" in reply or "几栋" in reply and "小区" not in reply:
        if "building" not in answers and expect.get("building"):
            supplied.add("building")
        return answers.get("building", expect.get("building") or "跳过")
    if "什么时间" in reply:
        return answers.get("time", "跳过")
    if "手机号" in reply:
        return answers.get("phone", "跳过")
    if any(w in reply for w in ("哪个小区", "具体位置", "哪条路", "在哪")):
        if "compound" not in answers and expect.get("place"):
            supplied.add("place")
        return answers.get("compound", expect.get("place") or "都不是")
    if "遇到了什么问题" in reply or "描述" in reply and "？" in reply:
        return answers.get("description")
    return None


async def play(street: Street, conversation: dict, taxonomy) -> Outcome:
    outcome = Outcome(conversation)
    openid = f"o-bench-{conversation['id']}"
    reply = ""
    for turn in conversation["turns"]:
        reply = await street.say(openid, turn)
        outcome.transcript.append((turn, reply))
    if conversation["expect"].get("case"):
        while outcome.extra < MAX_EXTRA and not await street.cases_of(openid):
            answer = next_answer(reply, conversation, taxonomy, outcome.supplied)
            if answer is None:
                break
            outcome.extra += 1
            reply = await street.say(openid, answer)
            outcome.transcript.append((f"[harness] {answer}", reply))
    outcome.cases = [case_fields(c) for c in await street.cases_of(openid)]
    return outcome


def case_fields(case: Case) -> dict:
    return {"number": case.number, "category": case.category, "compound_id": case.compound_id,
            "building": case.building, "spot": case.spot, "urgent": case.urgent, "priority": case.priority,
            "description": case.description, "occurred": case.occurred}


def same_spot(expected: str | None, actual: str | None) -> bool:
    if not expected:
        return not actual
    return bool(actual) and _FILLER.sub("", expected) in _FILLER.sub("", actual)


def score(outcome: Outcome, names: dict[str, str]) -> dict[str, bool]:
    expect = outcome.conversation["expect"]
    if not expect.get("case"):
        return {"no_case": not outcome.cases}
    if not outcome.cases:
        return {f: False for f in FIELDS if f != "no_case"}
    case = outcome.cases[0]
    place = names.get(case["compound_id"])
    description = case["description"] or ""
    return {
        "category": case["category"] == expect["category"],
        "place": place == expect["place"] if expect["place"] else not case["compound_id"],
        "building": (case["building"] or None) == expect["building"],
        "spot": same_spot(expect.get("spot"), case["spot"]),
        "urgency": bool(case["urgent"]) == bool(expect["urgent"]),
        "description": all(w in description for w in expect.get("has", ()))
        and not any(w in description for w in expect.get("lacks", ())),
    }


def build_services(cache_dir: Path) -> dict:
    from nlp import Analyzer, load_taxonomy, places_from_csv

    taxonomy = load_taxonomy()
    analyzer = Analyzer(taxonomy, places_from_csv(DEMO_DIR / "compounds.csv", DEMO_DIR / "places.csv"), model_dir=None,
                        cache_dir=cache_dir)
    return {"taxonomy": taxonomy, "nlp": analyzer}


async def run(conversations: list[dict]) -> list[Outcome]:
    names = compound_names()
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="gz-dialogs-") as tmp:
        workdir = Path(tmp)
        services = build_services(workdir / "jieba")
        for conversation in conversations:
            async with Street(workdir, services) as street:
                outcome = await play(street, conversation, services["taxonomy"])
            outcome.scores = score(outcome, names)
            outcomes.append(outcome)
    return outcomes


def report(outcomes: list[Outcome]) -> dict:
    """Per field: right, and earned (right without the harness having named the expected value)."""
    right, earned, total = Counter(), Counter(), Counter()
    for o in outcomes:
        for f, ok in o.scores.items():
            total[f] += 1
            right[f] += ok
            earned[f] += ok and f not in o.supplied
    fields = {f: {"right": right[f], "earned": earned[f], "of": total[f], "rate": round(right[f] / total[f], 3),
                  "earned_rate": round(earned[f] / total[f], 3)} for f in FIELDS if total[f]}
    overall = sum(right.values()) / max(1, sum(total.values()))
    overall_earned = sum(earned.values()) / max(1, sum(total.values()))
    whole = sum(all(o.scores.values()) for o in outcomes)
    return {"conversations": len(outcomes), "fields": fields, "overall": round(overall, 3),
            "overall_earned": round(overall_earned, 3),
            "conversations_all_right": whole, "harness_answers": sum(o.extra for o in outcomes),
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def print_failures(outcomes: list[Outcome], verbose: bool) -> None:
    for o in outcomes:
        wrong = [f for f, ok in o.scores.items() if not ok]
        if not wrong and not verbose:
            continue
        c = o.conversation
        print(f"\n## {c['id']} ({c['about']}) wrong: {', '.join(wrong) or '-'}")
        print(f"   expected: {json.dumps(c['expect'], ensure_ascii=False)}")
        for case in o.cases:
            print(f"   case: {json.dumps(case, ensure_ascii=False)}")
        if not o.cases:
            print("   case: none")
        for said, answer in o.transcript:
            print(f"   > {said}\n     < {answer.replace(chr(10), ' / ')[:220]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--only", help="conversations whose id starts with this")
    parser.add_argument("--verbose", action="store_true", help="print every transcript, not only failures")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()
    outcomes = asyncio.run(run(load(Path(args.corpus), args.only)))
    figures = report(outcomes)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    print_failures(outcomes, args.verbose)
    print("\n| field | right | of | rate | earned (not named by the harness) |\n| --- | --- | --- | --- | --- |")
    for f, v in figures["fields"].items():
        print(f"| {f} | {v['right']} | {v['of']} | {v['rate']:.1%} | {v['earned']} ({v['earned_rate']:.1%}) |")
    print(f"\noverall: {figures['overall']:.1%} of fields right, {figures['overall_earned']:.1%} earned; "
          f"{figures['conversations_all_right']}/{figures['conversations']} conversations entirely right; "
          f"{figures['harness_answers']} harness answers")


if __name__ == "__main__":
    main()
