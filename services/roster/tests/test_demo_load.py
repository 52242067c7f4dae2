"""The demo county loads into the roster: grids, deputies, stations, a published plan and reception schedules."""
from roster.demo import load_demo


class _ClientSession:
    """The slice of requests.Session that load_demo uses, over the Flask test client."""

    def __init__(self, client):
        self.client = client

    def get(self, url, params=None, headers=None, timeout=None):
        return _Answer(self.client.get(url, query_string=params, headers=headers))

    def post(self, url, json=None, headers=None, timeout=None):
        return _Answer(self.client.post(url, json=json, headers=headers))


class _Answer:
    def __init__(self, response):
        self.status_code, self._response = response.status_code, response
        self.text = response.get_data(as_text=True)

    def json(self):
        return self._response.json


def test_the_demo_county_loads_with_a_published_plan_and_schedules(svc):
    summary = load_demo("", svc.keys["all"], session=_ClientSession(svc.client))
    assert summary["grids"] == 260 and summary["deputies"] == 414 and summary["stations"] >= 5
    assert summary["reception_schedules"] >= 4 and summary["assignments"] == 414
    coverage = svc.client.get("/v1/coverage", headers=svc.headers()).json["totals"]
    assert coverage["grids"] == 218 and coverage["grids_without_deputy"] == 0
    assert coverage["grids_without_township_deputy"] == 0 and coverage["deputies_without_grid"] == 0
    leaf = svc.client.get("/v1/grids?level=3&page_size=1", headers=svc.headers()).json["items"][0]
    notice = svc.client.get(f"/v1/grids/{leaf['id']}/notice?format=json").json
    assert notice["deputies"] and notice["station"] is not None and notice["reception_rules"]
    again = load_demo("", svc.keys["all"], session=_ClientSession(svc.client))
    assert again["skipped"] is True
