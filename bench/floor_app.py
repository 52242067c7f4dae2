"""The floor: the least a Flask service on this stack can do per accepted request.

POST /cases parses the JSON body and inserts one row (id, body, created_at) into a SQLite database in WAL
mode, with the pragmas and the BEGIN IMMEDIATE that intake's engine uses (wangge_common.db.make_engine),
through SQLAlchemy Core. No auth, no validation, no outbox, no metrics, no tracing: whatever intake costs
beyond this is the price of those.

    BENCH_FLOOR_DB=/tmp/floor.db gunicorn --no-control-socket --pythonpath bench 'floor_app:create_app()'
"""
from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timezone

from flask import Flask, jsonify, request
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, insert
from sqlalchemy.schema import CreateTable

from wangge_common.db import make_engine as wangge_make_engine

metadata = MetaData()
floor_cases = Table(
    "floor_cases", metadata,
    Column("id", String(36), primary_key=True),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def make_engine(path: str):
    """Exactly intake's SQLite engine (WAL, synchronous=NORMAL, busy timeout, BEGIN IMMEDIATE): one code path."""
    return wangge_make_engine(f"sqlite:///{path}")


def init_db(path: str) -> None:
    """Create the table (idempotent; safe when several workers start at once)."""
    engine = make_engine(path)
    try:
        with engine.begin() as conn:
            conn.execute(CreateTable(floor_cases, if_not_exists=True))
    finally:
        engine.dispose()


def create_app() -> Flask:
    path = os.environ["BENCH_FLOOR_DB"]
    if not os.path.exists(path):  # the bench creates it first: workers racing to switch to WAL can fail
        init_db(path)
    engine = make_engine(path)
    app = Flask("floor")

    @app.post("/cases")
    def create_case():
        data = request.get_json()  # parsed, as intake parses it; 400/415 if it is not JSON
        case_id = str(uuid.uuid4())
        with engine.begin() as conn:
            conn.execute(insert(floor_cases).values(
                id=case_id, body=json.dumps(data, ensure_ascii=False), created_at=datetime.now(timezone.utc)))
        return jsonify(id=case_id, status="registered"), 201

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app
