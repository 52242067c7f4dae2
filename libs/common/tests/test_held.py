"""Hold until the case is known (wangge_common.held), against an in-memory store: pure, no database."""
from wangge_common import held
from wangge_common.held import Held


class Store:
    """The smallest HeldStore: cases and held events in dictionaries."""

    def __init__(self, cases=None):
        self.cases = dict(cases or {})
        self.kept: dict[str, Held] = {}
        self.forgotten: list[str] = []

    def case(self, case_id):
        return self.cases.get(case_id)

    def keep(self, item):
        self.kept.setdefault(item.event_id, item)

    def held_for(self, case_id):
        return [h for h in reversed(list(self.kept.values())) if h.case_id == case_id]  # any order

    def forget(self, item):
        self.forgotten.append(item.event_id)
        del self.kept[item.event_id]


def item(event_id, case_id="c1", time="2026-12-06T01:00:00Z", arrival=0):
    return Held(event_id=event_id, case_id=case_id, event_type="case.answered", time=time, arrival=arrival,
                payload="{}")


def test_an_event_of_a_known_case_is_handled_with_the_case():
    store, made = Store({"c1": {"state": "registered"}}), []
    assert held.case_or_hold(store, "c1", keep=lambda: made.append(1) or item("e1")) == {"state": "registered"}
    assert not store.kept and not made  # no record made when not needed


def test_an_event_of_an_unknown_case_is_kept_once():
    store = Store()
    assert held.case_or_hold(store, "c1", keep=lambda: item("e1")) is None
    assert held.case_or_hold(store, "c1", keep=lambda: item("e1", arrival=5)) is None
    assert list(store.kept) == ["e1"] and store.kept["e1"].arrival == 0


def test_release_applies_in_the_order_things_happened_then_as_they_arrived():
    store = Store()
    for made in (item("reply", time="2026-12-06T02:00:00Z", arrival=1),
                 item("answer", time="2026-12-06T01:00:00Z", arrival=2),
                 item("late-b", time="2026-12-06T03:00:00Z", arrival=4),
                 item("late-a", time="2026-12-06T11:00:00+08:00", arrival=3),  # the same moment as late-b
                 item("other", case_id="c2")):
        store.keep(made)
    applied = []
    assert held.release(store, "c1", lambda h: applied.append(h.event_id)) == 4
    assert applied == ["answer", "reply", "late-a", "late-b"]
    assert store.forgotten == applied and list(store.kept) == ["other"]


def test_times_of_different_precision_order_as_moments_not_as_text():
    whole, half = item("whole", time="2026-12-06T01:00:00Z"), item("half", time="2026-12-06T01:00:00.500000Z")
    assert [h.event_id for h in held.release_order([half, whole])] == ["whole", "half"]


def test_an_event_applied_is_forgotten_only_after_it_was_applied():
    store = Store()
    store.keep(item("e1"))

    def fails(_):
        raise RuntimeError("the handler failed")

    try:
        held.release(store, "c1", fails)
    except RuntimeError:
        pass
    assert list(store.kept) == ["e1"]  # still held: the transaction rolls back and the registration is retried


def test_held_of_an_envelope_keeps_its_json():
    from wangge_common.testing import event

    made = event("case.answered", "c9", {"case_id": "c9", "summary": "修好了"})
    record = Held.of(made, arrival=7)
    assert (record.event_id, record.case_id, record.event_type, record.time, record.arrival) == (
        made.id, "c9", "case.answered", made.time, 7)
    assert record.payload == made.to_json()
