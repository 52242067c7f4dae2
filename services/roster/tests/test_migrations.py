"""The migration that encrypts deputies' mobiles stored in clear by the first roster schema."""

import pytest
from sqlalchemy import create_engine, text

from wangge_common import crypto, migrations
from wangge_common.settings import Settings
from wangge_common.testing import create_test_database
from roster.service import SPEC


@pytest.fixture
def database(tmp_path):
    url, drop = create_test_database("roster", tmp_path)
    yield url
    drop()


def test_clear_mobiles_are_encrypted_and_masked_by_the_upgrade(database, tmp_path, monkeypatch):
    key = crypto.new_key()
    settings = Settings.from_env("roster", {"WANGGE_VAR_DIR": str(tmp_path), "WANGGE_ROSTER_DATABASE_URL": database})
    migrations.upgrade(SPEC, settings, "8d39fa725282")
    engine = create_engine(database)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO deputies (id, kind, name, gender, level, mobile, phone_display, "
                              "specialities, capability, status, created_at, updated_at) VALUES ('d1', 'npc_deputy', "
                              "'李红梅', 'female', 'township', '13812345678', 'masked_mobile', '[]', 3, 'serving', "
                              "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        monkeypatch.delenv("WANGGE_PII_KEY", raising=False)
        with pytest.raises(RuntimeError, match="set WANGGE_PII_KEY"):
            migrations.upgrade(SPEC, settings)
        monkeypatch.setenv("WANGGE_PII_KEY", key)
        migrations.upgrade(SPEC, settings)
        with engine.connect() as conn:
            token, masked, hashed = conn.execute(text("SELECT mobile_encrypted, mobile_masked, mobile_hash "
                                                      "FROM deputies")).one()
            columns = [r[0] for r in conn.execute(text("SELECT * FROM deputies")).cursor.description]
    finally:
        engine.dispose()
    assert crypto.FieldCipher(key).decrypt(token) == "13812345678" and masked == "138****5678"
    assert "mobile" not in columns
    # b5d1e7a3c9f2 indexes the mobile by its keyed hash, so the same person registered again is found
    assert hashed == crypto.FieldCipher(key).lookup_hash("13812345678")


def test_the_upgrade_reads_the_pii_key_from_a_secret_file(database, tmp_path, monkeypatch):
    key = crypto.new_key()
    settings = Settings.from_env("roster", {"WANGGE_VAR_DIR": str(tmp_path), "WANGGE_ROSTER_DATABASE_URL": database})
    migrations.upgrade(SPEC, settings, "8d39fa725282")
    engine = create_engine(database)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO deputies (id, kind, name, gender, level, mobile, phone_display, "
                              "specialities, capability, status, created_at, updated_at) VALUES ('d1', 'npc_deputy', "
                              "'李红梅', 'female', 'township', '13812345678', 'masked_mobile', '[]', 3, 'serving', "
                              "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        (tmp_path / "pii.key").write_text(key + "\n")
        monkeypatch.delenv("WANGGE_PII_KEY", raising=False)
        monkeypatch.setenv("WANGGE_PII_KEY_FILE", str(tmp_path / "pii.key"))
        migrations.upgrade(SPEC, settings)
        with engine.connect() as conn:
            token = conn.execute(text("SELECT mobile_encrypted FROM deputies")).scalar_one()
    finally:
        engine.dispose()
    assert crypto.FieldCipher(key).decrypt(token) == "13812345678"
