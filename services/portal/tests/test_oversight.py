"""The oversight pages' own rules, with the services faked: who may open what, the reasons shown in Chinese, the
actors of the audit log named, a deputy's 我的履职 (the real stack: tests/integration/test_desks_oversight.py)."""
import re
import uuid

import pytest
from portal_testkit import DEPUTY, GROUP, OTHER, TOWNSHIP, FakeServices

from portal.clients import ServiceError

CASE = {"case_id": str(uuid.UUID(int=7)), "tracking_code": "WG7Q7Q7Q7Q", "grid_id": GROUP, "category": "request",
        "topic": "road", "state": "closed", "registered_at": "2026-03-02T01:00:00+00:00", "outcome": "unsatisfied",
        "replied_at": "2026-03-05T01:00:00+00:00"}
PERFORMANCE = {"deputy_id": DEPUTY, "name": "欧林俊", "as_of": "2026-12-06", "year": 2026, "visits": 3, "weeks": 48,
               "weeks_with_visit": 3, "visits_meet": False, "households_by_month": [{"month": "2026-01",
                                                                                    "households": 4, "meets": False}],
               "households_meet": False, "reach_by_quarter": [{"quarter": 1, "residents_reached": 9, "share": 0.01,
                                                               "meets": False}], "reach_meet": False,
               "reception_days": 2, "reception_hours": 4.5, "residents_received": 7, "cases_received": 1,
               "cases_answered": 1, "disputes_mediated": 0, "contact_households": 3, "contact_meetings": 6,
               "contact_meetings_min": 2, "contact_meet": True, "five_ones_done": 2,
               "five_ones": {"good_suggestion": 1, "inspection": None, "dispute_mediated": 0,
                             "household_in_difficulty_helped": 0, "livelihood_matter_settled": 1}}


class OversightServices(FakeServices):
    """The reads of the oversight pages: reporting's audit log and figures, routing's ladder."""

    def __init__(self):
        super().__init__()
        self.calls = []
        self.alarms = []
        self.verify = {"valid": True, "entries": 9, "root_hash": "ab" * 32, "first_bad": None, "checkpoints": []}

    def get(self, caller, service, path, **params):
        self.calls.append((caller, service, path, params))
        if path == "/v1/grids" and params.get("page"):
            return {"items": list(self.grids.values()), "total": len(self.grids)}
        if path == "/v1/audit/events":
            return {"items": [self.entry(1, f"person:{self.person}"), self.entry(2, "apikey:integration"),
                              self.entry(3, "person:no-such-account")], "total": 3, "page": 1, "page_size": 50}
        if path == "/v1/audit/verify":
            return self.verify
        if path == "/v1/audit/proofs/inclusion":
            if params["seq"] > 10:
                raise ServiceError(service, 404, "no audit entry")
            return {"seq": params["seq"], "leaf_index": params["seq"] - 1, "tree_size": 10, "event_id": "e",
                    "entry": "", "leaf_hash": "ab" * 32, "root_hash": "cd" * 32, "audit_path": ["ef" * 32]}
        if path.endswith("/performance"):
            return PERFORMANCE
        if path == "/v1/cases" and params.get("first_receiver"):
            return {"items": [CASE], "total": 1, "page": 1, "page_size": 1000}
        if path == "/v1/work-orders/ladder":
            return [{"grid_id": GROUP, "step": "supervision", "orders": 2, "cases": 2},
                    {"grid_id": OTHER, "step": "supervision", "orders": 1, "cases": 1},
                    {"grid_id": OTHER, "step": "escalation", "orders": 1, "cases": 1}]
        if path == "/v1/work-orders":
            order = {"id": str(uuid.uuid4()), "case_id": CASE["case_id"], "department_name": "镇村镇建设办",
                     "state": "in_progress", "escalation_step": params["step"], "supervisor": "镇人大主席团"}
            return {"items": [order], "total": 3 if params["grid_id"] == GROUP else 1, "page": 1, "page_size": 200}
        if path == "/v1/kpis/misses":
            return {"items": [], "total": 0, "page": 1, "page_size": 50}
        if path == "/v1/audit/checkpoints":
            return {"items": [], "total": 0, "page": 1, "page_size": 10}
        if path == "/v1/audit/alarms":
            if self.alarms is None:
                raise ServiceError(service, 503, "reporting is down")
            return self.alarms
        return super().get(caller, service, path, **params)

    def call(self, caller, method, service, path, **kwargs):
        if path.endswith("/annual-report"):
            self.calls.append((caller, service, path, kwargs.get("params")))
            return b"<html><body>\xe8\xbf\xb0\xe8\x81\x8c</body></html>"
        return super().call(caller, method, service, path, **kwargs)

    @staticmethod
    def entry(seq, actor):
        return {"seq": seq, "event_type": "case.registered", "topic": "cases.v1", "subject": CASE["case_id"],
                "event_time": "2026-03-02T01:00:00Z", "event": {"actor": actor, "time": "2026-03-02T01:00:00Z"}}


@pytest.fixture
def oversight(portal):
    portal.services = portal.runtime.services = OversightServices()
    return portal


def _errors(answer) -> dict:
    return dict(re.findall(r'<p class="error" id="([\w-]+)-error">([^<]+)</p>', answer.get_data(as_text=True)))


def test_each_desk_is_its_own_persons(oversight):
    oversight.account("sup", "supervisor")
    oversight.account("aud", "auditor")
    assert oversight.client.get("/supervisor").status_code == 302  # not signed in: to the sign-in page
    oversight.sign_in("sup")
    assert oversight.client.get("/desk").headers["Location"].endswith("/supervisor")
    refused = oversight.client.get("/auditor/verify")
    assert refused.status_code == 403 and "无权访问" in refused.get_data(as_text=True)
    report = oversight.client.get(f"/deputies/{DEPUTY}/annual-report?year=2025")
    assert report.status_code == 200 and "述职" in report.get_data(as_text=True)
    assert oversight.services.calls[-1][3] == {"year": 2025}


def test_the_audit_log_names_the_people_behind_person_actors(oversight):
    oversight.services.person = oversight.account("hotline-li", "call_taker")
    oversight.account("aud", "auditor")
    oversight.sign_in("aud")
    page = oversight.client.get(f"/auditor/events?subject={CASE['case_id']}").get_data(as_text=True)
    actors = re.findall(r'<td class="actor">(.*?)</td>', page, re.S)
    assert actors[0].startswith("hotline-li") and "热线话务员" in actors[0]
    assert actors[1].startswith("系统接口 integration") and actors[2].startswith("未知账户")
    assert "登记受理" in page and ">case.registered<" not in page


def test_proof_forms_say_what_is_wrong_in_chinese_and_keep_what_was_typed(oversight):
    oversight.account("aud", "auditor")
    oversight.sign_in("aud")
    answer = oversight.client.get("/auditor/proofs/inclusion?seq=-3")
    assert answer.status_code == 422 and _errors(answer) == {"seq": "请填写正整数（日志序号从 1 开始）"}
    assert 'value="-3"' in answer.get_data(as_text=True)
    assert _errors(oversight.client.get("/auditor/proofs/inclusion")) == {"seq": "请填写日志序号或事件编号中的一项"}
    assert _errors(oversight.client.get("/auditor/proofs/inclusion?seq=11")) == {"seq": "日志中没有这条记录"}
    assert _errors(oversight.client.get("/auditor/proofs/consistency?second=4")) == {"first": "请填写"}
    good = oversight.client.get("/auditor/proofs/inclusion?seq=4&format=json")
    assert good.status_code == 200 and good.json["leaf_index"] == 3
    assert not [c for c in oversight.services.calls if "proofs" in c[2] and c[3].get("seq") == -3]


def test_misses_refuses_unknown_figures_before_asking_reporting(oversight):
    oversight.account("sup", "supervisor")
    oversight.sign_in("sup")
    answer = oversight.client.get("/supervisor/misses?kpi=happiness&dimension=township&period=2026-13")
    assert answer.status_code == 422
    assert _errors(answer) == {"kpi": "请选择一项指标", "key": "请选择要查看的乡镇",
                               "period": "请按“2026”或“2026-11”的格式填写统计期间"}
    assert not [c for c in oversight.services.calls if c[2] == "/v1/kpis/misses"]
    fine = oversight.client.get(f"/supervisor/misses?kpi=closure_rate&dimension=township&key={TOWNSHIP}")
    assert fine.status_code == 200 and "清溪镇 · 办结率" in fine.get_data(as_text=True)


def test_a_deputy_reads_only_their_own_performance(oversight):
    oversight.account("dep", "deputy", deputy_id=DEPUTY)
    oversight.sign_in("dep")
    page = oversight.client.get("/deputy/performance")
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text[-2000:]
    assert "我的履职" in text and "WG7Q7Q7Q7Q" in text and "不满意" in text and "暂无数据来源" in text
    reads = [c for c in oversight.services.calls if c[2].endswith("/performance")]
    assert reads and all(c[0].scopes == ("audit:read",) and c[2] == f"/v1/deputies/{DEPUTY}/performance" for c in reads)
    assert oversight.client.get(f"/deputies/{uuid.uuid4()}/annual-report").status_code == 403


def test_the_ladder_sums_grids_by_township_and_lists_the_orders_behind_a_figure(oversight):
    oversight.account("sup", "supervisor")
    oversight.sign_in("sup")
    page = oversight.client.get("/supervisor/ladder").get_data(as_text=True)
    row = re.search(r"<tr><td><a [^>]*>清溪镇</a></td>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r">(\d+)</a>|<td>(\d+)</td>", row) == [("", "0"), ("3", ""), ("1", "")]
    orders = oversight.client.get(f"/supervisor/ladder/{TOWNSHIP}?step=supervision").get_data(as_text=True)
    asked = [c[3] for c in oversight.services.calls if c[2] == "/v1/work-orders"]
    assert sorted(a["grid_id"] for a in asked) == sorted([GROUP, OTHER]) and all(a["step"] == "supervision"
                                                                                 for a in asked)
    assert orders.count('href="/desk/orders/') == 2 and "另有 2 件工单未列出" in orders
    bad = oversight.client.get(f"/supervisor/ladder/{TOWNSHIP}?step=shouting")
    assert bad.status_code == 422 and "请从督办阶梯中选择" in bad.get_data(as_text=True)


def test_a_broken_log_is_explained_in_chinese(oversight):
    from portal.views.auditor import break_in_chinese

    oversight.account("aud", "auditor")
    oversight.sign_in("aud")
    oversight.services.verify = {"valid": False, "entries": 9, "root_hash": None,
                                 "first_bad": {"seq": 4, "reason": "entry 4: hash does not match its content"}}
    page = oversight.client.get("/auditor/verify").get_data(as_text=True)
    assert "校验未通过：从第 4 条记录起不一致" in page and "记录内容被改动" in page
    assert break_in_chinese("checkpoint at size 8: the signature does not verify").startswith("签名检查点不符")
    assert break_in_chinese("something new") == "记录与哈希链或默克尔树不一致"


def test_every_auditor_page_tells_of_the_standing_alarms_in_chinese(oversight):
    """Issue 17 item 14: what reporting found wrong (a log that no longer reaches its signed checkpoint, figures
    that differ from the log) is told to the auditors on every page of their desk until it is put right."""
    oversight.account("aud", "auditor")
    oversight.sign_in("aud")
    assert "审计告警" not in oversight.client.get("/auditor").get_data(as_text=True)
    oversight.services.alarms = [
        {"kind": "checkpoint", "at": None, "detail": "checkpoint at size 20: the log's root at this size differs"},
        {"kind": "projection_differs", "at": "2026-12-06T03:00:00+00:00", "detail": "7 projection rows differ"}]
    for path in ("/auditor", "/auditor/verify"):
        page = oversight.client.get(path).get_data(as_text=True)
        assert "审计告警" in page and "已停止签发新的检查点" in page and "统计数据与审计日志重放的结果不一致" in page
        assert "2026-12-06 11:00" in page  # the time in local time
    oversight.services.alarms = None  # reporting cannot be asked: say so rather than show nothing
    assert "无法读取审计告警" in oversight.client.get("/auditor").get_data(as_text=True)
