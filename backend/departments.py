"""Department names as staff type them in commands (协办 N 公安 交警 市场监管) -> dept ids."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Department

ALIASES = {
    "公安": "gongan", "派出所": "gongan", "警察": "gongan",
    "交警": "jiaojing",
    "市场监管": "shijian", "市监": "shijian", "工商": "shijian",
    "城管": "chengguan",
    "环卫": "huanwei",
    "园林": "yuanlin", "绿化": "yuanlin",
    "市政": "shizheng",
    "水务": "shuiwu",
    "住建": "zhujian",
    "消防": "xiaofang",
    "社区": "shequ",
    "物业": "wuye",
}


async def resolve_names(session: AsyncSession, names: list[str]) -> tuple[list[str], list[str]]:
    """(dept ids, names not understood) for department names, ids or aliases."""
    departments = (await session.execute(select(Department))).scalars().all()
    by_name = {d.name: d.id for d in departments} | {d.id: d.id for d in departments}
    found, unknown = [], []
    for name in names:
        dept = by_name.get(name) or ALIASES.get(name)
        if dept is None:
            dept = next((d.id for d in departments if name and name in d.name), None)
        (found if dept else unknown).append(dept or name)
    return list(dict.fromkeys(found)), unknown


async def name_of(session: AsyncSession, dept_id: str | None) -> str:
    dept = await session.get(Department, dept_id) if dept_id else None
    return dept.name if dept else (dept_id or "")
