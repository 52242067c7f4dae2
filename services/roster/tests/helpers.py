"""Builders for roster tests: grids and deputies through the API."""
import itertools
from datetime import date

from wangge_common import clock

_MOBILES = (f"139{n:08d}" for n in itertools.count(1))  # a person is registered once: each deputy its own mobile


def make_grid(svc, code, level, parent=None, kind="rural_village", **extra):
    body = {"code": code, "name": f"网格{code}", "level": level, "kind": kind, "parent_id": parent, **extra}
    response = svc.client.post("/v1/grids", json=body, headers=svc.headers())
    assert response.status_code == 201, response.json
    return response.json["id"]


def make_deputy(svc, name, level="township", home=None, mobile=None, **extra):
    mobile = mobile or next(_MOBILES)
    body = {"name": name, "gender": "female", "level": level, "mobile": mobile, "home_grid_id": home,
            "position": "村党支部书记", "pledge": "认真倾听群众呼声，及时反映群众诉求。", **extra}
    response = svc.client.post("/v1/deputies", json=body, headers=svc.headers())
    assert response.status_code == 201, response.json
    return response.json["id"]


def small_township(svc, groups=3):
    """One township, one village, `groups` group grids; returns (town, village, [groups])."""
    town = make_grid(svc, "T1", 1)
    village = make_grid(svc, "T1-01", 2, town)
    leaves = [make_grid(svc, f"T1-01-{i:02d}", 3, village, households=250, difficulty=1 + i % 5)
              for i in range(1, groups + 1)]
    return town, village, leaves


def today_in_china() -> date:
    """Today on the China calendar, as the roster's rules count days."""
    return clock.local_date(clock.now())
