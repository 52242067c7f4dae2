"""Hold until the case is known: an event about a case that arrives before the case's registration (another
partition, another producer) is kept, and applied when the registration comes, in the order things happened.

Each service keeps held events in its own table (notify's `held_events`, reporting's `pending_case_events`, or
reporting's in-memory store during a replay rebuild) behind the small `HeldStore` protocol; the decisions live here
once: hold or handle, the order of release, and forgetting what was released.

    def on_case_answered(uow, event):
        case = held.case_or_hold(store, event.data["case_id"], keep=lambda: held.Held.of(event, arrival=clock.now()))
        if case is not None:
            tell(case, event)

    def on_case_registered(uow, event):
        case = register(...)
        held.release(store, case_id, lambda item: apply(case, item))
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol

from . import clock


@dataclass(frozen=True)
class Held:
    """One held event. `time` is when it happened (the envelope's time, wire text or datetime); `arrival` orders
    events of the same time as they arrived (a sequence number, or the moment it was kept); `payload` is whatever
    the service needs to apply it later (its JSON)."""

    event_id: str
    case_id: str
    event_type: str
    time: Any
    arrival: Any
    payload: str

    @classmethod
    def of(cls, event, *, arrival: Any, case_id: str | None = None) -> "Held":
        """A held record of an envelope (wangge_common.envelope.Event), its JSON as the payload."""
        return cls(event_id=event.id, case_id=case_id or event.data["case_id"], event_type=event.type,
                   time=event.time, arrival=arrival, payload=event.to_json())


class HeldStore(Protocol):
    """Where a service keeps held events, and how it knows a case."""

    def case(self, case_id: str) -> Any | None:
        """The case as the service knows it, or None while its registration has not come."""

    def keep(self, held: Held) -> None:
        """Keep a held event; keeping an event id that is kept already changes nothing."""

    def held_for(self, case_id: str) -> Iterable[Held]:
        """The events kept for a case, in any order."""

    def forget(self, held: Held) -> None:
        """Drop one kept event (it has been applied)."""


def case_or_hold(store: HeldStore, case_id: str, *, keep: Callable[[], Held]) -> Any | None:
    """The decision: the case when it is known (handle the event now, with it); else None, the event kept
    (`keep()` makes its record, only when needed)."""
    case = store.case(case_id)
    if case is None:
        store.keep(keep())
    return case


def release_order(items: Iterable[Held]) -> list[Held]:
    """Held events in the order they are applied: as they happened (a reply counts only after the answer it passes
    on), then as they arrived, then by id (a stable order whatever the store returns)."""
    return sorted(items, key=lambda h: (clock.parse_time(h.time), h.arrival, h.event_id))


def release(store: HeldStore, case_id: str, apply: Callable[[Held], None]) -> int:
    """Apply every event held for a case, in release order, forgetting each once applied; returns how many."""
    released = 0
    for item in release_order(store.held_for(case_id)):
        apply(item)
        store.forget(item)
        released += 1
    return released
