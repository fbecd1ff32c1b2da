"""Who is on the other end of a web request: the client's address and whether it came over HTTPS.

Behind a reverse proxy the TCP peer is the proxy, and the proxy says who the client is and how it was
reached in X-Forwarded-For and X-Forwarded-Proto. Anybody can send those headers, so they are believed
only when the peer is one of TRUSTED_PROXIES; from anyone else they are ignored.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Iterable

from aiohttp import web


@dataclass(frozen=True)
class Client:
    address: str
    https: bool


class Proxies:
    def __init__(self, networks: Iterable[str] = ()):
        self.networks = [ipaddress.ip_network(n, strict=False) for n in networks]

    def trusted(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address((address or "").split("%")[0])
        except ValueError:
            return False
        return any(ip in n for n in self.networks)

    def client(self, request: web.Request) -> Client:
        peer = request.remote or "unknown"
        if not self.trusted(peer):
            return Client(peer, request.secure)
        # the nearest address that is not one of our proxies is the client (the others it may have made up)
        hops = [h.strip() for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",") if h.strip()]
        address = next((h for h in reversed(hops) if not self.trusted(h)), hops[0] if hops else peer)
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        return Client(address[:64], request.secure or proto == "https")
