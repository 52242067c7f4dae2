"""Projections: how each event changes the read tables. One `Projector` serves both the live consumer (rows read
and written through a database session, one event at a time) and replay (rows kept in memory, written in bulk),
so a replay applies exactly the rules the live service applied."""
from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import delete, select

from wangge_common import clock, held

from . import domain
from .models import (CaseFact, ContactLink, ContactMeeting, DeputyCaseCount, DeputyFact, DutyFact, GridDeputy, GridFact,
                     KpiCell, PendingEvent, PROJECTIONS, ProjectFact, ReceptionAttendance, VisitFact)


_PRIMARY_KEYS = {model: tuple(c.name for c in model.__table__.primary_key.columns) for model in PROJECTIONS}


def _key(model, row: dict) -> tuple:
    return tuple(row[name] for name in _PRIMARY_KEYS[model])


def _as_dict(obj) -> dict:
    return {c.name: getattr(obj, c.name) for c in obj.__table__.columns}


class _HeldRows:
    """wangge_common.held's store protocol over pending_case_events, for both stores: a case is known once its
    CaseFact exists; a held event's arrival order is its audit sequence number."""

    def case(self, case_id: str) -> dict | None:
        return self.get(CaseFact, case_id)

    def keep(self, item: held.Held) -> None:
        if self.get(PendingEvent, item.event_id) is None:
            self.put(PendingEvent, {"event_id": item.event_id, "case_id": item.case_id, "seq": item.arrival,
                                    "event_type": item.event_type, "payload": item.payload})

    def held_for(self, case_id: str) -> list[held.Held]:
        return [held.Held(event_id=row["event_id"], case_id=row["case_id"], event_type=row["event_type"],
                          time=json.loads(row["payload"])["time"], arrival=row["seq"], payload=row["payload"])
                for row in self.pending_for(case_id)]

    def forget(self, item: held.Held) -> None:
        self.delete(PendingEvent, item.event_id)


class DbStore(_HeldRows):
    """Rows through a session (the live consumer)."""

    def __init__(self, session):
        self.session = session

    def get(self, model, *key) -> dict | None:
        obj = self.session.get(model, key)
        return None if obj is None else _as_dict(obj)

    def put(self, model, row: dict) -> None:
        obj = self.session.get(model, _key(model, row))
        if obj is None:
            self.session.add(model(**row))
        else:
            for name, value in row.items():
                setattr(obj, name, value)

    def delete(self, model, *key) -> None:
        obj = self.session.get(model, key)
        if obj is not None:
            self.session.delete(obj)

    def pending_for(self, case_id: str) -> list[dict]:
        rows = self.session.scalars(select(PendingEvent).where(PendingEvent.case_id == case_id)
                                    .order_by(PendingEvent.seq)).all()
        return [_as_dict(r) for r in rows]

    def grid_deputies(self, grid_id: str) -> list[str]:
        return list(self.session.scalars(select(GridDeputy.deputy_id).where(GridDeputy.grid_id == grid_id)))


class MemoryStore(_HeldRows):
    """Rows in dictionaries (replay); `flush(session)` writes every table with bulk inserts."""

    def __init__(self):
        self.tables = {model: {} for model in PROJECTIONS}
        self.pending_by_case: dict[str, dict[str, dict]] = {}
        self.deputies_by_grid: dict[str, set[str]] = {}

    def get(self, model, *key) -> dict | None:
        return self.tables[model].get(key)

    def put(self, model, row: dict) -> None:
        self.tables[model][_key(model, row)] = row
        if model is PendingEvent:
            self.pending_by_case.setdefault(row["case_id"], {})[row["event_id"]] = row
        elif model is GridDeputy:
            self.deputies_by_grid.setdefault(row["grid_id"], set()).add(row["deputy_id"])

    def delete(self, model, *key) -> None:
        row = self.tables[model].pop(key, None)
        if row is None:
            return
        if model is PendingEvent:
            self.pending_by_case.get(row["case_id"], {}).pop(row["event_id"], None)
        elif model is GridDeputy:
            self.deputies_by_grid.get(row["grid_id"], set()).discard(row["deputy_id"])

    def pending_for(self, case_id: str) -> list[dict]:
        return sorted(self.pending_by_case.get(case_id, {}).values(), key=lambda r: r["seq"])

    def grid_deputies(self, grid_id: str) -> list[str]:
        return sorted(self.deputies_by_grid.get(grid_id, ()))

    def sorted_tables(self):
        """(model, rows in primary-key order) for every projection: what replay writes."""
        for model in PROJECTIONS:
            yield model, sorted(self.tables[model].values(), key=lambda r: _key(model, r))


class Projector:
    """Applies events to a store; idempotence comes from the consumer's processed-event table (live) or the
    audit log's one-entry-per-event-id rule (replay)."""

    def __init__(self, store, *, incremental_cells: bool = True):
        self.store = store
        # Live: every case change moves the case's contribution between KPI cells. Replay: cells are summed once
        # from the final cases (`build_cells`), which gives the same rows because contributions telescope.
        self.incremental_cells = incremental_cells

    def apply(self, *, event_id: str, event_type: str, subject: str, data: dict, time: str, seq: int) -> None:
        if event_type == "case.registered":
            self._register(data)
        elif event_type.startswith(domain.CASE_EVENT_PREFIXES):
            self._case_event(event_id, event_type, subject, data, time, seq)
        elif event_type in self.ROSTER_EVENTS:
            getattr(self, self.ROSTER_EVENTS[event_type])(data)
        elif event_type in self.PROJECT_EVENTS:
            getattr(self, self.PROJECT_EVENTS[event_type])(data, clock.local_date(time).isoformat())

    # roster's events -> the method that projects them (anything else changes no projection)
    ROSTER_EVENTS = {
        "grid.created": "_grid", "grid.updated": "_grid",
        "deputy.registered": "_deputy", "deputy.updated": "_deputy", "deputy.ended": "_deputy_ended",
        "deputy.removed": "_deputy_removed",
        "contact_household.linked": "_contact_linked", "contact_household.unlinked": "_contact_unlinked",
        "contact_meeting.recorded": "_contact_meeting",
        "assignment.published": "_assignment_published", "assignment.ended": "_assignment_ended",
        "visit.recorded": "_visit", "reception_session.recorded": "_reception",
        "duty.recorded": "_duty", "duty.replied": "_duty_replied", "duty.withdrawn": "_duty_withdrawn",
    }
    # micro livelihood projects (民生微实事): the method and the China day the step was taken
    PROJECT_EVENTS = {
        "project.proposed": "_project_proposed", "project.reviewed": "_project_reviewed",
        "project.funding_decided": "_project_funding", "project.progressed": "_project_progressed",
        "project.completed": "_project_completed", "project.rated": "_project_rated",
    }

    def _duty(self, data: dict) -> None:
        self.store.put(DutyFact, {"record_id": data["record_id"], "deputy_id": data["deputy_id"], "kind": data["kind"],
                                  "occurred_on": data["occurred_on"], "replied": False, "withdrawn": False})

    def _duty_replied(self, data: dict) -> None:
        self._change(DutyFact, data["record_id"], replied=True)

    def _duty_withdrawn(self, data: dict) -> None:
        self._change(DutyFact, data["record_id"], withdrawn=True)

    def _change(self, model, key: str, **changes) -> None:
        row = self.store.get(model, key)
        if row is not None:
            self.store.put(model, dict(row, **changes))

    def _project_proposed(self, data: dict, day: str) -> None:
        self.store.put(ProjectFact, {
            "project_id": data["project_id"], "deputy_id": data["deputy_id"], "grid_id": data["grid_id"],
            "township_id": data.get("township_id"), "state": "proposed", "budget_yuan": data["budget_yuan"],
            "funded_yuan": None, "proposed_on": day, "funded_on": None, "completed_on": None, "ratings": 0,
            "pleased": 0})

    def _project_reviewed(self, data: dict, day: str) -> None:
        self._change(ProjectFact, data["project_id"],
                     state="township_approved" if data["decision"] == "approved" else "refused")

    def _project_funding(self, data: dict, day: str) -> None:
        funded = data["decision"] == "funded"
        self._change(ProjectFact, data["project_id"], state="funded" if funded else "refused",
                     **({"funded_yuan": data["amount_yuan"], "funded_on": day} if funded else {}))

    def _project_progressed(self, data: dict, day: str) -> None:
        self._change(ProjectFact, data["project_id"], state="in_progress")

    def _project_completed(self, data: dict, day: str) -> None:
        self._change(ProjectFact, data["project_id"], state="completed", completed_on=day)

    def _project_rated(self, data: dict, day: str) -> None:
        row = self.store.get(ProjectFact, data["project_id"])
        if row is not None:
            self.store.put(ProjectFact, dict(row, ratings=row["ratings"] + 1,
                                             pleased=row["pleased"] + (data["rating"] != "unsatisfied")))

    def _deputy(self, data: dict) -> None:
        self.store.put(DeputyFact, {k: data.get(k) for k in ("deputy_id", "name", "level", "kind", "position",
                                                              "status")})

    def _deputy_ended(self, data: dict) -> None:
        deputy = self.store.get(DeputyFact, data["deputy_id"])
        if deputy is not None:
            self.store.put(DeputyFact, dict(deputy, status="ended"))

    def _deputy_removed(self, data: dict) -> None:  # entered by mistake and never used: not a deputy to report on
        self.store.delete(DeputyFact, data["deputy_id"])

    def _contact_linked(self, data: dict) -> None:
        self.store.put(ContactLink, {"link_id": data["link_id"], "deputy_id": data["deputy_id"],
                                     "kind": data["kind"], "grid_id": data.get("grid_id"),
                                     "linked_on": data["linked_on"], "ended_on": None})

    def _contact_unlinked(self, data: dict) -> None:
        link = self.store.get(ContactLink, data["link_id"])
        if link is not None:
            self.store.put(ContactLink, dict(link, ended_on=data["ended_on"]))

    def _contact_meeting(self, data: dict) -> None:
        self.store.put(ContactMeeting, {"meeting_id": data["meeting_id"], "link_id": data["link_id"],
                                        "deputy_id": data["deputy_id"], "met_on": data["met_on"]})

    def _assignment_published(self, data: dict) -> None:
        for deputy_id in self.store.grid_deputies(data["grid_id"]):
            self.store.delete(GridDeputy, data["grid_id"], deputy_id)
        for deputy in data["deputies"]:
            self.store.put(GridDeputy, {"grid_id": data["grid_id"], "deputy_id": deputy["deputy_id"]})

    def _assignment_ended(self, data: dict) -> None:
        self.store.delete(GridDeputy, data["grid_id"], data["deputy_id"])

    def _visit(self, data: dict) -> None:
        self.store.put(VisitFact, {
            "visit_id": data["visit_id"], "deputy_id": data["deputy_id"], "grid_id": data["grid_id"],
            "visited_on": data["visited_on"], "household_ids": json.dumps(data["household_ids"]),
            "residents_reached": data["residents_reached"], "cases_registered": data["cases_registered"],
            "kind": data["kind"]})

    def _reception(self, data: dict) -> None:
        for deputy in data["deputies"]:
            self.store.put(ReceptionAttendance, {
                "session_id": data["session_id"], "deputy_id": deputy["deputy_id"], "grid_id": data.get("grid_id"),
                "started_at": data["started_at"], "ended_at": data["ended_at"],
                "residents_received": data["residents_received"], "case_ids": json.dumps(data["case_ids"])})

    def _register(self, data: dict) -> None:
        if self.store.get(CaseFact, data["case_id"]) is not None:
            return  # the same case registered twice under two event ids: the first registration stands
        case = domain.new_case(data)

        def apply(item: held.Held) -> None:
            nonlocal case
            event = json.loads(item.payload)
            case = domain.apply_case_event(case, item.event_type, event["data"], event["time"])

        # Events that arrived before their case, applied in the order they happened (a reply counts only after
        # the answer it passes on), arrival order breaking ties (wangge_common.held.release_order).
        held.release(self.store, data["case_id"], apply)
        self._put_case(None, case)

    def _case_event(self, event_id, event_type, subject, data, time, seq) -> None:
        case_id = data.get("case_id") or subject
        case = held.case_or_hold(self.store, case_id, keep=lambda: held.Held(
            event_id=event_id, case_id=case_id, event_type=event_type, time=time, arrival=seq,
            payload=json.dumps({"data": data, "time": time}, ensure_ascii=False)))
        if case is None:
            return
        self._put_case(case, domain.apply_case_event(case, event_type, data, time))

    def _put_case(self, old: dict | None, new: dict) -> None:
        # Cells are read and written back whole: safe because every live event first takes the audit chain
        # head's row lock, so handlers of this service never run these updates concurrently.
        self.store.put(CaseFact, new)
        if not self.incremental_cells:
            return
        self._move_deputy_counts(old, new)
        changes: dict = {}
        for case, sign in ((old, -1), (new, 1)):
            if case is None:
                continue
            counts, hour = domain.case_contribution(case)
            for cell in domain.case_cells(case):
                delta_counts, delta_hours = changes.setdefault(cell, ({}, {}))
                domain.add_counts(delta_counts, counts, sign)
                domain.add_hour(delta_hours, hour, sign)
        for (dimension, key, period), (counts, hours) in changes.items():
            if not hours and not any(counts.values()):
                continue  # the case's change leaves this slice as it was
            row = self.store.get(KpiCell, dimension, key, period) or _empty_cell(dimension, key, period)
            histogram = json.loads(row["handling_hours"])
            for hour, n in hours.items():
                domain.add_hour(histogram, int(hour), n)
            row = dict(row)
            domain.add_counts(row, counts)
            row["handling_hours"] = json.dumps(histogram, sort_keys=True)
            row["p90_hours"] = domain.p90_of(histogram)
            if row["cases"] == 0:
                self.store.delete(KpiCell, dimension, key, period)
            else:
                self.store.put(KpiCell, row)

    def _move_deputy_counts(self, old: dict | None, new: dict) -> None:
        """The case's counts (domain.count_cases) out of the deputy's year it was in, into the one it is in now."""
        changes: dict = {}
        for case, sign in ((old, -1), (new, 1)):
            key = None if case is None else domain.deputy_year(case)
            if key is not None:
                delta = changes.setdefault(key, dict.fromkeys(domain.CASE_COUNTS, 0))
                for name, n in domain.count_cases([case]).items():
                    delta[name] += sign * n
        for (deputy_id, year), delta in changes.items():
            if any(delta.values()):
                row = self.store.get(DeputyCaseCount, deputy_id, year) or _no_counts(deputy_id, year)
                self._put_deputy_counts({**row, **{name: row[name] + n for name, n in delta.items()}})

    def _put_deputy_counts(self, row: dict) -> None:
        if any(row[name] for name in domain.CASE_COUNTS):
            self.store.put(DeputyCaseCount, row)
        else:  # nothing left to count: no row, as a replay leaves it
            self.store.delete(DeputyCaseCount, row["deputy_id"], row["year"])

    def build_deputy_counts(self) -> None:
        """Every deputy's counts summed from the cases in the store (replay)."""
        by_key: dict = {}
        for case in self.store.tables[CaseFact].values():
            key = domain.deputy_year(case)
            if key is not None:
                by_key.setdefault(key, []).append(case)
        for (deputy_id, year), cases in by_key.items():
            self._put_deputy_counts({**_no_counts(deputy_id, year), **domain.count_cases(cases)})

    def build_cells(self) -> None:
        """Every KPI cell summed from the cases in the store (replay): each case goes into its month's cell of
        every dimension, summed column by column; months are then added up into their year and all time. The
        deputies' case counts are summed with them (`build_deputy_counts`)."""
        self.build_deputy_counts()
        by_month: dict = {}
        for case in self.store.tables[CaseFact].values():
            keys = domain.case_keys(case)
            if not keys:
                continue
            vector, hour = domain.case_vector(case)
            item = vector + (hour,)
            month = case["period"]
            for dimension, key in keys:
                by_month.setdefault((dimension, key, month), []).append(item)
        cells: dict = {}
        for (dimension, key, month), items in by_month.items():
            columns = list(zip(*items))
            counts = dict(zip(domain.COUNTERS, map(sum, columns[:-1])))
            hours = Counter(columns[-1])
            hours.pop(None, None)
            for period in domain.cell_periods(month):
                row, histogram = cells.setdefault((dimension, key, period),
                                                  (_empty_cell(dimension, key, period), Counter()))
                domain.add_counts(row, counts)
                histogram.update(hours)
        for row, histogram in cells.values():
            histogram = {str(hour): n for hour, n in histogram.items()}  # the shape live cells keep: {"hour": n}
            row["handling_hours"] = json.dumps(histogram, sort_keys=True)
            row["p90_hours"] = domain.p90_of(histogram)
            self.store.put(KpiCell, row)

    def _grid(self, data: dict) -> None:
        self.store.put(GridFact, {"grid_id": data["grid_id"], "code": data["code"], "name": data["name"],
                                  "level": data["level"], "parent_id": data.get("parent_id"),
                                  "households": data["households"], "population": data["population"]})


def _no_counts(deputy_id: str, year: str) -> dict:
    return {"deputy_id": deputy_id, "year": year, **dict.fromkeys(domain.CASE_COUNTS, 0)}


def _empty_cell(dimension: str, key: str, period: str) -> dict:
    return {"dimension": dimension, "key": key, "period": period, **{name: 0 for name in domain.COUNTERS},
            "handling_hours": "{}", "p90_hours": None}


def clear(session) -> None:
    """Empty every projection (replay into an existing database)."""
    for model in PROJECTIONS:
        session.execute(delete(model))
