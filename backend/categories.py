"""What a taxonomy category means to the workflow, for every channel alike (the chat, Open311): its
priority number and its rules (name, SLA overrides, joint verification, co-departments)."""
from __future__ import annotations

from backend.workflow import CategoryRules

# the taxonomy's priority words as the case's priority number (1 is the most urgent)
PRIORITY = {"urgent": 1, "high": 2, "normal": 3, "low": 4}
DEFAULT_PRIORITY = PRIORITY["normal"]


def priority_of(category, raised: str | None = None) -> int:
    """The case's priority number: the category's, or more urgent when the report raised it (an emergency or
    a feared hazard, `raised` as a taxonomy priority word)."""
    own = PRIORITY.get(category.priority, DEFAULT_PRIORITY)
    return min(own, PRIORITY.get(raised, own)) if raised else own


def rules_of(category) -> CategoryRules:
    """A taxonomy category's rules, whichever channel the report came by."""
    return CategoryRules(name=category.name, sla_overrides=dict(category.sla_overrides),
                         joint_verification=category.joint_verification,
                         co_departments=tuple(category.co_departments))
