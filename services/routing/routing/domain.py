"""Triage rules (DOMAIN.md, "The closed loop"); pure Python."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: int
    category: str
    topic: str | None
    level: str
    department_code: str
    department_name: str
    priority: int


@dataclass(frozen=True)
class Triage:
    path: str  # town | county | manual
    rule: Rule | None
    reason: str


def triage(category: str, topic: str | None, rules: list[Rule]) -> Triage:
    """Pick the catalogue line for a case: an exact topic match beats a category-wide line; none → manual queue."""
    candidates = [r for r in rules if r.category == category and (r.topic is None or r.topic == topic)]
    if not candidates:
        return Triage("manual", None, f"no dispatch rule for {category}/{topic or '-'}: manual triage queue")
    best = min(candidates, key=lambda r: (r.topic is None, r.priority, r.id))
    return Triage(best.level, best, f"dispatch rule {best.id}: {category}/{best.topic or '*'} at {best.level} level")
