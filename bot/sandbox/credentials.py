"""Credentials of sandbox mode: made once per data directory and kept there, so the server and the
`chat` client agree without anyone configuring WeChat or WeCom, and no fixed secret is ever shipped."""
from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, TypeVar

from storage.db import private_dir

FILE_NAME = "sandbox.json"
WECOM_FILE_NAME = "sandbox_wecom.json"  # a file of its own, so older sandbox.json files still load

C = TypeVar("C")


@dataclass(frozen=True)
class SandboxCredentials:
    token: str
    app_id: str
    app_secret: str
    aes_key: str


@dataclass(frozen=True)
class SandboxWeCom:
    token: str
    aes_key: str
    corp_id: str
    agent_id: str
    secret: str


def _aes_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()[:43]


def _kept(path: Path, kind: type[C], make: Callable[[], C]) -> C:
    """The credentials stored at `path`, or new ones written there (readable by the owner only)."""
    if path.exists():
        return kind(**json.loads(path.read_text()))
    creds = make()
    private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    with os.fdopen(os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600), "w") as file:
        file.write(json.dumps(asdict(creds), indent=1))
    tmp.replace(path)
    return creds


def load_or_create(data_dir: Path) -> SandboxCredentials:
    return _kept(data_dir / FILE_NAME, SandboxCredentials, lambda: SandboxCredentials(
        token=secrets.token_hex(16), app_id="wxsandbox" + secrets.token_hex(4), app_secret=secrets.token_hex(16),
        aes_key=_aes_key()))


def load_or_create_wecom(data_dir: Path) -> SandboxWeCom:
    return _kept(data_dir / WECOM_FILE_NAME, SandboxWeCom, lambda: SandboxWeCom(
        token=secrets.token_hex(16), aes_key=_aes_key(), corp_id="wwsandbox" + secrets.token_hex(4),
        agent_id="1000002", secret=secrets.token_hex(16)))
