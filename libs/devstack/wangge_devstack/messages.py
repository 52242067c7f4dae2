"""The one-machine stack's outbox window (本地短信与邮件): a local SMS gateway and an SMTP sink, and a page showing
everything notify sent through them, the way MailHog shows mail. `make run` starts it and points notify at it, so a
newcomer sees the messages a case causes; nothing leaves the machine.

`python -m wangge_devstack.messages --port 8025 --smtp-port 1025` (token: `--token` or $WANGGE_MESSAGES_TOKEN):
- `POST /sms` is the SMS gateway notify's `gateway` adapter calls (notify.fakegateway: one entry per idempotency
  key, like a real gateway);
- SMTP on `--smtp-port` (aiosmtpd) keeps every message;
- `GET /` the page (Chinese, newest first, refreshed every 5 s), `GET /api/messages` the same as JSON.
Everything is kept in memory: a restart empties it.
"""
from __future__ import annotations

import argparse
import email
import os
import signal
import email.policy
import threading

from aiosmtpd.controller import Controller
from flask import jsonify, render_template_string
from notify.fakegateway import create_gateway
from wangge_common import clock
from werkzeug.serving import make_server

class Mailbox:
    """aiosmtpd handler keeping every message it was given, decoded for reading."""

    def __init__(self):
        self.lock, self.messages = threading.Lock(), []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain", "html"))
        with self.lock:
            self.messages.append({"at": _now(), "from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                  "subject": str(parsed.get("Subject", "")),
                                  "message_id": str(parsed.get("Message-ID", "")),
                                  "text": body.get_content().strip() if body is not None else ""})
        return "250 OK"


def _now() -> str:
    return clock.local_text(clock.now(), "%Y-%m-%d %H:%M:%S")


def _local(moment: str) -> str:
    return clock.local_text(moment, "%Y-%m-%d %H:%M:%S")


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5"><title>本地短信与邮件 · 网格（开发环境）</title>
<style>
 body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; margin: 0; background: #f6f6f3; color: #222; }
 main { max-width: 64rem; margin: 0 auto; padding: 1rem; }
 h1 { font-size: 1.35rem; color: #9b1c1c; margin: .5rem 0; } h2 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
 p.note { color: #555; font-size: .9rem; margin: .25rem 0; }
 .item { background: #fff; border-radius: .4rem; padding: .6rem .9rem; margin: .5rem 0; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
 .meta { color: #666; font-size: .85rem; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
 .text { white-space: pre-wrap; overflow-wrap: anywhere; margin-top: .3rem; }
 .empty { color: #888; }
</style></head><body><main>
<h1>本地短信与邮件</h1>
<p class="note">开发环境（make run）：通知服务发出的短信和邮件都送到这里，不会发给任何真实号码或邮箱。本页每 5 秒刷新。</p>
<p class="note">短信网关 {{ sms_url }} · 邮件服务器（SMTP）{{ smtp }} · 数据接口 /api/messages</p>
<h2>短信（{{ sms|length }} 条）</h2>
{% for m in sms %}<div class="item"><div class="meta"><span>收信号码：{{ m.to }}</span><span>时间：{{ m.at }}</span></div>
<div class="text">{{ m.text }}</div></div>{% else %}<p class="empty">还没有短信。</p>{% endfor %}
<h2>邮件（{{ mail|length }} 封）</h2>
{% for m in mail %}<div class="item"><div class="meta"><span>收件人：{{ m.to|join("，") }}</span><span>发件人：{{ m["from"] }}</span>
<span>时间：{{ m.at }}</span></div><div><strong>{{ m.subject }}</strong></div><div class="text">{{ m.text }}</div></div>
{% else %}<p class="empty">还没有邮件。</p>{% endfor %}
</main></body></html>"""


def create_app(mailbox: Mailbox, *, token: str | None, smtp_address: str):
    """The gateway (notify.fakegateway) with the page and the JSON beside it."""
    app = create_gateway(token=token)
    state = app.config["gateway_state"]

    def sms() -> list[dict]:
        return [{**m, "at": _local(m["received_at"])} for m in reversed(list(state["messages"]))]

    def mail() -> list[dict]:
        with mailbox.lock:
            return list(reversed(mailbox.messages))

    @app.get("/")
    def page():
        return render_template_string(PAGE, sms=sms(), mail=mail(), sms_url="/sms", smtp=smtp_address)

    @app.get("/api/messages")
    def all_messages():
        return jsonify(sms=sms(), mail=mail())

    return app


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--token", default=os.environ.get("WANGGE_MESSAGES_TOKEN"),
                        help="the bearer token the gateway asks for (default: $WANGGE_MESSAGES_TOKEN)")
    args = parser.parse_args(argv)
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname=args.host, port=args.smtp_port)
    smtp.start()
    try:
        app = create_app(mailbox, token=args.token, smtp_address=f"{args.host}:{args.smtp_port}")
        server = make_server(args.host, args.port, app, threaded=True)
        # supervisord stops programs with SIGTERM: finish cleanly (exit status 0), like the other programs
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
        server.serve_forever()
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
