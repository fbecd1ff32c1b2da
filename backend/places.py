"""The street's places (compounds and public places: roads, intersections, squares, markets, parks,
schools…) as the rest of the domain needs them: lookup and nearest to a location."""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Compound

EARTH_RADIUS_M = 6_371_000


@dataclass(frozen=True)
class Place:
    id: str
    name: str
    aliases: tuple[str, ...]
    community: str
    lat: float
    lng: float
    buildings: int
    grid_mode: str
    kind: str = "compound"
    grid: str | None = None  # a public place: the compound cell whose grid officer patrols it
    roads: tuple[str, ...] = ()
    address: str | None = None

    @property
    def is_compound(self) -> bool:
        return self.kind == "compound"


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


async def all_places(session: AsyncSession) -> list[Place]:
    rows = (await session.execute(select(Compound).order_by(Compound.id))).scalars()
    return [Place(r.id, r.name, tuple(r.aliases or ()), r.community, r.lat, r.lng, r.buildings, r.grid_mode,
                  r.kind or "compound", r.grid, tuple(r.roads or ()), r.address)
            for r in rows]


def named(places: list[Place], text: str) -> Place | None:
    """The place with this id, name or alias, exactly (for staff placing a case by hand)."""
    wanted = text.strip()
    return next((p for p in places if wanted in (p.id, p.name, *p.aliases)), None)


def nearest(places: list[Place], lat: float, lng: float) -> tuple[Place, float] | None:
    """The place closest to a point, with its distance in metres."""
    if not places:
        return None
    return min(((p, distance_m(lat, lng, p.lat, p.lng)) for p in places), key=lambda pd: pd[1])


def spelled(name: str, building: str | None, spot: str | None) -> str:
    """A place as people read it: "滨湖欣园3栋 南门"; a spot that already names the building ("9栋后面草坪")
    stands for both, so the building is not said twice."""
    if building and spot and spot.startswith(building):
        building = None
    return "".join(part for part in (name, building, f" {spot}" if spot else "") if part)
