"""Micro livelihood projects (民生微实事, seed 002), pure: their states and what each step needs.

A deputy proposes a project from the cases they collected (linked to them), with a budget and a grid; the township
congress reviews it; the city decides the funding; progress is recorded; the result is publicised on the grid's
board and the linked cases' reporters are told and asked for a rating.
"""
from __future__ import annotations

from wangge_common.contracts import labels

STATES = tuple(labels.PROJECT_STATES)
# state -> {action: next state}
TRANSITIONS = {
    "proposed": {"approve": "township_approved", "refuse": "refused"},
    "township_approved": {"fund": "funded", "refuse_funding": "refused"},
    "funded": {"progress": "in_progress", "complete": "completed"},
    "in_progress": {"progress": "in_progress", "complete": "completed"},
}
MAX_BUDGET_YUAN = 100_000_000  # a bound against typing mistakes, not a rule of the seeds
MAX_CASES = 200


class StepRefused(ValueError):
    """The project is not in a state where this step can be taken."""


def next_state(state: str, action: str) -> str:
    found = TRANSITIONS.get(state, {}).get(action)
    if found is None:
        raise StepRefused(f"a project that is {labels.label('project_state', state)} ({state}) cannot be {action}d")
    return found


def funding_problems(budget_yuan: int, amount_yuan: int) -> list[tuple[str, str]]:
    if amount_yuan < 1:
        return [("amount_yuan", "must be at least 1 yuan")]
    if amount_yuan > budget_yuan:
        return [("amount_yuan", f"must not exceed the proposed budget ({budget_yuan} yuan)")]
    return []


def progress_problems(last_percent: int, percent: int) -> list[tuple[str, str]]:
    if percent < last_percent:
        return [("percent", f"progress does not go back: it was {last_percent} %")]
    if percent >= 100:
        return [("percent", "100 % is the completion: record the result instead")]
    return []


def rating_summary(ratings: list[str]) -> dict:
    """How the residents rated a completed project: counts, and the share satisfied or basically satisfied."""
    counts = {r: ratings.count(r) for r in ("satisfied", "basically_satisfied", "unsatisfied")}
    given = sum(counts.values())
    pleased = counts["satisfied"] + counts["basically_satisfied"]
    return {**counts, "given": given, "satisfaction": round(pleased / given, 4) if given else None}
