"""The terminal client of `main.py chat --as OPENID` that talks to a running server exactly as WeChat's
servers do (real HTTP, signed, encrypted when an AES key is set) and shows the pushes sent to OPENID.
`main.py chat --wecom USERID` does the same as WeCom's servers against /wecom (a staff member's app)."""
from __future__ import annotations

import asyncio
import sys

import aiohttp

from bot.config import Settings
from bot.wechat.simulator import WeChatSimulator

HELP = """Type a message and press Enter. Other kinds of message:
  /image                      a photo
  /voice TEXT                 a voice message WeChat recognised as TEXT (/voice alone: not recognised)
  /location LAT LNG [LABEL]   a shared location, e.g. /location 31.7399 117.2765 滨湖欣园
  /event NAME [KEY]           an event, e.g. /event subscribe, /event CLICK MY_CASES
  /quit                       leave"""


def build_message(sim: WeChatSimulator, openid: str, line: str) -> str | None:
    """The XML WeChat would send for one line typed at the prompt, or None to quit."""
    if not line.startswith("/"):
        return sim.text(openid, line)
    command, _, rest = line[1:].partition(" ")
    args = rest.split()
    if command == "quit":
        return None
    if command == "image":
        return sim.build(openid, "image", {"PicUrl": "http://sandbox.invalid/photo.jpg",
                                           "MediaId": f"media-{sim.next_msg_id()}", "MsgId": sim.next_msg_id()})
    if command == "voice":
        fields = {"MediaId": f"media-{sim.next_msg_id()}", "Format": "amr", "MsgId": sim.next_msg_id()}
        if rest.strip():
            fields["Recognition"] = rest.strip()
        return sim.build(openid, "voice", fields)
    if command == "location" and len(args) >= 2:
        return sim.build(openid, "location", {"Location_X": args[0], "Location_Y": args[1], "Scale": 16,
                                              "Label": " ".join(args[2:]) or "位置", "MsgId": sim.next_msg_id()})
    if command == "event" and args:
        return sim.event(openid, args[0], args[1] if len(args) > 1 else None)
    return ""


async def run_chat(settings: Settings, openid: str, *, show_pushes: bool = True, wecom: bool = False) -> int:
    sim = WeChatSimulator(url=f"http://{settings.host}:{settings.port}/wechat", token=settings.wechat_token or "",
                          app_id=settings.wechat_app_id, aes_key=settings.wechat_aes_key)
    speaker, api_base = "公众号", settings.wechat_api_base
    if wecom:
        from bot.wecom.simulator import WeComSimulator

        if not settings.wecom_callback:
            print("WeCom is not configured (WECOM_TOKEN, WECOM_AES_KEY, WECOM_CORP_ID); in sandbox mode it is on.",
                  file=sys.stderr)
            return 2
        sim = WeComSimulator(url=f"http://{settings.host}:{settings.port}/wecom", token=settings.wecom_token or "",
                             app_id=settings.wecom_corp_id, aes_key=settings.wecom_aes_key,
                             agent_id=settings.wecom_agent_id or "")
        speaker, api_base = "企业微信", settings.wecom_api_base
        print(f"Staff not bound yet? `python main.py staff link --staff-id S02 --wecom-user {openid}`, "
              f"or send 绑定 <code> from `python main.py staff invite --staff-id S02`.")
    print(f"Chatting as {openid} with {sim.url} ({'encrypted' if sim.encrypted else 'plaintext'}). /help for more.")
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        pushes = None
        if show_pushes:  # only what is pushed from now on: earlier sessions' pushes were read then
            pushes = asyncio.create_task(_show_pushes(http, api_base, openid, await _last_push(http, api_base, openid)))
        try:
            while True:
                prompt()
                line = await loop.run_in_executor(None, sys.stdin.readline)
                if not line:
                    return 0
                line = line.rstrip("\n")
                if line.strip() in ("/help", "/?"):
                    print(HELP)
                    continue
                xml = build_message(sim, openid, line)
                if xml is None:
                    return 0
                if xml == "":
                    print("(unknown command; /help lists them)")
                    continue
                try:
                    delivery = await sim.post(http, xml)
                except aiohttp.ClientError as exc:
                    print(f"(cannot reach the server at {sim.url}: {exc}; is `make run` running?)")
                    continue
                if delivery.status != 200:
                    print(f"(server answered {delivery.status}: {delivery.body.strip()})")
                elif delivery.reply is None:
                    print("(no reply now; any answer comes as a push)")
                else:
                    print(f"{speaker}: {delivery.text or delivery.reply}")
        finally:
            if pushes:
                pushes.cancel()


PROMPT = "你> "


def prompt() -> None:
    print(PROMPT, end="", flush=True)


async def _last_push(http: aiohttp.ClientSession, api_base: str, openid: str) -> int:
    """The id of the newest push this user already has (0 when none, or when the fake does not answer)."""
    try:
        async with http.get(f"{api_base}/_sandbox/pushes", params={"openid": openid, "after": "0"}) as response:
            found = await response.json() if response.status == 200 else []
    except (aiohttp.ClientError, ValueError):
        return 0
    return max((push["id"] for push in found), default=0)


async def _show_pushes(http: aiohttp.ClientSession, api_base: str, openid: str, last: int) -> None:
    """Poll the sandbox's fake WeChat (or WeCom) API for pushes to this user after `last` and print them as
    they come, then the prompt again."""
    url = f"{api_base}/_sandbox/pushes"
    while True:
        try:
            async with http.get(url, params={"openid": openid, "after": str(last)}) as response:
                for push in await response.json() if response.status == 200 else []:
                    last = max(last, push["id"])
                    body = push["body"]
                    content = (body.get("text") or {}).get("content") or body
                    if isinstance(body.get("textcard"), dict):  # WeCom's text card
                        card = body["textcard"]
                        content = f"【{card.get('title')}】{card.get('description')}\n{card.get('url')}"
                    print(f"\r[推送] {content}")
                    prompt()
        except (aiohttp.ClientError, ValueError):
            pass
        await asyncio.sleep(1.0)
