"""The report being put together in the intake dialog: its slots, how an understood message fills
them, and which slot is the most important one still missing."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DESCRIPTION_LIMIT = 5000  # characters kept of what the resident wrote (several long messages; the summary shows 400)
SPOT_LIMIT = 64
TIME_LIMIT = 64
MAX_PHOTOS = 9


UNNAMED_PLACE = ("小区", "院子", "园区")  # "小区门口" before the compound is named: which gate is still to say
_SPOT_TAIL = "口边头里外"


def refines(new: str, old: str) -> bool:
    """The spot said now names which one of an unnamed spot said before: "南门" after "小区门口", "东边
    那个垃圾房" after "小区垃圾房"."""
    if not old.startswith(UNNAMED_PLACE) or new.startswith(UNNAMED_PLACE):
        return False
    head_old, head_new = old.rstrip(_SPOT_TAIL), new.rstrip(_SPOT_TAIL)
    return bool(head_old and head_new) and head_old[-1] == head_new[-1] and len(head_new) > 1


@dataclass
class Draft:
    category: str | None = None
    candidates: list[str] = field(default_factory=list)  # categories to choose from (low confidence)
    description: str = ""
    compound: str | None = None
    compound_candidates: list[str] = field(default_factory=list)  # ambiguous place name
    location_compound: str | None = None  # nearest compound to a shared location, to confirm
    location_distance: int | None = None  # metres from the shared location to that compound
    building: str | None = None
    spot: str | None = None  # where exactly, as said: "南门小广场", "6楼阳台", "88号门口" (of a road)
    everywhere: bool = False  # the resident says it is all over the compound, not at one building or spot
    place_text: str | None = None  # the place as described or shared, when no known place matched it
    place_asked: bool = False  # asked once to describe the place or share a location: never again
    occurred: str | None = None
    photos: list[dict] = field(default_factory=list)
    phone: str | None = None
    anonymous: bool = False
    lat: float | None = None
    lng: float | None = None
    urgent: bool = False
    skipped: list[str] = field(default_factory=list)
    duplicate_checked: bool = False
    duplicate: str | None = None  # number of an open case it may duplicate, while offering to follow it
    own_duplicate: bool = False  # that open case is the resident's own: offer to add to it
    urgent_case: str | None = None  # an emergency's case made without a place, waiting for one
    priority: str | None = None  # the priority an emergency or feared hazard told in the first message raises to
    advice: str | None = None  # for an emergency: whom to call and what to do, said before anything else

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> "Draft":
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (data or {}).get("draft", {}).items() if k in known})

    def add_text(self, text: str) -> None:
        text = text.strip()
        if not text or text in self.description:
            return
        joined = f"{self.description}；{text}" if self.description else text
        self.description = joined[:DESCRIPTION_LIMIT]

    def take_details(self, details: Any, *, what: bool = True) -> str:
        """Fill empty slots from the details of an answer (nlp Details: spot, building, time, what happens);
        what happens joins the description. Returns what was added to the description ("" if nothing)."""
        if details is None:
            return ""
        spot, building, when = details.spot, details.building, details.time
        if spot and (not self.spot or refines(spot, self.spot)):
            self.spot = spot[:SPOT_LIMIT]
        if building and not self.building:
            self.building = building
        if when is not None and not self.occurred:
            self.occurred = when.said[:TIME_LIMIT]
        if details.scope == "whole_compound" and not self.building:
            self.everywhere = True
        added = (details.what or "").strip() if what else ""
        if added and added not in self.description:
            self.add_text(added)
            return added
        return ""

    def add_photo(self, media: dict) -> bool:
        if len(self.photos) >= MAX_PHOTOS:
            return False
        self.photos.append(media)
        return True

    def absorb(self, u: Any, *, overwrite: tuple[str, ...] = ()) -> None:
        """Fill empty slots from an nlp Understanding (slots named in `overwrite` are replaced)."""
        def take(slot: str, value: Any) -> None:
            if value and (getattr(self, slot) in (None, "", [], False) or slot in overwrite):
                setattr(self, slot, value)

        if u.category and u.category != "other" and (self.category is None or "category" in overwrite):
            if not u.ask_category:
                self.category, self.candidates = u.category, []
            elif self.category is None:
                self.candidates = [code for code, _ in u.candidates][:3]
        if u.compound:
            take("compound", u.compound)
            if self.compound == u.compound:
                self.compound_candidates = []
        elif len(u.compound_candidates or ()) > 1 and (self.compound is None or "compound" in overwrite):
            self.compound, self.compound_candidates = None, list(u.compound_candidates)
        take("building", u.building)
        take("occurred", u.time)
        take("phone", u.phone)
        take("spot", spot_of(u)[:SPOT_LIMIT])
        self.urgent = self.urgent or bool(u.urgent)


def spot_of(u: Any) -> str:
    """Where exactly: what follows the place's name ("35号旁边", "东门") and the spot the nlp read elsewhere
    in the message ("人行道"), both when they say different things ("35号旁边人行道")."""
    detail, spot = getattr(u, "place_detail", None) or "", getattr(u, "spot", None) or ""
    if detail and spot and detail not in spot and spot not in detail:
        return detail + spot
    return max(detail, spot, key=len)


def next_state(draft: Draft, slots: tuple[str, ...]) -> str:
    """The state that asks for the most important missing slot, or `confirm` when nothing is missing.

    Order: what the problem is, the place (a shared location to confirm, an ambiguous name to pick,
    or a question; a place only described, or left to staff, is enough), the building and the time where
    the category needs them, then the summary.
    """
    if draft.duplicate:
        return "offer_follow"
    if draft.category is None:
        return "choose_category" if draft.candidates else "ask_description"
    if draft.location_compound:
        return "confirm_location"
    if draft.compound is None and draft.place_text is None and "place" not in draft.skipped:
        return "choose_compound" if draft.compound_candidates else "ask_place"
    if "building" in slots and draft.compound and not draft.building and "building" not in draft.skipped:
        return "ask_building"
    if "time" in slots and not draft.occurred and "time" not in draft.skipped:
        return "ask_time"
    return "confirm"
