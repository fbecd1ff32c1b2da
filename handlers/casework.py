"""What handlers hand the workflow: the category's rules from the taxonomy and the street's policy."""
from __future__ import annotations

from backend.categories import rules_of
from backend.workflow import CategoryRules, Policy
from handlers.router import Context

__all__ = ["policy", "rules_for", "rules_of"]


def rules_for(ctx: Context, code: str) -> CategoryRules:
    return rules_of(ctx.services.taxonomy.category(code))


def policy(ctx: Context) -> Policy:
    return ctx.services.workflow_policy
