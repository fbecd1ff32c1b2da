"""What handlers hand the workflow: the category's rules from the taxonomy and the street's policy."""
from __future__ import annotations

from backend.workflow import CategoryRules, Policy
from handlers.router import Context


def rules_for(ctx: Context, code: str) -> CategoryRules:
    return rules_of(ctx.services.taxonomy.category(code))


def rules_of(category) -> CategoryRules:
    """A taxonomy category's rules (any channel: the chat here, the Open311 API in web/open311.py)."""
    return CategoryRules(name=category.name, sla_overrides=dict(category.sla_overrides),
                         joint_verification=category.joint_verification,
                         co_departments=tuple(category.co_departments))


def policy(ctx: Context) -> Policy:
    return ctx.services.workflow_policy
