"""The complaint taxonomy, loaded from TOML: categories, routing, keywords, slots and questions."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

DEFAULT_TAXONOMY = Path(__file__).with_name("taxonomy.toml")
FALLBACK = "other"
MAJOR_CLASSES = ("市容环境", "宣传广告", "施工管理", "街面秩序", "突发事件", "扩展事件")
PRIORITIES = ("urgent", "high", "normal", "low")
SLA_STEPS = ("accept", "depart", "arrive")


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    major_class: str
    department: str
    priority: str
    keywords: Mapping[str, float]
    combos: tuple[tuple[tuple[tuple[str, ...], ...], float], ...] = ()
    co_departments: tuple[str, ...] = ()
    slots: tuple[str, ...] = ()
    questions: Mapping[str, str] = field(default_factory=dict)
    notice: str = ""
    joint_verification: bool = False
    sla_overrides: Mapping[str, int] = field(default_factory=dict)
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClassifierSettings:
    temperature: float = 1.0
    other_baseline: float = 1.0
    ask_below: float = 0.55
    model_weight: float = 0.5


class Taxonomy:
    """Categories in file order, plus the keyword classifier's settings."""

    def __init__(self, categories: list[Category], settings: ClassifierSettings):
        if not any(c.code == FALLBACK for c in categories):
            raise ValueError(f"taxonomy needs a {FALLBACK!r} category")
        self.categories: tuple[Category, ...] = tuple(categories)
        self.settings = settings
        self._by_code = {c.code: c for c in categories}
        self._by_label = {}
        for c in categories:
            for label in (c.code, c.name, *c.labels):
                self._by_label.setdefault(label, c.code)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)

    def category(self, code: str) -> Category:
        return self._by_code[code]

    def __contains__(self, code: str) -> bool:
        return code in self._by_code

    def code_for_label(self, label: str) -> str | None:
        """The category a trained model's label stands for (its code, Chinese name or one of its labels)."""
        return self._by_label.get(label)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    path = Path(path) if path else DEFAULT_TAXONOMY
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    settings = ClassifierSettings(**raw.get("classifier", {}))
    categories = [_category(code, body) for code, body in raw["categories"].items()]
    return Taxonomy(categories, settings)


def _category(code: str, body: dict) -> Category:
    if body["major_class"] not in MAJOR_CLASSES:
        raise ValueError(f"{code}: unknown major class {body['major_class']!r}")
    if body.get("priority", "normal") not in PRIORITIES:
        raise ValueError(f"{code}: unknown priority {body['priority']!r}")
    overrides = body.get("sla_overrides", {})
    if set(overrides) - set(SLA_STEPS):
        raise ValueError(f"{code}: sla_overrides takes only {SLA_STEPS}")
    questions = body.get("questions", {})
    missing = [s for s in body.get("slots", []) if s not in questions]
    if missing:
        raise ValueError(f"{code}: no question for slots {missing}")
    combos = tuple(
        (tuple(tuple(group.split("|")) for group in combo["all"]), float(combo["weight"]))
        for combo in body.get("combos", [])
    )
    return Category(
        code=code,
        name=body["name"],
        major_class=body["major_class"],
        department=body["department"],
        priority=body.get("priority", "normal"),
        keywords=MappingProxyType({k.lower(): float(w) for k, w in body.get("keywords", {}).items()}),
        combos=combos,
        co_departments=tuple(body.get("co_departments", ())),
        slots=tuple(body.get("slots", ())),
        questions=MappingProxyType(dict(questions)),
        notice=body.get("notice", ""),
        joint_verification=bool(body.get("joint_verification", False)),
        sla_overrides=MappingProxyType({k: int(v) for k, v in overrides.items()}),
        labels=tuple(body.get("labels", ())),
    )
