"""Shared helpers of the portal's tests: a migrated portal with the five services replaced by a recording fake (the
real stack is in tests/integration): these tests are about the portal's own rules, forms and failure paths."""
import re
import uuid
from pathlib import Path

from wangge_common.testing import create_migrated_copy

from portal import commands, migrate
from portal.app import create_app
from portal.clients import ServiceError
from portal.settings import PortalSettings

TOWNSHIP, VILLAGE, GROUP, OTHER = (str(uuid.UUID(int=i)) for i in (1, 2, 3, 4))
DEPUTY = str(uuid.UUID(int=99))
PASSWORD = "correct-horse-9"


def create_migrated_database(tmp_path: Path) -> tuple[str, callable]:
    """A fresh portal database at its newest migration, and its cleanup: a copy of a template migrated once per
    process, as the services' tests get (wangge_common.testing.create_migrated_copy)."""
    return create_migrated_copy("portal", "portal", migrate.upgrade, tmp_path)


def csrf_of(html: str) -> str:
    """The CSRF token of a page (a form's hidden field, or the sign-out form's)."""
    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html).group(1)


def field_errors(answer) -> dict:
    """{field id: the reason shown beside it} of a page."""
    return dict(re.findall(r'<p class="error" id="([\w-]+)-error">([^<]+)</p>', answer.get_data(as_text=True)))


class FakeServices:
    """The services' answers the pages need, and every write the portal sends, with Idempotency-Keys honoured."""

    def __init__(self):
        self.urls = {"intake": "http://intake.test", "roster": "http://roster.test", "routing": "http://routing.test"}
        self.posts, self.cases, self.uploads = [], {}, []
        self.refuse = None  # (status, errors) the next case registration answers with
        self.similar = []
        # what a test makes a service answer: GET path -> body (the parameters asked are kept in `asked`), and
        # POST path prefix -> body, or -> (status, errors) refusal in `refusals`
        self.answers, self.asked, self.post_answers, self.refusals = {}, {}, {}, {}
        self.grids = {TOWNSHIP: {"id": TOWNSHIP, "code": "T1", "name": "清溪镇", "level": 1, "parent_id": None},
                      VILLAGE: {"id": VILLAGE, "code": "T1-01", "name": "泉江村", "level": 2, "parent_id": TOWNSHIP},
                      GROUP: {"id": GROUP, "code": "T1-01-01", "name": "第一村民小组", "level": 3, "parent_id": VILLAGE},
                      OTHER: {"id": OTHER, "code": "T1-01-02", "name": "第二村民小组", "level": 3, "parent_id": VILLAGE}}

    def get(self, caller, service, path, **params):
        if path in self.answers:
            self.asked[path] = params
            return self.answers[path]
        if path == "/v1/grids":
            found = [g for g in self.grids.values() if ("level" not in params or g["level"] == params["level"])
                     and ("parent_id" not in params or g["parent_id"] == params["parent_id"])]
            return {"items": found, "total": len(found)}
        if path.startswith("/v1/grids/"):
            grid = self.grids.get(path.rsplit("/", 1)[1])
            if grid is None:
                raise ServiceError(service, 404, "no grid")
            return grid
        if path == "/v1/dispatch-rules":
            return [{"category": "request", "topic": "lighting", "department_code": "town-construction"},
                    {"category": "request", "topic": "road", "department_code": "town-construction"},
                    {"category": "complaint", "topic": "wages", "department_code": "county-hr"}]
        if path == "/v1/assignments":
            return {"items": [{"grid_id": GROUP, "grid_name": "第一村民小组", "grid_code": "T1-01-01",
                               "deputy_id": DEPUTY, "deputy_name": "欧林俊"}], "total": 1}
        if path == "/v1/households":
            return {"items": [], "total": 0}
        if path == "/v1/visits":
            found = [p[3] for p in self.posts if p[2] == "/v1/visits"]
            return {"items": found, "total": len(found)}
        if path == "/v1/cases/similar":
            return self.similar
        if path in ("/v1/cases", "/v1/reception-days"):
            return {"items": [], "total": 0, "page": 1, "page_size": 100}  # routing's lists are pages too
        if path.startswith("/v1/track/"):
            raise ServiceError(service, 404, "no case")
        raise AssertionError(f"unexpected GET {service}{path}")

    def post(self, caller, service, path, body, *, idempotency_key=None):
        self.posts.append((caller, service, path, body, idempotency_key))
        for prefix, (status, errors) in self.refusals.items():
            if path.startswith(prefix):
                raise ServiceError(service, status, "refused", errors)
        for prefix, answer in self.post_answers.items():
            if path.startswith(prefix):
                return answer
        if path == "/v1/cases":
            if self.refuse:
                status, errors = self.refuse
                raise ServiceError(service, status, "refused", errors)
            if idempotency_key not in self.cases:
                code = "WG" + uuid.uuid4().hex[:8].upper()
                self.cases[idempotency_key] = {"id": str(uuid.uuid4()), "tracking_code": code, **body}
            return self.cases[idempotency_key]
        if path == "/v1/visits" and body["notes"] and "138" in body["notes"]:
            raise ServiceError(service, 422, "invalid", [{"field": "notes", "reason": "must not hold a phone"}])
        if path == "/v1/visits":
            return {"id": str(uuid.uuid4()), **body}
        if path == "/v1/reception-sessions":
            return {"id": str(uuid.uuid4()), "minutes": 125, "meets_two_hours": True}
        return {}

    def call(self, caller, method, service, path, *, params=None, data=None, headers=None, json=None, expect=None):
        assert method == "POST" and path == "/v1/attachments"
        self.uploads.append((params, data, headers))
        return {"id": str(uuid.uuid4()), "name": params["name"], "media_type": headers["Content-Type"],
                "size": len(data), "sha256": "0" * 64, "url": "/v1/attachments/x"}


class Portal:
    def __init__(self, tmp_path, **env):
        self.database_url, self._drop = create_migrated_database(tmp_path)
        self.settings = PortalSettings.from_env({
            "WANGGE_VAR_DIR": str(tmp_path), "WANGGE_PORTAL_DATABASE_URL": self.database_url,
            "WANGGE_PORTAL_SECRET_KEY": "s" * 32, "WANGGE_PORTAL_SIGNING_KEY": "11" * 32,
            "WANGGE_PORTAL_ARGON2_PROFILE": "cheapest", **env})
        self.app = create_app(self.settings)
        self.app.config["TESTING"] = True
        self.runtime = self.app.extensions["portal"]
        self.services = self.runtime.services = FakeServices()
        self.client = self.app.test_client()

    def account(self, username, role, **binding):
        with self.runtime.db.transaction() as db:
            return commands.create_account(db, self.runtime.hasher, username=username, display_name=username,
                                           role=role, password=PASSWORD, **binding).id

    def csrf(self, path, client=None) -> str:
        html = (client or self.client).get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)

    def sign_in(self, username, password=PASSWORD, client=None):
        client = client or self.client
        return client.post("/signin", data={"csrf_token": self.csrf("/signin", client), "username": username,
                                            "password": password})

    def close(self):
        self.runtime.db.dispose()
        self._drop()
