"""Issue 19.2: ETags on reads (If-None-Match -> 304) and If-Match on changes (412, nothing written) for grids and
deputies; the same hooks serve every service (libs/common conditional.py)."""
from .helpers import make_deputy, make_grid


def test_a_grid_read_again_unchanged_is_304_and_a_stale_patch_is_412(svc):
    grid = make_grid(svc, "T1", 1)
    first = svc.client.get(f"/v1/grids/{grid}", headers=svc.headers())
    tag = first.headers["ETag"]
    again = svc.client.get(f"/v1/grids/{grid}", headers=svc.headers(**{"If-None-Match": tag}))
    assert again.status_code == 304 and again.data == b""
    changed = svc.client.patch(f"/v1/grids/{grid}", json={"households": 321},
                               headers=svc.headers(**{"If-Match": tag}))
    assert changed.status_code == 200, changed.json
    stale = svc.client.patch(f"/v1/grids/{grid}", json={"households": 999}, headers=svc.headers(**{"If-Match": tag}))
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    assert svc.client.get(f"/v1/grids/{grid}", headers=svc.headers()).json["households"] == 321
    fresh = svc.client.get(f"/v1/grids/{grid}", headers=svc.headers(**{"If-None-Match": tag}))
    assert fresh.status_code == 200 and fresh.headers["ETag"] != tag


def test_a_deputy_changed_by_someone_else_is_not_overwritten(svc):
    deputy = make_deputy(svc, "李春花")
    tag = svc.client.get(f"/v1/deputies/{deputy}", headers=svc.headers()).headers["ETag"]
    assert svc.client.patch(f"/v1/deputies/{deputy}", json={"position": "村委会主任"},
                            headers=svc.headers()).status_code == 200  # another office, no If-Match
    mine = svc.client.patch(f"/v1/deputies/{deputy}", json={"position": "妇女主任"},
                            headers=svc.headers(**{"If-Match": tag}))
    assert mine.status_code == 412
    assert svc.client.get(f"/v1/deputies/{deputy}", headers=svc.headers()).json["position"] == "村委会主任"


def test_lists_carry_etags_too_and_the_document_says_so(svc):
    listed = svc.client.get("/v1/grids", headers=svc.headers())
    assert svc.client.get("/v1/grids", headers=svc.headers(**{"If-None-Match": listed.headers["ETag"]})).status_code \
        == 304
    doc = svc.client.get("/openapi.json").json
    patch = doc["paths"]["/v1/grids/{grid_id}"]["patch"]
    assert "If-Match" in [p["name"] for p in patch["parameters"]] and "412" in patch["responses"]
    get = doc["paths"]["/v1/grids/{grid_id}"]["get"]
    assert "If-None-Match" in [p["name"] for p in get["parameters"]] and "304" in get["responses"]


def test_if_match_on_a_resource_that_does_not_exist_is_412(svc):
    missing = "6f1c2d4e-0000-4000-8000-0000000000ff"
    response = svc.client.patch(f"/v1/grids/{missing}", json={"households": 1},
                                headers=svc.headers(**{"If-Match": '"abc"'}))
    assert response.status_code == 412
    assert svc.client.patch(f"/v1/grids/{missing}", json={"households": 1}, headers=svc.headers()).status_code == 404
