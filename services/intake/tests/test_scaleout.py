"""Scale-out: two intake instances on one database register concurrently: no duplicate ids or codes, none lost."""
import threading

from intake.app import create_app
from intake.models import Case
from sqlalchemy import func, select

from intake_testkit import case_body


def test_two_instances_on_one_database_lose_nothing_and_clash_nowhere(gsvc):
    second = create_app(gsvc.settings)  # a second process's app: its own engine, memo and limiter
    try:
        apps = [gsvc.app, second]
        answers, lock = [], threading.Lock()

        def submit(app, worker):
            client = app.test_client()
            for i in range(15):
                key = {"Idempotency-Key": f"w{worker}-{i}"}
                response = client.post("/v1/cases", json=case_body(content=f"第{worker}组第{i}件：路灯坏了。"),
                                       headers=gsvc.headers(**key))
                retry = apps[(worker + 1) % 2].test_client().post(  # the retry lands on the other instance
                    "/v1/cases", json=case_body(content=f"第{worker}组第{i}件：路灯坏了。"), headers=gsvc.headers(**key))
                with lock:
                    answers.append((response.status_code, response.json, retry.status_code, retry.json))

        threads = [threading.Thread(target=submit, args=(apps[w % 2], w)) for w in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(a[0] == 201 and a[2] == 201 and a[1] == a[3] for a in answers)
        ids = {a[1]["id"] for a in answers}
        codes = {a[1]["tracking_code"] for a in answers}
        assert len(ids) == len(codes) == len(answers) == 90
        with gsvc.runtime.db.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Case)) == 90
        registered = [e for e in gsvc.outbox() if e.type == "case.registered"]
        assert {e.subject for e in registered} == ids and len(registered) == 90
    finally:
        second.extensions["wangge_runtime"].db.dispose()


def test_a_tracking_code_clash_is_retried_with_a_new_code(gsvc, monkeypatch):
    from intake import domain

    first = gsvc.client.post("/v1/cases", json=case_body(), headers=gsvc.headers()).json
    codes = iter([first["tracking_code"], "WG22222222"])
    monkeypatch.setattr(domain, "new_tracking_code", lambda: next(codes))
    again = gsvc.client.post("/v1/cases", json=case_body(content="另一件事：垃圾三天没人清运。"), headers=gsvc.headers())
    assert again.status_code == 201 and again.json["tracking_code"] == "WG22222222"
    assert [e.subject for e in gsvc.outbox() if e.type == "case.registered"] == [first["id"], again.json["id"]]
