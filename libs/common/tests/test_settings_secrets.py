"""Secrets passed as files (Docker and Kubernetes secrets): NAME_FILE, and the database password apart from the URL."""
import pytest

from wangge_common.settings import Settings, secret


def test_a_secret_file_gives_the_value_without_its_trailing_newline(tmp_path):
    (tmp_path / "pii").write_text("key-one,key-two\n")
    (tmp_path / "service").write_text("wg_service\n")
    (tmp_path / "signing").write_text("ab" * 32 + "\n")
    settings = Settings.from_env("reporting", {
        "WANGGE_VAR_DIR": str(tmp_path), "WANGGE_PII_KEY_FILE": str(tmp_path / "pii"),
        "WANGGE_SERVICE_KEY_FILE": str(tmp_path / "service"),
        "WANGGE_REPORTING_SIGNING_KEY_FILE": str(tmp_path / "signing")})
    assert settings.pii_key == "key-one,key-two"
    assert settings.service_key == "wg_service"
    # reporting's checkpoint job and notify's config read their keys from `extra`: the file's value is there.
    assert settings.extra["WANGGE_REPORTING_SIGNING_KEY"] == "ab" * 32


def test_notify_reads_its_sms_token_from_a_file(tmp_path):
    (tmp_path / "sms").write_text("token-123\n")
    settings = Settings.from_env("notify", {"WANGGE_VAR_DIR": str(tmp_path),
                                            "WANGGE_NOTIFY_SMS_TOKEN_FILE": str(tmp_path / "sms")})
    assert settings.extra["WANGGE_NOTIFY_SMS_TOKEN"] == "token-123"


def test_the_plain_variable_still_works_and_both_at_once_is_refused(tmp_path):
    (tmp_path / "pii").write_text("from-file")
    assert Settings.from_env("intake", {"WANGGE_PII_KEY": "plain"}).pii_key == "plain"
    with pytest.raises(ValueError, match="set WANGGE_PII_KEY or WANGGE_PII_KEY_FILE, not both"):
        Settings.from_env("intake", {"WANGGE_PII_KEY": "plain", "WANGGE_PII_KEY_FILE": str(tmp_path / "pii")})


def test_a_missing_secret_file_is_named_in_the_error(tmp_path):
    with pytest.raises(ValueError, match=r"WANGGE_SERVICE_KEY_FILE: cannot read .*nowhere"):
        Settings.from_env("intake", {"WANGGE_SERVICE_KEY_FILE": str(tmp_path / "nowhere")})


def test_the_database_password_comes_from_a_file_and_needs_no_url_escaping(tmp_path):
    (tmp_path / "pg").write_text("p@ss:w/rd%\n")
    settings = Settings.from_env("intake", {
        "WANGGE_INTAKE_DATABASE_URL": "postgresql://wangge@postgres:5432/intake",
        "WANGGE_DATABASE_PASSWORD_FILE": str(tmp_path / "pg")})
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    assert (url.username, url.password, url.host, url.database) == ("wangge", "p@ss:w/rd%", "postgres", "intake")
    assert "p@ss" not in settings.database_url  # escaped in the URL, so no parser splits it at the "@"


def test_a_per_service_database_password_wins_over_the_shared_one(tmp_path):
    settings = Settings.from_env("routing", {
        "WANGGE_ROUTING_DATABASE_URL": "postgresql://routing:old@db/routing",
        "WANGGE_ROUTING_DATABASE_PASSWORD": "own", "WANGGE_DATABASE_PASSWORD": "shared"})
    from sqlalchemy.engine import make_url

    assert make_url(settings.database_url).password == "own"


def test_a_password_for_sqlite_is_a_configuration_error(tmp_path):
    with pytest.raises(ValueError, match="SQLite"):
        Settings.from_env("intake", {"WANGGE_VAR_DIR": str(tmp_path), "WANGGE_DATABASE_PASSWORD": "x"})


def test_secret_without_either_variable_is_none():
    assert secret({}, "WANGGE_PII_KEY") is None


def test_metrics_host_defaults_to_loopback_and_can_be_opened_for_containers():
    assert Settings.from_env("intake", {}).metrics_host == "127.0.0.1"
    assert Settings.from_env("intake", {"WANGGE_METRICS_HOST": "0.0.0.0"}).metrics_host == "0.0.0.0"
