"""Each service declares its own scopes: a route may only require one its service declares, and an API key (shared
by every service) may carry any scope some service declares, never one none does."""
from __future__ import annotations

import json

import pytest
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import MetaData

from wangge_common import auth, cli
from wangge_common.http import create_service_app
from wangge_common.outbox import define_infra_tables
from wangge_common.runtime import ServiceSpec
from wangge_common.settings import Settings


def make_app(tmp_path, scopes, needs):
    metadata = MetaData()
    spec = ServiceSpec(name="roster", metadata=metadata, tables=define_infra_tables(metadata), migrations="",
                       scopes=scopes)
    blp = Blueprint("things", __name__, url_prefix="/v1/things")

    @blp.route("")
    class Things(MethodView):
        @auth.requires(needs)
        def get(self):
            return {"ok": True}

    settings = Settings(service="roster", database_url=f"sqlite:///{tmp_path / 'roster.db'}",
                        kafka_bootstrap="127.0.0.1:1", var_dir=tmp_path)
    return create_service_app(spec, settings, title="t", description="d", blueprints=[blp])


def test_a_service_refuses_at_start_a_route_scope_it_does_not_declare(tmp_path):
    with pytest.raises(RuntimeError, match="audit:read.*ServiceSpec.scopes"):
        make_app(tmp_path, {"roster:read": "read the roster"}, "audit:read")
    app = make_app(tmp_path, {"roster:read": "read the roster"}, "roster:read")
    app.extensions["wangge_runtime"].db.dispose()


def test_a_scope_checked_by_hand_must_be_declared_too(tmp_path):
    app = make_app(tmp_path, {"roster:read": "read the roster"}, "roster:read")
    with app.test_request_context(), pytest.raises(RuntimeError, match="does not declare"):
        auth.authorize_credential("wg_whatever", "audit:read")
    app.extensions["wangge_runtime"].db.dispose()


def test_a_key_may_carry_other_services_scopes(tmp_path):
    raw, entry = auth.new_key("ops", ["roster:read", "audit:read"])
    app = make_app(tmp_path, {"roster:read": "read the roster"}, "roster:read")
    app.extensions["wangge_api_keys"] = auth.load_keys(json.dumps([entry]), None)
    assert app.test_client().get("/v1/things", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    app.extensions["wangge_runtime"].db.dispose()


def test_a_scope_no_service_declares_is_refused_where_the_key_is_made(capsys):
    known = cli.known_scopes()
    assert {"roster:read", "cases:write", "audit:read", "notify:admin", "routing:admin",
            "outbox:republish"} <= set(known)
    assert cli.main(["apikey", "new", "--name", "ops", "--scopes", "roster:read,cases:wirte"]) == 2
    assert "cases:wirte" in capsys.readouterr().err
    assert cli.main(["apikey", "new", "--name", "ops", "--scopes", "roster:read,audit:read"]) == 0
    entry = json.loads(capsys.readouterr().out.split("entry: ", 1)[1])
    assert entry["scopes"] == ["audit:read", "roster:read"]


def test_a_malformed_scope_in_the_keys_file_stops_the_service():
    with pytest.raises(ValueError, match="malformed"):
        auth.load_keys(json.dumps([{"name": "x", "sha256": "0" * 64, "scopes": ["roster read"]}]), None)


def test_a_tokens_scopes_are_those_the_service_declares_never_contacts():
    claims = {"sub": "p-1", "scope": "roster:read audit:read contacts:read nonsense:here"}
    person = auth.principal_from_claims(claims, known={"roster:read": "", "contacts:read": ""})
    assert person.scopes == {"roster:read"}
