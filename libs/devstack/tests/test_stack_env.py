"""`make run` gives the services the documented WANGGE_* settings (issue 17 item 6); the stack sets only what it
must, and the test stack stays sealed from the developer's shell."""
from __future__ import annotations

import json

from wangge_devstack.stack import Stack


def shell(tmp_path, **more) -> dict:
    return {"PATH": "/usr/bin", "WANGGE_VAR_DIR": str(tmp_path / "var"), "WANGGE_INTAKE_PORT": "18102",
            "WANGGE_BROKER_PORT": "19092", "WANGGE_NOTIFY_SMS_URL": "http://127.0.0.1:9/sms",
            "WANGGE_NOTIFY_QUIET_HOURS": "off", "WANGGE_LOG_LEVEL": "DEBUG", **more}


def test_make_run_passes_the_documented_settings_through(tmp_path):
    operator_key = {"name": "hotline", "sha256": "ab" * 32, "scopes": ["cases:write"]}
    stack = Stack.from_env(shell(tmp_path, WANGGE_API_KEYS=json.dumps([operator_key]),
                                 WANGGE_KAFKA_BOOTSTRAP="kafka.elsewhere:9092", WANGGE_SERVICE_KEY="not-the-stack's",
                                 WANGGE_NOTIFY_URL="http://elsewhere:1", WANGGE_INTAKE_METRICS_PORT="9400",
                                 WANGGE_PII_KEY="the-operator's-key"))
    env = stack.env_for("notify")
    assert env["WANGGE_NOTIFY_SMS_URL"] == "http://127.0.0.1:9/sms"
    assert env["WANGGE_NOTIFY_QUIET_HOURS"] == "off" and env["WANGGE_LOG_LEVEL"] == "DEBUG"
    assert env["WANGGE_PII_KEY"] == "the-operator's-key"  # a documented setting: the operator's wins
    # what the stack must set is the stack's: its broker, its services, the key whose hash it gave them
    assert env["WANGGE_KAFKA_BOOTSTRAP"] == "127.0.0.1:19092"
    assert env["WANGGE_SERVICE_KEY"] == stack.service_key and env["WANGGE_NOTIFY_URL"] == stack.url("notify")
    assert stack.url("intake") == "http://127.0.0.1:18102"
    keys = json.loads(env["WANGGE_API_KEYS"])
    assert operator_key in keys and all(entry in keys for entry in stack.key_entries)  # both work
    assert "WANGGE_INTAKE_METRICS_PORT" not in env  # relay, consumer and scheduler would fight over one port
    assert "WANGGE_REPORTING_SIGNING_KEY" not in env and "WANGGE_REPORTING_SIGNING_KEY" in stack.env_for("reporting")


def test_without_settings_the_stack_makes_its_own_keys(tmp_path):
    stack = Stack.from_env(shell(tmp_path))
    env = stack.env_for("intake")
    assert env["WANGGE_PII_KEY"] == stack.pii_key and json.loads(env["WANGGE_API_KEYS"]) == stack.key_entries


def test_the_test_stack_takes_no_setting_from_the_developers_shell(tmp_path):
    stack = Stack(var_dir=tmp_path / "var", base_env=shell(tmp_path, WANGGE_INTAKE_DATABASE_URL="postgresql://prod/x"),
                  extra_env={"WANGGE_NOTIFY_RETRY_BASE_S": "1"})
    env = stack.env_for("intake")
    assert "WANGGE_INTAKE_DATABASE_URL" not in env and "WANGGE_NOTIFY_SMS_URL" not in env
    assert env["WANGGE_NOTIFY_RETRY_BASE_S"] == "1" and env["PATH"] == "/usr/bin"
