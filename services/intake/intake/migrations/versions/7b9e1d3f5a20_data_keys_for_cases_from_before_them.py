"""data keys for cases registered before data keys: every reporter's fields re-encrypted under a key of their own

Revision ID: 7b9e1d3f5a20
Revises: 6a1f3c8e2d90
Create Date: 2026-12-06 04:30:00

Cases registered before per-reporter data keys kept the reporter's name, phone, ID number, e-mail and the original
text under the service's key (WANGGE_PII_KEY): erasure could neither find them by phone nor shred them. Here each
such case gets a data key as a registration now does (kind `reporter`, or `case` for an anonymous report whose text
held personal data), with the keyed hash of the phone; its fields and its supplements' original texts are
re-encrypted under it. Needs WANGGE_PII_KEY when there are such cases. The downgrade leaves the keys in place
(the fields stay readable through them).
"""
from typing import Sequence, Union
import uuid
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

from intake.domain import phone_digits
from wangge_common.crypto import DataKey, FieldCipher
from wangge_common.migrations import migration_secret

revision: str = '7b9e1d3f5a20'
down_revision: Union[str, Sequence[str], None] = '6a1f3c8e2d90'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CASE_FIELDS = ("reporter_name_enc", "reporter_phone_enc", "reporter_id_number_enc", "reporter_email_enc",
               "content_original_enc")


def upgrade() -> None:
    bind = op.get_bind()
    legacy = bind.execute(sa.text(
        "SELECT id, reporter_ref, " + ", ".join(CASE_FIELDS) + " FROM cases WHERE data_key_id IS NULL AND "
        "(reporter_ref IS NOT NULL OR content_original_enc IS NOT NULL)")).mappings().all()
    if not legacy:
        return
    keys = migration_secret("WANGGE_PII_KEY")
    if not keys:
        raise RuntimeError("cases from before data keys exist: set WANGGE_PII_KEY so this migration can give each "
                           "reporter a data key of their own")
    master = FieldCipher(keys)
    now = datetime.now(timezone.utc)
    for case in legacy:
        key = DataKey.new()
        phone = master.decrypt(case["reporter_phone_enc"])
        key_id = "dk_" + uuid.uuid4().hex
        bind.execute(sa.text(
            "INSERT INTO data_keys (id, kind, subject_ref, phone_hash, wrapped, created_at) "
            "VALUES (:id, :kind, :ref, :hash, :wrapped, :at)"),
            {"id": key_id, "kind": "reporter" if case["reporter_ref"] else "case",
             "ref": case["reporter_ref"] or case["id"], "hash": master.lookup_hash(phone_digits(phone)),
             "wrapped": key.wrap(master), "at": now})
        sealed = {name: key.cipher.encrypt(master.decrypt(case[name])) for name in CASE_FIELDS}
        bind.execute(sa.text("UPDATE cases SET data_key_id = :key, " + ", ".join(f"{n} = :{n}" for n in CASE_FIELDS)
                             + " WHERE id = :id"), {"key": key_id, "id": case["id"], **sealed})
        for entry_id, text in bind.execute(sa.text(
                "SELECT id, content_original_enc FROM case_entries WHERE case_id = :id AND "
                "content_original_enc IS NOT NULL"), {"id": case["id"]}).all():
            bind.execute(sa.text("UPDATE case_entries SET content_original_enc = :t WHERE id = :e"),
                         {"t": key.cipher.encrypt(master.decrypt(text)), "e": entry_id})


def downgrade() -> None:
    pass  # the re-encrypted fields stay under their data keys, which the code before this revision also reads
