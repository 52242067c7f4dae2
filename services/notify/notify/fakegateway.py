"""A local fake SMS gateway (短信网关) for tests and the one-machine stack: records what it received.

Run it with `python -m notify.fakegateway --port 8199 [--token T] [--fail-first N]`; POST /sms takes
{"to", "text", "idempotency_key"} like the real adapter sends; GET /messages lists what was accepted, one entry per
idempotency key (a resend after a crash is acknowledged, not recorded twice), as a real gateway would.
"""
from __future__ import annotations

import argparse
import threading
from datetime import datetime, timezone

from flask import Flask, jsonify, request


def create_gateway(token: str | None = None, fail_first: int = 0) -> Flask:
    app = Flask("fake_sms_gateway")
    app.json.ensure_ascii = False
    lock = threading.Lock()
    state = {"messages": [], "keys": set(), "requests": 0, "fail_left": fail_first}
    app.config["gateway_state"] = state

    @app.post("/sms")
    def sms():
        if token and request.headers.get("Authorization") != f"Bearer {token}":
            return jsonify(error="bad credentials"), 401
        body = request.get_json(silent=True) or {}
        if not body.get("to") or not body.get("text"):
            return jsonify(error="to and text are required"), 400
        key = request.headers.get("Idempotency-Key") or body.get("idempotency_key")
        with lock:
            state["requests"] += 1
            if state["fail_left"] > 0:
                state["fail_left"] -= 1
                return jsonify(error="temporarily unavailable"), 503
            if key in state["keys"]:
                return jsonify(status="duplicate", idempotency_key=key), 200
            state["keys"].add(key)
            state["messages"].append({"to": body["to"], "text": body["text"], "idempotency_key": key,
                                      "received_at": datetime.now(timezone.utc).isoformat()})
        return jsonify(status="accepted", idempotency_key=key), 202

    @app.get("/messages")
    def messages():
        with lock:
            return jsonify(messages=list(state["messages"]), requests=state["requests"])

    return app


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8199)
    parser.add_argument("--token")
    parser.add_argument("--fail-first", type=int, default=0)
    args = parser.parse_args(argv)
    create_gateway(args.token, args.fail_first).run(args.host, args.port)


if __name__ == "__main__":
    main()
