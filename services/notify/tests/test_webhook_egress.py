"""Webhooks reach public addresses only (issue 13.7): refused at subscription, checked again at every send on the
address the name resolves to then (DNS rebinding), connected to that checked address, and never redirected."""
import socket

import pytest
from flask import Flask, request

from notify import egress
from notifyfakes import configure, registered
from wangge_common.testing import live_server

SECRET = "s3cret-for-the-receiver-0123456789"
REAL_GETADDRINFO = socket.getaddrinfo
PUBLIC = "93.184.215.14"


@pytest.fixture
def dns(monkeypatch):
    """A resolver the test controls for names under .wangge.test; every other name resolves as usual."""
    answers = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".wangge.test"):
            if host not in answers:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                     (a, port) if ":" not in a else (a, port, 0, 0)) for a in answers[host]]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def allow(world, networks: str | None):
    """Set (or with None remove) the allow-list, as the operator's environment would."""
    extra = {k: v for k, v in world.svc.runtime.settings.extra.items() if k != "WANGGE_NOTIFY_WEBHOOK_ALLOWED_NETWORKS"}
    if networks is not None:
        extra["WANGGE_NOTIFY_WEBHOOK_ALLOWED_NETWORKS"] = networks
    configure(world.svc, extra=extra)


def subscribe(svc, url):
    return svc.client.post("/v1/webhooks", json={"name": "综治中心", "url": url, "event_types": ["case.registered"],
                                                 "secret": SECRET}, headers=svc.headers())


class Listener:
    """A local HTTP endpoint that records each request's Host header and answers `status` (and `location`)."""

    def __init__(self, status=204, location=None):
        self.hits, self.status, self.location = [], status, location
        self.app = Flask("listener")
        self.app.add_url_rule("/hook", "hook", self.hook, methods=["POST", "GET"])

    def hook(self):
        self.hits.append(request.headers.get("Host"))
        return "", self.status, ({"Location": self.location} if self.location else {})


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8405/v1/audit/events",  # the address the attack used
    "http://localhost:8405/v1/audit/events",
    "http://10.20.30.40/hook", "http://192.168.1.10/hook", "http://172.16.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[::1]:8405/hook", "http://[fd00::1]/hook",
    "http://0.0.0.0:8405/hook", "http://100.64.0.1/hook",
])
def test_non_public_addresses_are_refused_at_subscription(svc, url):
    answer = subscribe(svc, url)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json", answer.json
    (error,) = answer.json["errors"]
    assert error["field"] == "url" and "WANGGE_NOTIFY_WEBHOOK_ALLOWED_NETWORKS" in error["reason"]
    assert svc.client.get("/v1/webhooks", headers=svc.headers()).json == []


def test_a_name_resolving_to_a_private_address_is_refused_and_so_is_a_patch_to_one(svc, dns):
    dns["intranet.wangge.test"] = [PUBLIC, "10.0.0.7"]  # one bad answer among good ones is enough to refuse
    refused = subscribe(svc, "https://intranet.wangge.test/hook")
    assert refused.status_code == 422 and "10.0.0.7 is a private address" in refused.json["errors"][0]["reason"]
    created = subscribe(svc, f"https://{PUBLIC}/hook")
    assert created.status_code == 201, created.json
    patched = svc.client.patch(f"/v1/webhooks/{created.json['id']}", json={"url": "http://127.0.0.1:9/hook"},
                               headers=svc.headers())
    assert patched.status_code == 422 and patched.json["errors"][0]["field"] == "url"
    shown = svc.client.get(f"/v1/webhooks/{created.json['id']}", headers=svc.headers()).json
    assert shown["url"] == f"https://{PUBLIC}/hook"


def test_public_and_not_yet_resolvable_names_are_accepted(svc, dns):
    dns["zongzhi.wangge.test"] = [PUBLIC]
    assert subscribe(svc, "https://zongzhi.wangge.test/hooks/wangge").status_code == 201
    assert subscribe(svc, "https://not-yet-in-dns.wangge.test/hook").status_code == 201  # checked at every send


def test_the_allow_list_admits_the_networks_it_names_only(world):
    allow(world, "127.0.0.0/8, 10.20.0.0/16")
    assert subscribe(world.svc, "http://127.0.0.1:9/hook").status_code == 201
    assert subscribe(world.svc, "http://10.20.30.40/hook").status_code == 201
    assert subscribe(world.svc, "http://10.21.0.1/hook").status_code == 422
    assert subscribe(world.svc, "http://169.254.169.254/").status_code == 422


def test_a_name_rebound_to_loopback_after_subscription_is_not_reached(world, dns):
    allow(world, None)
    listener = Listener()
    with live_server(listener.app) as url:
        port = url.rsplit(":", 1)[1]
        dns["rebind.wangge.test"] = [PUBLIC]
        assert subscribe(world.svc, f"http://rebind.wangge.test:{port}/hook").status_code == 201
        dns["rebind.wangge.test"] = ["127.0.0.1"]  # the attacker's DNS answers differently at send time
        world.svc.deliver(registered(), "cases.v1")
        world.send()
    assert listener.hits == []
    (delivery,) = world.deliveries(channel="webhook")
    assert delivery["state"] == "failed" and "127.0.0.1 is a loopback address" in delivery["last_error"]


def test_the_connection_goes_to_the_checked_address_under_the_subscribed_name(world, dns):
    allow(world, "127.0.0.1/32")
    listener = Listener()
    with live_server(listener.app) as url:
        port = url.rsplit(":", 1)[1]
        dns["receiver.wangge.test"] = ["127.0.0.1"]
        assert subscribe(world.svc, f"http://receiver.wangge.test:{port}/hook").status_code == 201
        world.svc.deliver(registered(), "cases.v1")
        world.send()
    assert listener.hits == [f"receiver.wangge.test:{port}"]
    assert {d["state"] for d in world.deliveries(channel="webhook")} == {"sent"}


def test_redirects_are_not_followed(world):
    allow(world, "127.0.0.0/8")
    target = Listener()
    with live_server(target.app) as target_url:
        redirector = Listener(status=307, location=target_url + "/hook")
        with live_server(redirector.app) as url:
            assert subscribe(world.svc, url + "/hook").status_code == 201
            world.svc.deliver(registered(), "cases.v1")
            world.send()
    assert len(redirector.hits) == 1 and target.hits == []
    (delivery,) = world.deliveries(channel="webhook")
    assert delivery["state"] == "failed" and "307 (redirects are not followed)" in delivery["last_error"]


def test_ipv4_mapped_ipv6_addresses_are_judged_as_the_ipv4_address_they_carry():
    mapped = egress.ipaddress.ip_address("::ffff:127.0.0.1")
    assert egress.refusal(mapped, ()) == "::ffff:7f00:1 is a loopback address"
    assert egress.refusal(egress.ipaddress.ip_address("::ffff:" + PUBLIC), ()) is None


def test_the_allow_list_setting_is_checked():
    assert egress.parse_networks(" 127.0.0.0/8 ,::1") == (egress.ipaddress.ip_network("127.0.0.0/8"),
                                                        egress.ipaddress.ip_network("::1/128"))
    with pytest.raises(ValueError, match="WANGGE_NOTIFY_WEBHOOK_ALLOWED_NETWORKS"):
        egress.parse_networks("loopback")
