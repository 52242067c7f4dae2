"""A grid's centre (latitude/longitude): kept, announced on grid.* events, and given in pairs only."""
import pytest

from wangge_common import contracts

from .helpers import make_grid


def test_a_grid_centre_is_kept_and_announced(svc):
    town = make_grid(svc, "SS-01", 1, latitude=27.9203, longitude=112.5271)
    village = make_grid(svc, "SS-01-01", 2, town)
    events = svc.outbox()
    assert events[0].data["latitude"] == 27.9203 and events[0].data["longitude"] == 112.5271
    assert events[1].data["latitude"] is None  # a grid without a known centre
    for announced in events:
        contracts.validate(announced)
    moved = svc.client.patch(f"/v1/grids/{village}", json={"latitude": 27.93, "longitude": 112.53},
                             headers=svc.headers())
    assert moved.status_code == 200 and moved.json["latitude"] == 27.93
    assert svc.outbox()[-1].type == "grid.updated" and svc.outbox()[-1].data["longitude"] == 112.53


@pytest.mark.parametrize("given, field", [
    ({"latitude": 27.9}, "longitude"),
    ({"longitude": 112.5}, "latitude"),
    ({"latitude": 27.9, "longitude": None}, "longitude"),
    ({"latitude": 91, "longitude": 112.5}, "latitude"),
    ({"latitude": 27.9, "longitude": 181}, "longitude"),
])
def test_a_centre_is_a_valid_pair(svc, given, field):
    body = {"code": "SS-02", "name": "网格SS-02", "level": 1, "kind": "rural_village", **given}
    response = svc.client.post("/v1/grids", json=body, headers=svc.headers())
    assert response.status_code == 422 and field in [e["field"] for e in response.json["errors"]]
    assert svc.outbox() == []
