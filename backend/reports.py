"""A report from any channel (the WeChat chat, the Open311 API) becomes a case the same way: created with
its first events, then dispatched on the grid with its 1315 clock (backend.workflow.dispatch)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend import cases, workflow
from storage.models import Case, Staff


async def open_case(session: AsyncSession, new: cases.NewCase, rules: workflow.CategoryRules,
                    policy: workflow.Policy, now: datetime) -> tuple[Case, Staff | None]:
    """Create the case and dispatch it; returns the case and the officer it went to (None: nobody)."""
    case = await cases.create_case(session, new, now)
    officer = await workflow.dispatch(session, case, rules, policy, now)
    return case, officer
