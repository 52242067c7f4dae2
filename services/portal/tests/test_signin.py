"""Accounts and sign-in: passwords, lock-out, expiring sessions, CSRF, throttling, the admin page, the log."""
import time

from sqlalchemy import select

from portal_testkit import DEPUTY, GROUP, PASSWORD, TOWNSHIP, Portal
from portal.models import Account, SignInEvent


def _log(portal):
    with portal.runtime.db.sessions() as db:
        return [(e.username, e.outcome) for e in db.scalars(select(SignInEvent).order_by(SignInEvent.id))]


def test_sign_in_goes_to_the_roles_desk_and_the_password_is_stored_hashed(portal):
    portal.account("ct1", "call_taker")
    answer = portal.sign_in("ct1")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert portal.client.get("/").headers["Location"] == "/hotline"
    with portal.runtime.db.sessions() as db:
        stored = db.scalar(select(Account.password_hash).where(Account.username == "ct1"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert _log(portal) == [("ct1", "signed_in")]


def test_wrong_passwords_lock_the_account_and_are_logged_without_the_password(portal, caplog):
    portal.account("dep", "deputy", deputy_id=DEPUTY)
    for _ in range(4):
        answer = portal.sign_in("dep", "wrong-password-1")
        assert answer.status_code == 401 and "用户名或密码不正确" in answer.get_data(as_text=True)
    locked = portal.sign_in("dep", "wrong-password-1")
    assert "已暂时锁定" in locked.get_data(as_text=True)
    still = portal.sign_in("dep")  # the right password does not open a locked account
    assert still.status_code == 401 and "已暂时锁定" in still.get_data(as_text=True)
    assert [o for _, o in _log(portal)] == ["wrong_password"] * 4 + ["locked", "locked"]
    assert "wrong-password-1" not in caplog.text and PASSWORD not in caplog.text
    unknown = portal.sign_in("nobody")
    assert unknown.status_code == 401 and "用户名或密码不正确" in unknown.get_data(as_text=True)


def test_an_admin_unlocks_disables_and_rebinds(portal):
    target = portal.account("dep", "deputy", deputy_id=DEPUTY)
    portal.account("root", "admin")
    for _ in range(5):
        portal.sign_in("dep", "wrong-password-1")
    admin = portal.app.test_client()
    portal.sign_in("root", client=admin)
    token = portal.csrf("/admin/accounts", admin)
    assert admin.post(f"/admin/accounts/{target}/unlock", data={"csrf_token": token}).status_code == 302
    user = portal.app.test_client()
    assert portal.sign_in("dep", client=user).status_code == 302
    assert admin.post(f"/admin/accounts/{target}/disable", data={"csrf_token": token}).status_code == 302
    assert user.get("/deputy").status_code == 302  # the disabled account's session is over
    assert "已停用" in portal.sign_in("dep", client=user).get_data(as_text=True)
    # re-binding: a township staff member must name a township grid; the reason is shown beside the field
    refused = admin.post(f"/admin/accounts/{target}/binding", data={"csrf_token": token, "role": "township_staff",
                                                                     "deputy_id": DEPUTY})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "须绑定一个乡镇网格" in page and "账户不绑定此项" in page
    done = admin.post(f"/admin/accounts/{target}/binding", data={"csrf_token": token, "role": "township_staff",
                                                                  "grid_id": TOWNSHIP})
    assert done.status_code == 302


def test_only_admins_reach_the_admin_page_and_account_forms_explain_refusals(portal):
    portal.account("dep", "deputy", deputy_id=DEPUTY)
    portal.sign_in("dep")
    assert portal.client.get("/admin/accounts").status_code == 403
    admin = portal.app.test_client()
    portal.account("root", "admin")
    portal.sign_in("root", client=admin)
    token = portal.csrf("/admin/accounts", admin)
    answer = admin.post("/admin/accounts", data={"csrf_token": token, "username": "dep", "display_name": "王",
                                                 "role": "deputy", "password": "short"})
    page = answer.get_data(as_text=True)
    assert "用户名已被使用" in page and "密码至少 10 位" in page and "须绑定名册中的代表" in page
    created = admin.post("/admin/accounts", data={"csrf_token": token, "username": "dep2", "display_name": "王",
                                                  "role": "deputy", "password": "a-long-pass-99", "deputy_id": DEPUTY})
    assert created.status_code == 302


def test_every_form_needs_its_csrf_token(portal):
    portal.account("ct1", "call_taker")
    refused = portal.client.post("/signin", data={"username": "ct1", "password": PASSWORD})
    assert refused.status_code == 400 and "页面已过期" in refused.get_data(as_text=True)
    portal.sign_in("ct1")
    assert portal.client.post("/password", data={"current": PASSWORD, "new": "x" * 12, "repeat": "x" * 12}
                              ).status_code == 400
    assert portal.client.post("/signout").status_code == 400


def test_sessions_expire_when_idle_and_after_the_longest_day(portal):
    portal.account("ct1", "call_taker")
    portal.sign_in("ct1")
    assert portal.client.get("/hotline").status_code == 200
    with portal.client.session_transaction() as session:
        session["last_seen"] = time.time() - 31 * 60
    answer = portal.client.get("/hotline")
    assert answer.status_code == 302 and "reason=expired" in answer.headers["Location"]
    assert "登录已超时" in portal.client.get(answer.headers["Location"]).get_data(as_text=True)
    portal.sign_in("ct1")
    with portal.client.session_transaction() as session:
        session["signed_in_at"] = time.time() - 13 * 3600
    assert portal.client.get("/hotline").status_code == 302


def test_changing_the_password_ends_the_other_sessions(portal):
    portal.account("ct1", "call_taker")
    other = portal.app.test_client()
    portal.sign_in("ct1", client=other)
    portal.sign_in("ct1")
    token = portal.csrf("/password")
    mismatch = portal.client.post("/password", data={"csrf_token": token, "current": PASSWORD,
                                                     "new": "a-new-pass-77", "repeat": "a-new-pass-78"})
    assert "两次输入的新密码不一致" in mismatch.get_data(as_text=True)
    wrong = portal.client.post("/password", data={"csrf_token": token, "current": "nope-nope-1",
                                                  "new": "a-new-pass-77", "repeat": "a-new-pass-77"})
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    weak = portal.client.post("/password", data={"csrf_token": token, "current": PASSWORD,
                                                 "new": "ct1-is-my-pass", "repeat": "ct1-is-my-pass"})
    assert "密码不能包含用户名" in weak.get_data(as_text=True)
    done = portal.client.post("/password", data={"csrf_token": token, "current": PASSWORD,
                                                 "new": "a-new-pass-77", "repeat": "a-new-pass-77"})
    assert done.status_code == 302
    assert portal.client.get("/hotline").status_code == 200  # this session stays
    assert other.get("/hotline").status_code == 302  # the other one is over
    assert portal.sign_in("ct1", "a-new-pass-77", client=other).status_code == 302


def test_sign_in_is_throttled_per_client(tmp_path):
    portal = Portal(tmp_path, WANGGE_PORTAL_SIGNIN_LIMIT="3 per minute")
    try:
        for _ in range(3):
            assert portal.sign_in("x", "wrong-password-1").status_code == 401
        throttled = portal.sign_in("x", "wrong-password-1")
        assert throttled.status_code == 429 and "操作太频繁" in throttled.get_data(as_text=True)
        elsewhere = portal.app.test_client()
        token = portal.csrf("/signin", elsewhere)
        answer = elsewhere.post("/signin", data={"csrf_token": token, "username": "x", "password": "y" * 10},
                                environ_base={"REMOTE_ADDR": "10.9.9.9"})
        assert answer.status_code == 401  # another client is not held back
    finally:
        portal.close()


def test_forwarded_addresses_are_believed_only_from_configured_proxies(tmp_path):
    portal = Portal(tmp_path, WANGGE_PORTAL_SIGNIN_LIMIT="2 per minute", WANGGE_PORTAL_TRUSTED_PROXIES="10.0.0.1")
    try:
        def attempt(peer, forwarded):
            token = portal.csrf("/signin")
            return portal.client.post("/signin", data={"csrf_token": token, "username": "x", "password": "y" * 10},
                                      headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": peer})
        # through the proxy, each resident is counted by their own address
        assert [attempt("10.0.0.1", f"203.0.113.{i}").status_code for i in range(4)] == [401] * 4
        # a client talking directly cannot dodge the limit by forging the header
        assert [attempt("198.51.100.7", f"203.0.113.{i}").status_code for i in range(3)] == [401, 401, 429]
    finally:
        portal.close()


def test_a_sign_in_never_redirects_to_another_site(portal):
    portal.account("ct1", "call_taker")
    token = portal.csrf("/signin")
    answer = portal.client.post("/signin?next=//evil.example/x", data={"csrf_token": token, "username": "ct1",
                                                                        "password": PASSWORD})
    assert answer.headers["Location"] == "/"
    portal.client.post("/signout", data={"csrf_token": portal.csrf("/password")})
    token = portal.csrf("/signin")
    answer = portal.client.post("/signin?next=/hotline", data={"csrf_token": token, "username": "ct1",
                                                                "password": PASSWORD})
    assert answer.headers["Location"] == "/hotline"


def test_the_deputys_token_carries_their_grids_and_services_can_verify_it(portal, tmp_path):
    from flask import g

    from portal.clients import Services
    from portal.views import caller
    from wangge_common.auth import TokenVerifier

    portal.account("dep", "deputy", deputy_id=DEPUTY)
    with portal.app.test_request_context():
        with portal.runtime.db.sessions() as db:
            g.person = db.scalar(select(Account).where(Account.username == "dep"))
        me = caller()
        person_id = g.person.id
    assert me.grids == (GROUP,) and me.departments is None and "cases:write" in me.scopes
    real = Services(portal.services.urls, portal.runtime.issuer)
    portal.runtime.issuer.write_jwks(tmp_path / "jwks.json")
    principal = TokenVerifier(portal.settings.issuer, str(tmp_path / "jwks.json")).verify(real.token(me))
    assert principal.actor == f"person:{person_id}" and principal.grids == {GROUP}
    assert principal.display_name == "dep" and "contacts:read" not in principal.scopes


def test_settings_take_secrets_from_files_and_refuse_to_start_without_them(tmp_path):
    import pytest

    from portal.settings import PortalSettings

    (tmp_path / "secret").write_text("session-secret\n")
    (tmp_path / "seed").write_text("22" * 32)
    settings = PortalSettings.from_env({"WANGGE_PORTAL_SECRET_KEY_FILE": str(tmp_path / "secret"),
                                        "WANGGE_PORTAL_SIGNING_KEY_FILE": str(tmp_path / "seed"),
                                        "WANGGE_PORTAL_DATABASE_URL": "postgresql://wangge@db:5432/portal",
                                        "WANGGE_DATABASE_PASSWORD": "pw"})
    assert settings.secret_key == "session-secret" and settings.signing_key == "22" * 32
    assert settings.database_url == "postgresql://wangge:pw@db:5432/portal"
    assert settings.log_level == "INFO"
    assert PortalSettings.from_env({"WANGGE_PORTAL_SECRET_KEY": "s", "WANGGE_PORTAL_SIGNING_KEY": "22" * 32,
                                    "WANGGE_LOG_LEVEL": " debug"}).log_level == "DEBUG"
    with pytest.raises(ValueError, match="WANGGE_PORTAL_SECRET_KEY"):
        PortalSettings.from_env({"WANGGE_PORTAL_SIGNING_KEY": "22" * 32})
