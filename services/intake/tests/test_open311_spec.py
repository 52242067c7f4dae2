"""A stock Open311 GeoReport v2 client, written from the standard (wiki.open311.org/GeoReport_v2), not from the code.

It knows only what the standard says: a service discovery document, resources ending `.xml` (required) or `.json`,
POST requests form-encoded with `api_key` among the fields, GET requests with no key, 403 for a wrong or missing
key, errors as errors/error with code and description, dates in W3C format with an offset.
"""
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlparse

import pytest

from wangge_common import contracts
from wangge_common.testing import event

from intake_testkit import GRID, PHONE, announce_grid, lifecycle, new_id

W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
REQUEST_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url")


class GeoReportClient:
    """What any GeoReport v2 client does, over a WSGI test client instead of the network."""

    def __init__(self, http, discovery_url: str, api_key: str | None = None, fmt: str = "xml"):
        self.http, self.api_key, self.fmt = http, api_key, fmt
        found = self._get(discovery_url)
        assert found.status_code == 200
        endpoint = next(e for e in self._parse(found, "discovery")["endpoints"]
                        if e["specification"].rstrip("/").endswith("GeoReport_v2"))
        wanted = "text/xml" if fmt == "xml" else "application/json"
        assert wanted in endpoint["formats"]
        self.base = urlparse(endpoint["url"]).path

    def _get(self, url, **query):
        response = self.http.get(url, query_string={k: v for k, v in query.items() if v is not None})
        if url.endswith(".xml"):  # the standard: XML as text/xml, UTF-8 declared
            assert response.mimetype == "text/xml" and response.mimetype_params["charset"].lower() == "utf-8"
            assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
        return response

    def _parse(self, response, root: str):
        if self.fmt == "json" or response.mimetype == "application/json":
            return response.json
        return _from_xml(ET.fromstring(response.data), root)

    def services(self):
        return self._parse(self._get(f"{self.base}/services.{self.fmt}"), "services")

    def definition(self, code):
        return self._parse(self._get(f"{self.base}/services/{code}.{self.fmt}"), "service_definition")

    def post(self, **fields):
        form = dict(fields)
        if self.api_key is not None:
            form["api_key"] = self.api_key
        response = self.http.post(f"{self.base}/requests.{self.fmt}", data=form,
                                  content_type="application/x-www-form-urlencoded; charset=utf-8")
        return response, self._parse(response, "errors" if response.status_code >= 400 else "service_requests")

    def requests(self, **query):
        response = self._get(f"{self.base}/requests.{self.fmt}", api_key=self.api_key, **query)
        return response, self._parse(response, "errors" if response.status_code >= 400 else "service_requests")

    def request(self, request_id):
        response = self._get(f"{self.base}/requests/{request_id}.{self.fmt}", api_key=self.api_key)
        return response, self._parse(response, "errors" if response.status_code >= 400 else "service_requests")


LISTS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
         "values": "value", "endpoints": "endpoint", "formats": "format"}


def _from_xml(element, root):
    """The standard's XML as plain data (its Spark mapping to JSON): lists by their known names, empty → None."""
    assert element.tag == root
    if element.tag in LISTS:
        return [_from_xml(child, child.tag) for child in element if child.tag == LISTS[element.tag]]
    if len(element) == 0:
        return element.text
    return {child.tag: _from_xml(child, child.tag) for child in element}


def spec_form(**changes):
    form = {"service_code": "request", "description": "村口路灯坏了三天，晚上出行不便。", "lat": "27.915", "long": "112.527",
            "address_string": "韶山村第一村民小组12号", "email": "wxy@example.cn", "phone": PHONE,
            "first_name": "秀英", "last_name": "王", "media_url": "https://pics.example.cn/lamp.jpg",
            "attribute[grid_id]": GRID, "jurisdiction_id": "shaoshan.gov.cn"}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


@pytest.fixture
def client(gsvc):
    return GeoReportClient(gsvc.client, "/open311/discovery.xml", api_key=gsvc.keys["all"])


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_stock_client_discovers_lists_posts_and_reads_back(gsvc, fmt):
    client = GeoReportClient(gsvc.client, f"/open311/discovery.{fmt}", api_key=gsvc.keys["all"], fmt=fmt)
    services = client.services()
    assert [s["service_code"] for s in services] == ["request", "enquiry", "complaint", "suggestion"]
    assert services[0]["service_name"] == "求决" and str(services[0]["metadata"]).lower() == "true"
    urgency = next(a for a in client.definition("request")["attributes"] if a["code"] == "urgency")
    assert [v["key"] for v in urgency["values"]] == ["normal", "urgent"]
    response, created = client.post(**spec_form())
    assert response.status_code in (200, 201), created
    assert set(created[0]) == {"service_request_id", "service_notice", "account_id"}
    request_id = created[0]["service_request_id"]
    assert "token" not in created[0] and request_id
    reader = GeoReportClient(gsvc.client, f"/open311/discovery.{fmt}", fmt=fmt)  # no key at all
    response, found = reader.request(request_id)
    assert response.status_code == 200 and set(found[0]) == set(REQUEST_FIELDS)
    assert found[0]["status"] == "open" and found[0]["service_code"] == "request"
    assert W3C.match(found[0]["requested_datetime"]) and W3C.match(found[0]["updated_datetime"])
    response, listed = reader.requests(status="open", service_code="request")
    assert [r["service_request_id"] for r in listed] == [request_id]


def test_the_key_goes_in_the_form_or_the_query_and_a_missing_or_wrong_one_is_403(gsvc, client):
    response, _ = client.post(**spec_form())
    assert response.status_code == 201
    in_query = gsvc.client.post(f"/open311/v2/requests.xml?api_key={gsvc.keys['all']}", data=spec_form(
        description="另一件事：水渠堵了。"))
    assert in_query.status_code == 201
    for key in (None, "wg_not_a_key", gsvc.keys["reader"]):  # none, unknown, without cases:write
        response, problems = GeoReportClient(gsvc.client, "/open311/discovery.xml", api_key=key).post(
            **spec_form(description="第三件事"))
        assert response.status_code == 403 and problems[0]["code"] == "403" and problems[0]["description"]
    assert [e.type for e in gsvc.outbox()].count("case.registered") == 2


def test_reads_without_a_key_show_public_fields_and_never_personal_data(gsvc, client):
    _, created = client.post(**spec_form())
    request_id = created[0]["service_request_id"]
    public = GeoReportClient(gsvc.client, "/open311/discovery.json", fmt="json")
    for response in (public.request(request_id)[0], public.requests()[0],
                     gsvc.client.get(f"/open311/v2/requests/{request_id}.xml")):
        text = response.get_data(as_text=True)
        assert response.status_code == 200
        for private in (PHONE, "wxy@example.cn", "王", "秀英", "12号", "27.915", "112.527", "lamp.jpg"):
            assert private not in text
    seen = public.request(request_id)[1][0]
    assert seen["address"] == "韶山村第一村民小组" and seen["lat"] is None and seen["media_url"] is None
    keyed = GeoReportClient(gsvc.client, "/open311/discovery.json", api_key=gsvc.keys["reader"], fmt="json")
    full = keyed.request(request_id)[1][0]
    assert full["address"] == "韶山村第一村民小组12号" and full["lat"] == 27.915
    assert full["media_url"] == "https://pics.example.cn/lamp.jpg"
    assert PHONE not in keyed.request(request_id)[0].get_data(as_text=True)  # the reporter: never, even with a key
    wrong = GeoReportClient(gsvc.client, "/open311/discovery.json", api_key="wg_wrong", fmt="json").requests()
    assert wrong[0].status_code == 403


def test_a_person_sees_private_fields_only_in_their_own_grids(gsvc, client):
    _, created = client.post(**spec_form())
    request_id = created[0]["service_request_id"]
    for grids, address in (([GRID], "韶山村第一村民小组12号"), (["6f1c2d4e-0000-4000-8000-0000000000ff"], "韶山村第一村民小组")):
        token = gsvc.person(scopes=("cases:read",), grids=grids)["Authorization"]
        answer = gsvc.client.get(f"/open311/v2/requests/{request_id}.json", headers={"Authorization": token})
        assert answer.json[0]["address"] == address


def work_order(case_id: str, event_type: str, version: int, time: str, **changes):
    data = {**contracts.registry()[(event_type, version)].schema["examples"][0], "case_id": case_id, **changes}
    return event(event_type, case_id, data, source="/wangge/routing", actor="user:routing-clerk", time=time,
                 version=version)


def test_agency_responsible_and_expected_datetime_come_from_routing(gsvc, client):
    _, created = client.post(**spec_form())
    request_id = created[0]["service_request_id"]
    order = new_id()
    department = {"code": "town-construction", "name": "镇村镇建设办"}
    assert gsvc.deliver(work_order(request_id, "work_order.dispatched", 2, "2026-11-20T01:00:00Z",
                                   work_order_id=order, department=department, due_at="2026-11-30T09:00:00Z"),
                        "cases.v1") == "processed"
    seen = client.request(request_id)[1][0]
    assert seen["agency_responsible"] == "镇村镇建设办" and seen["expected_datetime"] == "2026-11-30T09:00:00Z"
    gsvc.deliver(work_order(request_id, "work_order.extension_decided", 1, "2026-11-25T01:00:00Z",
                            work_order_id=order, department=department, approved=True,
                            due_at="2026-12-04T09:00:00Z"), "cases.v1")
    assert client.request(request_id)[1][0]["expected_datetime"] == "2026-12-04T09:00:00Z"
    # an older event delivered late changes nothing
    gsvc.deliver(work_order(request_id, "work_order.due_soon", 1, "2026-11-21T01:00:00Z", work_order_id=order,
                            department=department, due_at="2026-11-29T09:00:00Z"), "cases.v1")
    assert client.request(request_id)[1][0]["expected_datetime"] == "2026-12-04T09:00:00Z"
    gsvc.deliver(work_order(request_id, "work_order.returned", 1, "2026-11-26T01:00:00Z", work_order_id=order,
                            department=department), "cases.v1")
    returned = client.request(request_id)[1][0]
    assert returned["agency_responsible"] is None and returned["expected_datetime"] is None
    gsvc.deliver(lifecycle(request_id, "case.closed", time="2026-11-28T01:00:00Z"), "cases.v1")
    assert client.request(request_id)[1][0]["status"] == "closed"


def locate_grid(gsvc, grid_id, code, latitude, longitude, level=3):
    assert gsvc.deliver(event("grid.created", grid_id, {
        "grid_id": grid_id, "code": code, "name": f"网格{code}", "level": level, "parent_id": None,
        "kind": "rural_village", "households": 250, "population": 800, "difficulty": 2, "leader": None,
        "latitude": latitude, "longitude": longitude}, source="/wangge/roster"), "roster.v1") == "processed"


def test_a_located_request_without_a_grid_goes_to_the_nearest_located_grid(gsvc, client):
    unplaced = spec_form(**{"attribute[grid_id]": None, "address_string": None})
    response, problems = client.post(**unplaced)
    assert response.status_code == 400 and "no grid has a location" in problems[0]["description"]
    near, far, township = new_id(), new_id(), new_id()
    locate_grid(gsvc, near, "SS-09-01-01", 27.916, 112.528)
    locate_grid(gsvc, far, "SS-09-01-02", 27.990, 112.600)
    locate_grid(gsvc, township, "SS-09", 27.915, 112.527, level=1)  # nearer, but coarser: not the matter's grid
    response, created = client.post(**unplaced)
    assert response.status_code == 201, created
    case = gsvc.client.get(f"/v1/cases/{created[0]['service_request_id']}", headers=gsvc.headers("reader")).json
    assert case["grid_id"] == near
    response, problems = client.post(**spec_form(**{"attribute[grid_id]": None, "address_string": None,
                                                     "lat": "30.5", "long": "114.3"}))
    assert response.status_code == 400 and "km" in problems[0]["description"]
    assert problems[0]["description"].startswith("attribute[grid_id]")


@pytest.mark.parametrize("changes, status, text", [
    ({"service_code": None}, "400", "service_code"),
    ({"service_code": "gossip"}, "404", "service_code"),
    ({"long": None, "address_string": None}, "400", "long"),
    ({"lat": "north"}, "400", "lat"),
])
def test_errors_come_as_the_standard_shows_them(gsvc, client, changes, status, text):
    response, problems = client.post(**spec_form(**changes))
    assert str(response.status_code) == status and problems[0]["code"] == status
    assert text in problems[0]["description"]


def test_xml_survives_any_text_and_bad_queries_are_400(gsvc, client):
    _, created = client.post(**spec_form(description="路灯 <坏了> & \"亮不了\" \x01 ]]>"))
    _, found = client.request(created[0]["service_request_id"])
    assert "<坏了> & \"亮不了\"" in found[0]["description"]
    assert client.requests(start_date="2026-01-01T00:00:00Z", end_date="2026-06-01T00:00:00Z")[0].status_code == 400
    assert client.requests(start_date="soon")[0].status_code == 400
    assert client.requests(status="pending")[0].status_code == 400
    assert gsvc.client.get("/open311/v2/services.txt").status_code == 404
    missing, problems = client.request(new_id())
    assert missing.status_code == 404 and problems[0]["code"] == "404"


def test_an_unchanged_xml_answer_is_a_304_for_a_poller(gsvc):
    first = gsvc.client.get("/open311/v2/services.xml")
    assert first.headers.get("ETag")
    again = gsvc.client.get("/open311/v2/services.xml", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
