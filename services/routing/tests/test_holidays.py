"""The holiday calendar seeded and refreshed from chinese-calendar; local changes win and are kept (issue 19.10)."""
from datetime import date, datetime, timedelta

from routing import domain
from routing.commands import holidays
from routing.commands.dispatch import calendar
from routing.service import SPEC

CHINA = domain.CHINA
THREE_WORKING_DAYS = domain.DeadlineRule(None, None, None, None, 3, "working_days")
NOW = datetime(2026, 12, 6, 1, 0, tzinfo=CHINA)


def refresh(svc, now=NOW) -> int:
    with svc.runtime.db.transaction() as session:
        return holidays.refresh(session, now)


def due(svc, start: datetime) -> datetime:
    with svc.runtime.db.sessions() as session:
        return domain.due_at(start, THREE_WORKING_DAYS, calendar(session, start)).astimezone(CHINA)


def listed(svc, year):
    return {h["day"]: h for h in svc.client.get(f"/v1/holidays?year={year}", headers=svc.headers("reader")).json}


def test_an_empty_calendar_counts_spring_festival_as_working_days(svc):
    # what the issue saw: nothing seeded, so the deadline runs straight through 春节 2026
    assert due(svc, datetime(2026, 2, 13, 9, tzinfo=CHINA)) == datetime(2026, 2, 18, 9, tzinfo=CHINA)


def test_the_seed_holds_the_state_councils_arrangement_for_2026(svc):
    assert refresh(svc) > 0
    days = listed(svc, 2026)
    assert days["2026-02-17"]["kind"] == "holiday" and days["2026-02-17"]["name"] == "春节"
    assert days["2026-02-17"]["source"] == "chinese-calendar" and "chinese-calendar" in days["2026-02-17"]["reason"]
    assert {d for d, h in days.items() if h["kind"] == "workday"} == {
        "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"}  # 调休 Saturdays/Sundays
    assert days["2026-02-14"]["name"] == "春节调休上班"
    # signed on Friday 13 February: Saturday the 14th is worked (调休), 15–23 are the holiday, then 24 and 25
    assert due(svc, datetime(2026, 2, 13, 9, tzinfo=CHINA)) == datetime(2026, 2, 25, 9, tzinfo=CHINA)
    assert refresh(svc) == 0  # nothing changed: a second run writes nothing


def test_spring_festival_2027_is_seeded_provisionally_from_the_law(svc):
    refresh(svc)
    days = listed(svc, 2027)
    spring = sorted(d for d, h in days.items() if h["name"] == "春节")
    assert spring == ["2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08"]  # 除夕 and 正月初一 to 初三
    assert {h["source"] for h in days.values()} == {"statutory"}
    assert "provisional" in days["2027-02-05"]["reason"]
    assert {d for d, h in days.items() if h["name"] != "春节"} == {
        "2027-01-01", "2027-04-05", "2027-05-01", "2027-05-02", "2027-06-09", "2027-09-15",
        "2027-10-01", "2027-10-02", "2027-10-03"}  # 元旦, 清明, 劳动节, 端午, 中秋, 国庆
    # signed on Thursday 4 February 2027, three working days: not Friday 5 (除夕) nor Monday 8 (初三)
    assert due(svc, datetime(2027, 2, 4, 9, tzinfo=CHINA)) == datetime(2027, 2, 11, 9, tzinfo=CHINA)


def test_local_changes_win_over_every_refresh_and_are_kept_with_actor_and_reason(svc):
    refresh(svc)
    # the county enters its 2027 Spring Festival notice (days invented for the test, as an office would type them)
    for day in ("2027-02-09", "2027-02-10", "2027-02-11"):
        answer = svc.client.put(f"/v1/holidays/{day}", json={"kind": "holiday", "name": "春节",
                                                              "reason": "国务院办公厅2027年春节放假通知"},
                                headers=svc.headers())
        assert answer.status_code == 200 and answer.json["source"] == "local"
    svc.client.put("/v1/holidays/2027-02-20", json={"kind": "workday", "name": "春节调休上班"}, headers=svc.headers())
    # a seeded 调休 Saturday the county does not follow
    assert svc.client.delete("/v1/holidays/2026-10-10?reason=本县不调休", headers=svc.headers()).status_code == 204
    assert refresh(svc) == 0
    days = listed(svc, 2027)
    assert days["2027-02-10"]["source"] == "local" and days["2027-02-20"]["kind"] == "workday"
    assert listed(svc, 2026)["2026-10-10"]["kind"] == "weekday"  # counts as the Saturday it is, refresh or not
    # Thursday 4 Feb: 5–11 off, Friday 12 is the first working day, then Monday 15 and Tuesday 16
    assert due(svc, datetime(2027, 2, 4, 9, tzinfo=CHINA)) == datetime(2027, 2, 16, 9, tzinfo=CHINA)
    assert due(svc, datetime(2026, 10, 9, 9, tzinfo=CHINA)) == datetime(2026, 10, 14, 9, tzinfo=CHINA)
    history = svc.client.get("/v1/holidays/history?year=2026", headers=svc.headers("reader")).json
    last = history[-1]
    assert (last["day"], last["kind"], last["source"], last["actor"], last["reason"]) == (
        "2026-10-10", "weekday", "local", "apikey:all", "本县不调休")
    assert history[0]["actor"] == "service:routing" and history[0]["source"] == "chinese-calendar"
    assert svc.client.delete("/v1/holidays/2026-10-10", headers=svc.headers()).status_code == 404


def test_a_newer_chinese_calendar_replaces_the_provisional_days(svc, monkeypatch):
    refresh(svc)
    svc.client.put("/v1/holidays/2027-02-09", json={"kind": "holiday", "name": "县里加的一天"}, headers=svc.headers())
    notice = {date(2027, 2, 5) + timedelta(days=n): ("holiday", "春节") for n in range(9)}  # a stand-in for 2027
    notice[date(2027, 2, 20)] = ("workday", "春节调休上班")
    real = holidays.official
    monkeypatch.setattr(holidays, "official", lambda year: notice if year == 2027 else real(year))
    assert refresh(svc) > 0
    days = listed(svc, 2027)
    assert days["2027-02-13"]["source"] == "chinese-calendar" and days["2027-02-20"]["kind"] == "workday"
    assert days["2027-02-09"]["name"] == "县里加的一天" and days["2027-02-09"]["source"] == "local"
    assert "2027-10-01" not in days  # the stand-in has no National Day: provisional days it lacks are removed
    removed = [c for c in svc.client.get("/v1/holidays/history?year=2027", headers=svc.headers("reader")).json
               if c["kind"] == "removed"]
    assert "2027-10-01" in {c["day"] for c in removed}


def test_refresh_through_the_api_is_for_admins_and_the_scheduler_seeds_a_fresh_database(svc):
    assert svc.client.post("/v1/holidays/refresh", headers=svc.headers("reader")).status_code == 403
    answer = svc.client.post("/v1/holidays/refresh", headers=svc.headers())
    assert answer.status_code == 200 and answer.json["changed"] > 0
    assert svc.client.post("/v1/holidays/refresh", headers=svc.headers()).json["changed"] == 0
    job = {p.name: p for p in SPEC.periodic}["holiday-calendar"]
    assert job.run(svc.runtime, datetime.now(CHINA)) == 0  # already current
