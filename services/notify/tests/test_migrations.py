"""The deliveries migration keeps every inbox message written before it, and the models match the migrations."""
import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from wangge_common import migrations
from wangge_common.settings import Settings
from wangge_common.testing import create_test_database
from notify.service import SPEC

INITIAL = "3690aee0fb34"


def test_inbox_messages_survive_the_move_to_deliveries_and_back(tmp_path):
    url, drop = create_test_database("notify", tmp_path)
    settings = Settings.from_env("notify", {"WANGGE_VAR_DIR": str(tmp_path), "WANGGE_NOTIFY_DATABASE_URL": url})
    engine = create_engine(url)
    try:
        migrations.upgrade(SPEC, settings, INITIAL)
        note_id = str(uuid.uuid4())
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO notifications (id, cause_event_id, case_id, recipient_ref, audience, channel, template,"
                " body, state) VALUES (:id, :cause, NULL, 'rp_abc', 'reporter', 'inbox', 'case.triaged.manual/reporter',"
                " '正在由工作人员梳理分办', 'sent')"), {"id": note_id, "cause": str(uuid.uuid4())})
        migrations.upgrade(SPEC, settings)
        command.check(migrations.alembic_config(SPEC, settings))  # raises when the models drift from migrations
        with engine.connect() as conn:
            row = conn.execute(text("SELECT event_type, state, attempts, body FROM deliveries WHERE id = :id"),
                               {"id": note_id}).one()
        assert tuple(row) == ("case.triaged", "sent", 1, "正在由工作人员梳理分办")
        command.downgrade(migrations.alembic_config(SPEC, settings), INITIAL)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT body FROM notifications WHERE id = :id"),
                                {"id": note_id}).scalar_one() == "正在由工作人员梳理分办"
    finally:
        engine.dispose()
        drop()


def test_the_meaning_key_backfills_the_earliest_registered_message_and_refuses_a_second(tmp_path):
    url, drop = create_test_database("notify", tmp_path)
    settings = Settings.from_env("notify", {"WANGGE_VAR_DIR": str(tmp_path), "WANGGE_NOTIFY_DATABASE_URL": url})
    engine = create_engine(url)
    insert = text("INSERT INTO deliveries (id, cause_event_id, event_type, case_id, audience, recipient_ref, channel,"
                  " template, template_version, body, urgent, state, attempts, next_attempt_at, created_at,"
                  " updated_at, meaning_key) VALUES (:id, :cause, 'case.registered', :case, 'reporter', 'rp_abc',"
                  " 'sms', 'case.registered/reporter', 0, '已受理', false, 'sent', 1, :at, :at, :at, :key)")
    case_id, first, second = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    try:
        migrations.upgrade(SPEC, settings, "0df016df741e")
        with engine.begin() as conn:
            for row_id, at in ((first, "2026-12-01 08:00:00"), (second, "2026-12-01 08:00:05")):  # a resend, sent
                conn.execute(text(str(insert).replace(", meaning_key)", ")").replace(", :key)", ")")),
                             {"id": row_id, "cause": str(uuid.uuid4()), "case": case_id, "at": at})
        migrations.upgrade(SPEC, settings)
        with engine.connect() as conn:
            keys = dict(conn.execute(text("SELECT id, meaning_key FROM deliveries")).all())
        assert keys == {first: f"case.registered:{case_id}", second: None}
        with pytest.raises(IntegrityError), engine.begin() as conn:  # the key holds against a concurrent writer
            conn.execute(insert, {"id": str(uuid.uuid4()), "cause": str(uuid.uuid4()), "case": case_id,
                                  "at": "2026-12-02 08:00:00", "key": f"case.registered:{case_id}"})
    finally:
        engine.dispose()
        drop()
