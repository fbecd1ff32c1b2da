"""Credentials of sandbox mode: made once per data directory and kept there, so the server and the
`chat` client agree without anyone configuring WeChat, and no fixed secret is ever shipped."""
from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "sandbox.json"


@dataclass(frozen=True)
class SandboxCredentials:
    token: str
    app_id: str
    app_secret: str
    aes_key: str


def load_or_create(data_dir: Path) -> SandboxCredentials:
    path = data_dir / FILE_NAME
    if path.exists():
        return SandboxCredentials(**json.loads(path.read_text()))
    creds = SandboxCredentials(
        token=secrets.token_hex(16),
        app_id="wxsandbox" + secrets.token_hex(4),
        app_secret=secrets.token_hex(16),
        aes_key=base64.b64encode(secrets.token_bytes(32)).decode()[:43],
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(creds.__dict__, indent=1))
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return creds


# --- WeCom (issue 11): the sandbox's own WeCom app, in a file of its own ------------------------------
WECOM_FILE_NAME = "sandbox_wecom.json"


@dataclass(frozen=True)
class SandboxWeCom:
    token: str
    aes_key: str
    corp_id: str
    agent_id: str
    secret: str


def load_or_create_wecom(data_dir: Path) -> SandboxWeCom:
    path = data_dir / WECOM_FILE_NAME
    if path.exists():
        return SandboxWeCom(**json.loads(path.read_text()))
    creds = SandboxWeCom(
        token=secrets.token_hex(16),
        aes_key=base64.b64encode(secrets.token_bytes(32)).decode()[:43],
        corp_id="wwsandbox" + secrets.token_hex(4),
        agent_id="1000002",
        secret=secrets.token_hex(16),
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(creds.__dict__, indent=1))
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return creds
# --- end WeCom ---
