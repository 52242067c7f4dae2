"""Issue 17, item 7: the one-machine stack's local SMS gateway and SMTP sink, and the page showing what was sent."""
from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage

import pytest
import requests

from wangge_common.testing import browser_page, free_port
from wangge_devstack.stack import Stack


@pytest.fixture
def sink(tmp_path):
    """`python -m wangge_devstack.messages` as the stack runs it."""
    port, smtp_port = free_port(), free_port()
    errors = (tmp_path / "err").open("w")
    process = subprocess.Popen([sys.executable, "-m", "wangge_devstack.messages", "--port", str(port),
                                "--smtp-port", str(smtp_port)], env={"WANGGE_MESSAGES_TOKEN": "tok", "PATH": "/usr/bin"},
                               stdout=subprocess.DEVNULL, stderr=errors)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            socket.create_connection(("127.0.0.1", smtp_port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError((tmp_path / "err").read_text())
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}", smtp_port
    finally:
        process.terminate()  # supervisord's SIGTERM: a clean exit, as the stop-order check of make run wants
        assert process.wait(10) == 0
        errors.close()


def _mail(smtp_port, subject, text, to="jsb@town.example.cn"):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "wangge-notify@localhost", to, subject
    message.set_content(text, charset="utf-8")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as smtp:
        smtp.send_message(message)


def test_the_sink_takes_sms_and_mail_and_shows_them(sink):
    url, smtp_port = sink
    refused = requests.post(url + "/sms", json={"to": "13812345678", "text": "x"}, timeout=5)
    assert refused.status_code == 401  # the gateway asks for the stack's token, like a real one
    assert requests.post(url + "/sms", json={"to": "13812345678"}, headers={"Authorization": "Bearer tok"},
                         timeout=5).status_code == 400
    sent = {"to": "13812345678", "text": "您反映的问题已受理，受理编号WG7K3M9Q2P。<b>", "idempotency_key": "d-1"}
    for _ in range(2):  # a resend after a crash is acknowledged once
        assert requests.post(url + "/sms", json=sent, headers={"Authorization": "Bearer tok",
                                                               "Idempotency-Key": "d-1"}, timeout=5).ok
    _mail(smtp_port, "【网格通知】新工单", "镇村镇建设办：新工单（受理编号WG7K3M9Q2P）")
    listed = requests.get(url + "/api/messages", timeout=5).json()
    assert [m["text"] for m in listed["sms"]] == [sent["text"]] and listed["sms"][0]["at"]
    assert listed["mail"][0]["subject"] == "【网格通知】新工单" and listed["mail"][0]["to"] == ["jsb@town.example.cn"]
    assert "新工单（受理编号WG7K3M9Q2P）" in listed["mail"][0]["text"]
    page = requests.get(url + "/", timeout=5)
    html = page.text
    assert page.ok and 'lang="zh-CN"' in html and "短信（1 条）" in html and "邮件（1 封）" in html
    assert "13812345678" in html and "&lt;b&gt;" in html and "<b>" not in html  # content is escaped


def test_the_page_reads_on_a_phone_and_a_desk(sink, tmp_path):
    url, smtp_port = sink
    requests.post(url + "/sms", json={"to": "13900000001", "text": "韶山村网格新收民情一件（受理编号WG7K3M9Q2P）：村口路灯损坏。"
                                      "请按首问责任制跟进答复。", "idempotency_key": "d-2"},
                  headers={"Authorization": "Bearer tok"}, timeout=5)
    _mail(smtp_port, "【网格通知】县级事项待转办", "县级事项（受理编号WG7K3M9Q2P）：农贸市场售卖过期食品。拟交县市场监督管理局办理。",
          to="rd@town.example.cn")
    for width in (390, 1280):
        with browser_page({"width": width, "height": 900}) as page:
            page.goto(url + "/")
            assert page.inner_text("h1") == "本地短信与邮件"
            assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing runs off the side
            page.screenshot(path=str(tmp_path / f"messages-{width}.png"), full_page=True)
            if (shots := __import__("os").environ.get("WANGGE_SCREENSHOTS")):
                page.screenshot(path=f"{shots}/messages-{width}.png", full_page=True)


def test_make_run_points_notify_at_the_sink_unless_the_environment_names_a_gateway(tmp_path):
    base = {"PATH": "/usr/bin", "WANGGE_VAR_DIR": str(tmp_path / "var")}
    stack = Stack.from_env(base)
    env = stack.env_for("notify")
    assert stack.messages_port == 8025 and stack.messages_smtp_port == 1025
    assert env["WANGGE_NOTIFY_SMS_URL"] == "http://127.0.0.1:8025/sms"
    assert env["WANGGE_NOTIFY_SMS_TOKEN"] == stack.sms_token
    assert (env["WANGGE_NOTIFY_SMTP_HOST"], env["WANGGE_NOTIFY_SMTP_PORT"]) == ("127.0.0.1", "1025")
    assert "WANGGE_NOTIFY_SMS_URL" not in stack.env_for("intake")
    program = stack.messages_program()
    assert program.env["WANGGE_MESSAGES_TOKEN"] == stack.sms_token and "tok" not in " ".join(program.argv)
    own = Stack.from_env({**base, "WANGGE_NOTIFY_SMS_URL": "https://sms.county.gov.cn/send",
                          "WANGGE_NOTIFY_SMTP_HOST": "mail.county.gov.cn", "WANGGE_MESSAGES_PORT": "18025"})
    env = own.env_for("notify")
    assert env["WANGGE_NOTIFY_SMS_URL"] == "https://sms.county.gov.cn/send"
    assert env["WANGGE_NOTIFY_SMTP_HOST"] == "mail.county.gov.cn" and own.messages_url == "http://127.0.0.1:18025"
    # the test stack (no make run) gets free ports
    sealed = Stack(var_dir=tmp_path / "t")
    assert sealed.messages_port not in (8025, None) and sealed.env_for("notify")["WANGGE_NOTIFY_SMS_URL"].endswith(
        f":{sealed.messages_port}/sms")
