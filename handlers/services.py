"""The long-lived objects handlers use, built once at start (bot/services.py) and shared by every message.

Typed fields, not a dict: a handler sees what exists and what type it is, and nothing may cache into it
(a per-message value belongs on the Context; data that changes, such as the street's compounds, is read
from the backend when needed, so a compound seeded while the server runs is seen at once).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Mapping

from backend.charging import ChargingPolicy
from backend.personal_data import RetentionPolicy
from backend.takeover import TakeoverPolicy
from backend.workflow import Policy

if TYPE_CHECKING:
    from handlers.knowledge import KnowledgeBase
    from nlp import Analyzer, Taxonomy

DIALOG_TTL = timedelta(minutes=30)  # the default of DRAFT_TTL_S


@dataclass
class Services:
    taxonomy: "Taxonomy | None" = None
    nlp: "Analyzer | None" = None
    knowledge: "KnowledgeBase" = field(default_factory=lambda: _knowledge_base())  # index of the entries
    workflow_policy: Policy = field(default_factory=Policy)
    charging_policy: ChargingPolicy = field(default_factory=ChargingPolicy)
    retention_policy: RetentionPolicy = field(default_factory=RetentionPolicy)
    dialog_ttl: timedelta = DIALOG_TTL  # a dialog idle this long is dropped (DRAFT_TTL_S)
    takeover_policy: TakeoverPolicy = field(default_factory=TakeoverPolicy)  # TAKEOVER_PICKUP_S, TAKEOVER_IDLE_S
    public_url: str | None = None  # PUBLIC_URL: where residents open their pages (/h5/); None: no link is given

    @classmethod
    def of(cls, given: "Services | Mapping[str, Any] | None") -> "Services":
        """Services from a Services (the same object, so later fills are seen) or from named values."""
        if isinstance(given, Services):
            return given
        made = cls()
        made.fill(**dict(given or {}))
        return made

    def fill(self, **values: Any) -> None:
        """Set fields in place (start-up fills the object every holder already has); unknown names fail."""
        known = {f.name for f in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise TypeError(f"unknown services: {sorted(unknown)}")
        for name, value in values.items():
            if value is not None:
                setattr(self, name, value)

    def values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _knowledge_base() -> "KnowledgeBase":
    from handlers.knowledge import KnowledgeBase  # the conversation module imports these services' users

    return KnowledgeBase()
