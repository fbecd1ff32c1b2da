"""The residents' session's tokens, and the short-lived signed cookies of the pages.

The session itself lives on the server (backend/resident_sessions.py: the cookie holds a random token, so
erasing a resident's data ends it at once); `Session` is what a page knows of it. The CSRF token of a form is
an HMAC of the session's nonce, so it is different for every login and useless to another resident or after
the session ends; an offer token (我也遇到) the same for a case number.

Short-lived values are sealed into cookies: `<payload>.<signature>`, payload = base64url(JSON with an expiry
"e" in unix seconds), signature = HMAC-SHA256 over it with the session secret. The login's `state` (sent
through WeChat's authorisation page and back) is bound to the browser that way: a cookie holds it with the
page to return to, so a code that another browser started cannot log this one in.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

LOGIN_TTL_S = 600  # from the redirect to WeChat's authorisation to the code coming back


@dataclass(frozen=True)
class Session:
    openid: str
    expires: int
    nonce: str


def derive_secret(*parts: str | None) -> bytes:
    """A session secret from the account's own secrets (when H5_SESSION_SECRET is not set): every process of
    the deployment derives the same one, and it changes when the AppSecret is reset."""
    material = "\x00".join(p or "" for p in parts)
    return hmac.new(b"gongzhi-h5-session", material.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, label: str, payload: str) -> str:
    return _b64(hmac.new(secret, f"{label}:{payload}".encode(), hashlib.sha256).digest())


def seal(secret: bytes, label: str, value: dict) -> str:
    payload = _b64(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{payload}.{_sign(secret, label, payload)}"


def unseal(secret: bytes, label: str, cookie: str | None, now: float) -> dict | None:
    """The value sealed under `label`, if the signature holds and it has not expired ("e"); else None."""
    if not cookie or cookie.count(".") != 1 or len(cookie) > 2048:
        return None
    payload, signature = cookie.split(".")
    if not hmac.compare_digest(signature.encode(), _sign(secret, label, payload).encode()):
        return None
    try:
        value = json.loads(_unb64(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("e"), int) or value["e"] <= now:
        return None
    return value


def csrf_token(secret: bytes, session: Session) -> str:
    return _sign(secret, "csrf", session.nonce)


def csrf_ok(secret: bytes, session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(str(sent).encode(), csrf_token(secret, session).encode())


def offer_token(secret: bytes, session: Session, number: str) -> str:
    """Proof that this session was shown `number` as a case it may follow (附近 lists it): 我也遇到 on any
    other number is refused, so case numbers cannot be walked to follow every case in the street."""
    return _sign(secret, "offer", f"{session.nonce}:{number}")


def offer_ok(secret: bytes, session: Session, number: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(str(sent).encode(), offer_token(secret, session, number).encode())


def start_login(secret: bytes, next_path: str, now: float) -> tuple[str, str]:
    """(state for WeChat's authorisation URL, the cookie that binds it to this browser)."""
    state = secrets.token_urlsafe(16)
    return state, seal(secret, "login", {"s": state, "p": next_path, "e": int(now) + LOGIN_TTL_S})


def finish_login(secret: bytes, cookie: str | None, state: str | None, now: float) -> str | None:
    """The page to return to if `state` is the one this browser's login started with; else None."""
    value = unseal(secret, "login", cookie, now)
    if value is None or not state or not hmac.compare_digest(str(value.get("s", "")).encode(), state.encode()):
        return None
    return str(value.get("p") or "/h5/cases")


def jsapi_signature(ticket: str, nonce: str, timestamp: int, url: str) -> str:
    """The JS-SDK's wx.config signature: SHA-1 of the four fields in WeChat's order (the URL without #...)."""
    text = f"jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={url.split('#', 1)[0]}"
    return hashlib.sha1(text.encode()).hexdigest()
