"""Issue 17, item 7: SMS through Aliyun SMS and Tencent Cloud SMS, each tested against a local fake of its API that
checks the signature, the approved signature name and template ids the way the provider does."""
import dataclasses
import json
from datetime import timedelta

import pytest

from wangge_common.testing import live_server

from notifyfakes import DAYTIME, configure, registered
from notify import smsproviders
from notify.settings import NotifySettings
from smsfakes import ALIYUN_KEY, SIGN_NAME, TENCENT_KEY, aliyun_app, tencent_app

ALIYUN_TEMPLATES = {"SMS_460000001": ["tracking_code"]}
TENCENT_TEMPLATES = {"2001001": ["tracking_code"]}
SDK_APP_ID = "1400000001"


def _use(world, **settings):
    svc = world.svc
    configure(svc, extra={**svc.runtime.settings.extra, **settings})


def _aliyun(world, url, **more):
    _use(world, **{"WANGGE_NOTIFY_SMS_PROVIDER": "aliyun", "WANGGE_NOTIFY_ALIYUN_KEY_ID": ALIYUN_KEY[0],
                   "WANGGE_NOTIFY_ALIYUN_KEY_SECRET": ALIYUN_KEY[1], "WANGGE_NOTIFY_SMS_SIGN_NAME": SIGN_NAME,
                   "WANGGE_NOTIFY_ALIYUN_ENDPOINT": url + "/", "WANGGE_NOTIFY_SMS_TEMPLATES": json.dumps(
                       {"case.registered/reporter": {"id": "SMS_460000001", "params": ["tracking_code"]}}), **more})


def test_aliyun_sends_the_approved_template_with_its_values_and_a_valid_signature(world):
    fake = aliyun_app(ALIYUN_TEMPLATES, throttle_first=1)
    with live_server(fake) as url:
        _aliyun(world, url)
        world.svc.deliver(registered(), "cases.v1")  # a deputy received it: the deputy's kind has no template
        world.send()
        (reporter,) = world.deliveries(channel="sms", audience="reporter")
        assert reporter["state"] == "failed" and "isv.BUSINESS_LIMIT_CONTROL" in reporter["last_error"]  # throttled
        (deputy,) = world.deliveries(channel="sms", audience="deputy")
        assert deputy["state"] == "gave_up" and "no approved aliyun SMS template for case.registered/deputy" in \
            deputy["last_error"]
        world.send(DAYTIME + timedelta(minutes=5))
        (reporter,) = world.deliveries(channel="sms", audience="reporter")
        assert reporter["state"] == "sent"
        assert fake.config["state"]["messages"] == [{"to": "13812345678", "template": "SMS_460000001",
                                                     "values": {"tracking_code": "WG7K3M9Q2P"},
                                                     "out_id": reporter["id"]}]
        assert world.gateway["messages"] == []  # nothing through the HTTP gateway


def test_aliyun_refusals_are_given_up_with_the_providers_code(world):
    fake = aliyun_app(ALIYUN_TEMPLATES)
    with live_server(fake) as url:
        _aliyun(world, url, WANGGE_NOTIFY_ALIYUN_KEY_SECRET="wrong-secret")
        world.svc.deliver(registered(received_by={"kind": "call_taker", "id": "ct-1"}), "cases.v1")
        world.send()
        (sms,) = world.deliveries(channel="sms")
        assert sms["state"] == "gave_up" and "SignatureDoesNotMatch" in sms["last_error"]
    with live_server(aliyun_app(ALIYUN_TEMPLATES)) as url:
        _aliyun(world, url, WANGGE_NOTIFY_SMS_SIGN_NAME="未报备签名")
        world.svc.deliver(registered("rp_other", received_by={"kind": "call_taker", "id": "ct-1"}), "cases.v1")
        world.send()
        refused = [d for d in world.deliveries(channel="sms") if d["recipient_ref"] == "rp_other"]
        assert refused[0]["state"] == "gave_up" and "isv.SMS_SIGNATURE_ILLEGAL" in refused[0]["last_error"]


def _tencent(world, url):
    _use(world, WANGGE_NOTIFY_SMS_PROVIDER="tencent", WANGGE_NOTIFY_TENCENT_KEY_ID=TENCENT_KEY[0],
         WANGGE_NOTIFY_TENCENT_KEY_SECRET=TENCENT_KEY[1], WANGGE_NOTIFY_TENCENT_SDK_APP_ID=SDK_APP_ID,
         WANGGE_NOTIFY_SMS_SIGN_NAME=SIGN_NAME, WANGGE_NOTIFY_TENCENT_ENDPOINT=url,
         WANGGE_NOTIFY_SMS_TEMPLATES=json.dumps({
             "case.registered/reporter": {"id": "2001001", "params": ["tracking_code"]},
             "case.registered/deputy": {"id": "2009999", "params": ["grid_name", "tracking_code"]}}))


def test_tencent_sends_through_its_sdk_and_the_fake_checks_the_tc3_signature(world):
    fake = tencent_app(TENCENT_TEMPLATES, SDK_APP_ID, fail_with=["RequestLimitExceeded"])
    with live_server(fake) as url:
        _tencent(world, url)
        world.svc.deliver(registered(), "cases.v1")
        world.send()
        states = {d["audience"]: d for d in world.deliveries(channel="sms")}
        # the first call was throttled (retried later); the deputy's template id is not approved (given up)
        failed = [d for d in states.values() if d["state"] == "failed"]
        assert len(failed) == 1 and "RequestLimitExceeded" in failed[0]["last_error"]
        world.send(DAYTIME + timedelta(minutes=5))
        states = {d["audience"]: d for d in world.deliveries(channel="sms")}
        assert states["reporter"]["state"] == "sent"
        assert states["deputy"]["state"] == "gave_up"
        assert "TemplateIncorrectOrUnapproved" in states["deputy"]["last_error"]
        assert fake.config["state"]["messages"] == [{"to": "+8613812345678", "template": "2001001",
                                                     "values": ["WG7K3M9Q2P"],
                                                     "context": states["reporter"]["id"]}]


def test_tencent_with_a_wrong_key_is_refused_by_the_signature_check(world):
    with live_server(tencent_app(TENCENT_TEMPLATES, SDK_APP_ID)) as url:
        _tencent(world, url)
        _use(world, WANGGE_NOTIFY_TENCENT_KEY_SECRET="not-the-key")
        world.svc.deliver(registered(received_by={"kind": "call_taker", "id": "ct-1"}), "cases.v1")
        world.send()
        (sms,) = world.deliveries(channel="sms")
        assert sms["state"] == "gave_up" and "AuthFailure.SignatureFailure" in sms["last_error"]


@pytest.mark.parametrize("env, problem", [
    ({"WANGGE_NOTIFY_SMS_PROVIDER": "huawei"}, "must be one of gateway, aliyun, tencent"),
    ({"WANGGE_NOTIFY_SMS_PROVIDER": "aliyun"}, "WANGGE_NOTIFY_ALIYUN_KEY_ID"),
    ({"WANGGE_NOTIFY_SMS_PROVIDER": "tencent", "WANGGE_NOTIFY_TENCENT_KEY_ID": "a",
      "WANGGE_NOTIFY_TENCENT_KEY_SECRET": "b", "WANGGE_NOTIFY_SMS_SIGN_NAME": "c"}, "WANGGE_NOTIFY_TENCENT_SDK_APP_ID"),
    ({"WANGGE_NOTIFY_SMS_PROVIDER": "aliyun", "WANGGE_NOTIFY_ALIYUN_KEY_ID": "a", "WANGGE_NOTIFY_ALIYUN_KEY_SECRET": "b",
      "WANGGE_NOTIFY_SMS_SIGN_NAME": "c", "WANGGE_NOTIFY_SMS_TEMPLATES": "{not json"}, "is not JSON"),
    ({"WANGGE_NOTIFY_SMS_PROVIDER": "aliyun", "WANGGE_NOTIFY_ALIYUN_KEY_ID": "a", "WANGGE_NOTIFY_ALIYUN_KEY_SECRET": "b",
      "WANGGE_NOTIFY_SMS_SIGN_NAME": "c", "WANGGE_NOTIFY_SMS_TEMPLATES": '{"k": "SMS_1"}'}, "must be {"),
])
def test_a_misconfigured_provider_is_named(svc, env, problem):
    settings = dataclasses.replace(svc.settings, extra=env)
    with pytest.raises(ValueError, match=problem.replace("{", r"\{")):
        NotifySettings.from_settings(settings)


def test_numbers_are_normalised_for_each_provider():
    assert smsproviders.national_number("+86 138 1234 5678") == "13812345678"
    assert smsproviders.national_number("138-1234-5678") == "13812345678"


def test_a_providers_key_secret_can_come_from_a_secret_file(tmp_path):
    from wangge_common.settings import Settings

    secret = tmp_path / "tencent_key"
    secret.write_text("the-secret-key\n")
    settings = Settings.from_env("notify", {
        "WANGGE_VAR_DIR": str(tmp_path), "WANGGE_NOTIFY_SMS_PROVIDER": "tencent", "WANGGE_NOTIFY_TENCENT_KEY_ID": "AKID1",
        "WANGGE_NOTIFY_TENCENT_KEY_SECRET_FILE": str(secret), "WANGGE_NOTIFY_TENCENT_SDK_APP_ID": SDK_APP_ID,
        "WANGGE_NOTIFY_SMS_SIGN_NAME": SIGN_NAME, "WANGGE_NOTIFY_ALIYUN_KEY_SECRET_FILE": ""})
    account = NotifySettings.from_settings(settings).sms_account
    assert (account.provider, account.key_id, account.key_secret) == ("tencent", "AKID1", "the-secret-key")
