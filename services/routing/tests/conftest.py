"""A migrated routing service for each test (SQLite, or PostgreSQL with TEST_DATABASE_URL), and helpers that
drive a case through it the way intake, departments, deputies and the scheduler do."""
import copy
import uuid
from datetime import datetime, timezone

import pytest

from wangge_common import contracts
from wangge_common.crypto import FieldCipher
from wangge_common.testing import ServiceHarness, event
from routing import jobs
from routing.app import create_app
from routing.service import SPEC

EXAMPLE = contracts.contract("case.registered", 1).schema["examples"][0]


class Routing(ServiceHarness):
    """The harness plus the moves a test makes on a case."""

    def register(self, **changes):
        data = copy.deepcopy(EXAMPLE)
        # received now: the reply and evaluation deadlines run from here, and the tests' clock is the wall clock
        data.update(case_id=str(uuid.uuid4()), received_at=datetime.now(timezone.utc).isoformat())
        data.update(changes)
        assert self.deliver(event("case.registered", data["case_id"], data, source="/wangge/intake"),
                            "cases.v1") == "processed"
        return data["case_id"]

    def case(self, case_id):
        response = self.client.get(f"/v1/cases/{case_id}", headers=self.headers("reader"))
        assert response.status_code == 200, response.json
        return response.json

    def order(self, case_id, **match):
        orders = [o for o in self.case(case_id)["work_orders"] if all(o[k] == v for k, v in match.items())]
        assert len(orders) == 1, orders
        return orders[0]

    def post(self, path, body=None, key="all", expect=200):
        response = self.client.post(path, json=body or {}, headers=self.headers(key))
        assert response.status_code == expect, response.json
        return response.json

    def act(self, order_id, action, body=None, key="all", expect=200):
        return self.post(f"/v1/work-orders/{order_id}/{action}", body, key, expect)

    def events(self, case_id, *types):
        return [e for e in self.outbox() if e.subject == case_id and (not types or e.type in types)]

    def types(self, case_id):
        return [e.type for e in self.events(case_id)]

    def token(self, case_id) -> str:
        latest = self.events(case_id, "case.evaluation_requested")[-1]
        return FieldCipher(self.settings.pii_key).decrypt(latest.data["token_encrypted"])

    def run_jobs(self, now) -> int:
        return sum(job(self.runtime, now) for job in (jobs.scan_work_orders, jobs.scan_replies,
                                                      jobs.scan_evaluations))

    def handle_to_answer(self, case_id, summary="已更换路灯灯泡。"):
        order = self.order(case_id, state="dispatched")
        self.act(order["id"], "sign")
        self.act(order["id"], "start", {"reason": "已安排人员现场查看"})
        self.act(order["id"], "answer", {"summary": summary})
        return order["id"]

    def reply(self, case_id, channel="phone"):
        return self.post(f"/v1/cases/{case_id}/replies", {"channel": channel, "reason": "电话告知处理结果"})


GRID_DEPUTY = "d0000000-0000-4000-8000-000000000007"  # the township deputy of the example's grid


@pytest.fixture
def svc(tmp_path):
    harness = Routing(SPEC, create_app, tmp_path)
    # the example grid has its township deputy, who becomes the first receiver of cases taken by a call taker
    harness.deliver(event("assignment.published", EXAMPLE["grid_id"], {
        "grid_id": EXAMPLE["grid_id"], "plan_id": str(uuid.uuid4()),
        "deputies": [{"deputy_id": GRID_DEPUTY, "kind": "npc_deputy", "level": "township"}]},
        source="/wangge/roster"), "roster.v1")
    yield harness
    harness.close()
