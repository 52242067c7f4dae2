"""A living demo county for `make run` (issue 19.14): cases in every step of the loop, and real page addresses.

Everything goes through the services' HTTP APIs, as a hotline clerk, a department and a deputy would: intake
registers, routing triages on the event, departments sign, start and answer, deputies reply, residents rate. So the
events flow as in production and every board, the dashboard and the reports have something to show.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests

# (content, category, topic, how far the case goes): at least one case at each step a resident or an office sees
SCENES = (
    ("村口路灯坏了三天，晚上出行不便，请尽快修复。", "request", "lighting", "assigned"),
    ("组里的水渠被垃圾堵住，下雨天积水进了农田。", "request", "sanitation", "signed"),
    ("村道有一段塌陷，摩托车经过很危险。", "request", "road", "in_progress"),
    ("自来水最近发黄，老人不敢喝，请查一下水质。", "request", "water", "answered"),
    ("想咨询今年低保申请的条件和需要的材料。", "enquiry", "social_assistance", "triaged"),  # no rule: manual queue
    ("希望在村部旁边增设一处健身器材。", "suggestion", "environment", "closed"),
    ("邻居在公共通道上堆放杂物，协商多次未果。", "complaint", "neighbour_dispute", "reopened"),
    ("在外务工被拖欠工资两个月，希望帮忙协调。", "request", "wages", "returned"),
    ("小区门口夜市油烟噪音扰民，晚上十一点后还在营业。", "complaint", "environment", "withdrawn"),
    ("独居老人家中屋顶漏雨，需要维修帮助。", "request", "elderly_care", "closed"),
    ("垃圾清运点三天没人收，气味很大。", "request", "sanitation", "resolved"),
    ("集市周边摊点占道经营，学生上学不安全。", "complaint", "road", "in_progress"),
)
ANSWER = "已安排工作人员现场核查并处理完毕，处理情况已电话告知反映人。"


@dataclass
class Seeded:
    """What the seeding made, for the addresses printed after it."""

    cases: dict[str, str] = field(default_factory=dict)  # case id -> the step it was taken to
    tracking_codes: dict[str, str] = field(default_factory=dict)  # step -> a tracking code at that step
    seconds: float = 0.0


class DemoCases:
    """The county's cases driven over HTTP with the demo key."""

    def __init__(self, urls: dict[str, str], api_key: str, *, timeout_s: float = 60.0):
        self.urls, self.timeout_s = urls, timeout_s
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {api_key}", "Accept": "application/json"})

    def _call(self, method: str, service: str, path: str, expect=(200, 201), **kwargs):
        response = self.http.request(method, f"{self.urls[service]}{path}", timeout=30, **kwargs)
        if response.status_code not in expect:
            raise RuntimeError(f"{method} {service}{path} answered {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    def _eventually(self, what: str, probe):
        deadline = time.monotonic() + self.timeout_s
        while True:
            found = probe()
            if found:
                return found
            if time.monotonic() > deadline:
                raise RuntimeError(f"demo cases: {what} did not happen within {self.timeout_s:.0f} s")
            time.sleep(0.2)

    def already_seeded(self) -> bool:
        return self._call("GET", "intake", "/v1/cases", params={"page_size": 1})["total"] > 0

    def seed(self) -> Seeded:
        """Register the scenes in the first grids of each township and take each to its step."""
        started, seeded = time.monotonic(), Seeded()
        grids = self._spread_grids(len(SCENES))
        registered = [(self._register(grid, content, category, topic), step)
                      for grid, (content, category, topic, step) in zip(grids, SCENES)]
        for case, step in registered:
            order = self._routed(case["id"])
            self._take(case, order, step)
            seeded.cases[case["id"]] = step
            seeded.tracking_codes.setdefault(step, case["tracking_code"])
        seeded.seconds = round(time.monotonic() - started, 2)
        return seeded

    def _spread_grids(self, count: int) -> list[dict]:
        """Villagers'-group grids from every township in turn, so each township's boards have cases."""
        grids = self._call("GET", "roster", "/v1/grids", params={"level": 3, "page_size": 1000})["items"]
        by_township: dict[str, list[dict]] = {}
        for grid in sorted(grids, key=lambda g: g["code"]):
            by_township.setdefault(grid["code"].split("-")[1], []).append(grid)
        columns = list(by_township.values())
        return [columns[i % len(columns)][i // len(columns)] for i in range(count)]

    def _register(self, grid: dict, content: str, category: str, topic: str) -> dict:
        body = {"channel": "hotline", "grid_id": grid["id"], "category": category, "topic": topic, "content": content,
                "reporter": {"name": "示例群众", "phone": "13800000000"},
                "received_by": {"kind": "call_taker", "id": "demo-hotline"}}

        def accepted():  # intake learns the grids from roster's events: a grid may not have arrived yet
            response = self.http.post(f"{self.urls['intake']}/v1/cases", json=body, timeout=30)
            if response.status_code == 201:
                return response.json()
            if response.status_code == 422 and "known to intake" in response.text:
                return None
            raise RuntimeError(f"registering a demo case answered {response.status_code}: {response.text[:500]}")

        return self._eventually(f"intake knowing grid {grid['code']}", accepted)

    def _routed(self, case_id: str) -> dict | None:
        """The case's work order once routing has triaged the registration it consumed (None: no dispatch rule
        matched, so the case waits in the manual-triage queue)."""
        def triaged():
            response = self.http.get(f"{self.urls['routing']}/v1/cases/{case_id}", timeout=30)
            return response.json() if response.status_code == 200 else None

        case = self._eventually(f"routing triaging case {case_id}", triaged)
        orders = [o for o in case["work_orders"] if o["state"] == "dispatched"]
        return orders[0] if orders else None

    def _act(self, order_id: str, action: str, body: dict) -> None:
        self._call("POST", "routing", f"/v1/work-orders/{order_id}/{action}", json=body)

    def _take(self, case: dict, order: dict | None, step: str) -> None:
        """Move one case along the loop to `step` as the people in it would."""
        case_id = case["id"]
        if order is None and step not in ("triaged", "withdrawn"):
            raise RuntimeError(f"demo case {case['tracking_code']}: routing found no department, so it cannot be "
                               f"taken to {step}")
        if step == "withdrawn":
            self._call("POST", "intake", f"/v1/cases/{case_id}/withdrawal",
                       json={"reason": "邻里已协商解决，群众申请撤回", "requested_by": "reporter"})
            return
        if step == "returned":
            self._act(order["id"], "return", {"reason": "不属于本部门职责，请改派劳动保障部门"})
            return
        if step in ("assigned", "triaged"):
            return
        self._act(order["id"], "sign", {})
        if step == "signed":
            return
        self._act(order["id"], "start", {"reason": "已安排人员现场查看"})
        if step == "in_progress":
            return
        self._act(order["id"], "answer", {"summary": ANSWER})
        if step == "answered":
            return
        self._call("POST", "routing", f"/v1/cases/{case_id}/replies",
                   json={"channel": "phone", "reason": "代表电话告知办理结果"})
        if step == "resolved":
            return  # waiting for the resident's rating: its link is in the reporter's message
        rating = "unsatisfied" if step == "reopened" else "satisfied"
        self._call("POST", "routing", f"/v1/cases/{case_id}/ratings",
                   json={"rating": rating, "via": "return_visit", "comment": "回访记录"})

    def rating_link(self, case_ids) -> str | None:
        """The link a resident got to rate a case (in notify's message to the reporter), if one has been sent."""
        def found():
            for case_id in case_ids:
                items = self._call("GET", "notify", "/v1/deliveries", params={"case_id": case_id})["items"]
                for delivery in items:
                    body = delivery.get("body") or ""
                    if "/rate/" in body:
                        return body[body.index("http"):].split("（")[0].split()[0]
            return None

        try:
            return self._eventually("notify sending a rating link", found)
        except RuntimeError:
            return None


def page_addresses(urls: dict[str, str], api_key: str, seeded: Seeded | None) -> list[tuple[str, str]]:
    """Real addresses of the Chinese pages, read from the running county (whether seeded now or before)."""
    cases = DemoCases(urls, api_key, timeout_s=20)
    first = cases._call("GET", "intake", "/v1/cases", params={"page_size": 100})["items"]
    grid_id = first[0]["grid_id"] if first else cases._call("GET", "roster", "/v1/grids",
                                                            params={"level": 3, "page_size": 1})["items"][0]["id"]
    tracked = seeded.tracking_codes.get("answered") if seeded else None
    tracked = tracked or (first[0]["tracking_code"] if first else None)
    serving = cases._call("GET", "roster", "/v1/assignments", params={"grid_id": grid_id, "current": "true"})["items"]
    deputy_id = serving[0]["deputy_id"] if serving else None
    waiting = [i for i, s in (seeded.cases.items() if seeded else ()) if s == "resolved"] or [c["id"] for c in first]
    found = [("grid notice 网格公示", f"{urls['roster']}/v1/grids/{grid_id}/notice?format=html"),
             ("reception board 接待公示", f"{urls['notify']}/board/grids/{grid_id}")]
    if tracked:
        found.append(("case tracking 办理进度", f"{urls['intake']}/track/{tracked}"))
    link = cases.rating_link(waiting)
    if link:
        found.append(("rating 群众评价", link))
    if deputy_id:
        found.append(("annual report 述职评议", f"{urls['reporting']}/deputies/{deputy_id}/annual-report"))
    return found
