"""Personal data in free text is masked before any event or stored answer (every written form of a phone, ID
numbers, e-mails, the people's own names), the original is readable by authorised staff only, and erasure
destroys the data keys so nothing of the person can be read any more."""
import pytest
from sqlalchemy import text

from intake_testkit import GRID, case_body

from wangge_common.redaction import redact

SECRETS = {  # as written -> what must not survive anywhere (the masks keep the first three and last four digits)
    "+8613579130004": "13579130004",
    "135 7913 0005": "7913 0005",
    "１３５７９１３０００７": "１３５７９１３０００７",
    "0731-55681234": "5568",
    "(0731) 5568 4321": "5568 4321",
    "someone@example.com": "someone@",
    "43038219900101123X": "19900101",
}


@pytest.mark.parametrize("written, masked", [
    ("+8613579130004", "135****0004"),
    ("+86 135-7913-0004", "135****0004"),
    ("0086 13579130004", "135****0004"),
    ("135 7913 0005", "135****0005"),
    ("135-7913-0005", "135****0005"),
    ("１３５７９１３０００７", "135****0007"),
    ("１３５　７９１３　０００７", "135****0007"),
    ("0731-55681234", "073****1234"),
    ("０７３１－５５６８１２３４", "073****1234"),
    ("(0731) 5568 1234", "073****1234"),
    ("010-12345678", "010****5678"),
    ("someone@example.com", "s***@example.com"),
    ("ｓｏｍｅｏｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "s***@example.com"),
    ("43038219900101123X", "430382********123X"),
    ("430382 19900101 1234", "430382********1234"),
    ("430382900101123", "430382*****1123"),
])
def test_every_written_form_is_masked(written, masked):
    assert redact(f"请联系{written}，谢谢") == f"请联系{masked}，谢谢"


def test_names_of_the_people_concerned_are_masked_also_the_given_name_alone():
    assert redact("我是王秀英，秀英在家，王 秀 英也行", ["王秀英"]) == "我是王*英，秀*在家，王*英也行"
    assert redact("李四家漏水", ["李四"]) == "李*家漏水"
    assert redact("Zhang Wei called", ["Zhang Wei"]) == "Z******i called"


def test_ordinary_numbers_and_text_stay_as_written():
    for ordinary in ("3号楼2单元，共18户，2026年11月20日", "订单12345678901234567890", "温度-5.5度，面积120.5平方米",
                     "第135期，编号2026-0731", "全角逗号，句号。保留"):
        assert redact(ordinary, ["王秀英"]) == ordinary


def stored_text(svc) -> str:
    """Every stored row of the tables a copy of a case's text or answer goes to, and the outbox (cases.v1)."""
    with svc.runtime.db.sessions() as session:
        parts = []
        for table in ("outbox", "cases", "case_entries", "idempotency_keys", "households"):
            parts += [str(tuple(r)) for r in session.execute(text(f"SELECT * FROM {table}"))]
    return " ".join(parts)


def test_a_case_written_full_of_personal_data_leaves_none_of_it_anywhere(gsvc):
    home = gsvc.client.post("/v1/households", headers=gsvc.headers(), json={
        "grid_id": GRID, "address": "韶山村12号", "contact": {"name": "李建华", "phone": "13700001111"}}).json
    content = ("我是王秀英，" + "，".join(SECRETS) + "，我家李建华也知道，路灯坏了")
    answer = gsvc.client.post("/v1/cases", headers=gsvc.headers(**{"Idempotency-Key": "pd-1"}),
                              json=case_body(content=content, household_id=home["id"],
                                             reporter={"name": "王秀英", "phone": "13912345678"}))
    assert answer.status_code == 201
    case = answer.json
    assert case["content"].startswith("我是王*英，135****0004，135****0005，135****0007，073****1234，")
    assert "李*华" in case["content"]
    supplement = gsvc.client.post(f"/v1/cases/{case['id']}/supplements", headers=gsvc.headers(), json={
        "reason": "秀英补充", "content_added": "新号码 139 1234 5678，邮箱 wang@example.cn"})
    assert supplement.json["content_added"] == "新号码 139****5678，邮箱 w***@example.cn"
    withdrawn = gsvc.client.post(f"/v1/cases/{case['id']}/withdrawal", headers=gsvc.headers(),
                                 json={"reason": "王秀英来电撤回 13579130004", "requested_by": "reporter"})
    assert withdrawn.status_code == 200
    events = gsvc.outbox()
    assert [e.data["reason"] for e in events if e.type == "case.withdrawn"] == ["王*英来电撤回 135****0004"]
    stored = stored_text(gsvc)
    for clear in list(SECRETS.values()) + ["王秀英", "秀英", "李建华", "wang@", "12345678"]:
        assert clear not in stored, clear
        assert clear not in answer.get_data(as_text=True), clear
    # what was written is kept, encrypted, for staff with cases:read_personal only
    original = gsvc.client.get(f"/v1/cases/{case['id']}/personal", headers=gsvc.headers())
    assert original.status_code == 200 and original.json["content"] == content
    assert original.json["reporter"]["name"] == "王秀英"
    assert original.json["supplements"][0]["content_added"] == "新号码 139 1234 5678，邮箱 wang@example.cn"
    assert gsvc.client.get(f"/v1/cases/{case['id']}/personal", headers=gsvc.headers("reader")).status_code == 403


def erase(svc, **body):
    return svc.client.post("/v1/erasures", headers=svc.headers(), json={"reason": "本人申请删除（2026-041号）", **body})


def test_erasure_destroys_the_keys_and_nothing_of_the_person_can_be_read_afterwards(gsvc):
    home = gsvc.client.post("/v1/households", headers=gsvc.headers(), json={
        "grid_id": GRID, "address": "韶山村12号", "contact": {"name": "王秀英", "phone": "13912345678"}}).json
    reporter = {"name": "王秀英", "phone": "13912345678", "email": "wang@example.cn"}
    first = gsvc.client.post("/v1/cases", headers=gsvc.headers(**{"Idempotency-Key": "er-1"}),
                             json=case_body(reporter=reporter, content="王秀英家门口13912345678路灯坏了")).json
    second = gsvc.client.post("/v1/cases", headers=gsvc.headers(), json=case_body(
        reporter={"name": "王秀英", "phone": "13912345678"}, content="秀英再次反映：下水道堵了")).json
    other = gsvc.client.post("/v1/cases", headers=gsvc.headers(), json=case_body(
        reporter={"name": "赵六", "phone": "13800000000"}, content="另一位居民的事")).json
    ref = first["reporter"]["reporter_ref"]
    assert gsvc.client.get(f"/v1/internal/reporters/{ref}/contact", headers=gsvc.headers()).status_code == 200

    assert erase(gsvc, reporter_ref=ref).status_code == 201
    refused = gsvc.client.post("/v1/erasures", headers=gsvc.headers("reader"), json={"reason": "x", "phone": "1"})
    assert refused.status_code == 403
    # erasing by phone reaches every report made with it (and the household file with that number)
    by_phone = erase(gsvc, phone="139-1234-5678", household_id=home["id"])
    assert by_phone.status_code == 201, by_phone.json
    assert set(by_phone.json["case_ids"]) == {second["id"]} and by_phone.json["household_ids"] == [home["id"]]
    assert erase(gsvc, reporter_ref=ref).status_code == 410  # already erased
    assert erase(gsvc, reporter_ref="rp_nobody").status_code == 404
    missing = gsvc.client.post("/v1/erasures", headers=gsvc.headers(), json={"reason": "x"})
    assert missing.status_code == 422 and missing.mimetype == "application/problem+json"

    erased = [e for e in gsvc.outbox() if e.type == "reporter.erased"]
    assert len(erased) == 2 and erased[0].data["case_ids"] == [first["id"]]
    assert erased[0].actor == "apikey:all" and erased[0].data["reason"] == "本人申请删除（2026-041号）"
    for case in (first, second):
        shown = gsvc.client.get(f"/v1/cases/{case['id']}", headers=gsvc.headers()).json
        assert shown["reporter"]["name"] == "已删除" and shown["reporter"]["phone"] is None
        gone = gsvc.client.get(f"/v1/cases/{case['id']}/personal", headers=gsvc.headers())
        assert gone.status_code == 410 and gone.mimetype == "application/problem+json"
        contact = gsvc.client.get(f"/v1/internal/reporters/{case['reporter']['reporter_ref']}/contact",
                                  headers=gsvc.headers())
        assert contact.status_code == 410
    household = gsvc.client.get(f"/v1/households/{home['id']}", headers=gsvc.headers()).json
    assert household["contact"] == {"name": "已删除", "phone": None}
    # the other resident is untouched
    assert gsvc.client.get(f"/v1/cases/{other['id']}/personal", headers=gsvc.headers()).json["reporter"]["name"] \
        == "赵六"
    # the ciphertext is still stored (as in any backup) but no key can open it: the service's key cannot either
    cipher = gsvc.app.extensions["wangge_runtime"].state.cipher
    with gsvc.runtime.db.sessions() as session:
        row = session.execute(text("SELECT reporter_name_enc, content_original_enc, data_key_id FROM cases "
                                   "WHERE id = :id"), {"id": first["id"]}).one()
        key = session.execute(text("SELECT wrapped, erased_by FROM data_keys WHERE id = :id"),
                              {"id": row.data_key_id}).one()
        replays = session.execute(text("SELECT count(*) FROM idempotency_keys")).scalar()
    assert row.reporter_name_enc and row.content_original_enc and key.wrapped is None and key.erased_by == "apikey:all"
    with pytest.raises(ValueError):
        cipher.decrypt(row.reporter_name_enc)
    assert replays == 0  # the stored answer that held the masks is gone
    assert "王秀英" not in stored_text(gsvc) and "13912345678" not in stored_text(gsvc)


def test_a_case_from_before_data_keys_gets_one_at_upgrade_and_can_then_be_erased_by_phone(gsvc):
    """Issue 13: cases registered before per-reporter keys kept their fields under the service's key, so erasure
    could neither find nor shred them. The migration gives each a data key; erasure then works as for any case."""
    from alembic import command
    from sqlalchemy import text

    from intake.service import SPEC
    from wangge_common import migrations
    from wangge_common.crypto import DataKey, FieldCipher

    case = gsvc.client.post("/v1/cases", headers=gsvc.headers(), json=case_body(
        reporter={"name": "孙桂兰", "phone": "13655556666"}, content="孙桂兰反映：13655556666 电话打不通村委会")).json
    supplement = gsvc.client.post(f"/v1/cases/{case['id']}/supplements", headers=gsvc.headers(),
                                  json={"content_added": "补充：新号码 13655556666", "reason": "补充"})
    assert supplement.status_code == 201, supplement.json
    master = FieldCipher(gsvc.settings.pii_key)
    fields = ("reporter_name_enc", "reporter_phone_enc", "reporter_id_number_enc", "reporter_email_enc",
              "content_original_enc")
    config = migrations.alembic_config(SPEC, gsvc.settings)
    command.downgrade(config, "6a1f3c8e2d90")  # the revision before: put the case back as it was stored then
    with gsvc.runtime.db.sessions() as session, session.begin():
        row = session.execute(text("SELECT data_key_id, " + ", ".join(fields) + " FROM cases WHERE id = :id"),
                              {"id": case["id"]}).mappings().one()
        wrapped = session.execute(text("SELECT wrapped FROM data_keys WHERE id = :k"),
                                  {"k": row["data_key_id"]}).scalar_one()
        own = DataKey.unwrap(wrapped, master).cipher
        legacy = {name: master.encrypt(own.decrypt(row[name])) for name in fields}
        session.execute(text("UPDATE cases SET data_key_id = NULL, " + ", ".join(f"{n} = :{n}" for n in fields)
                             + " WHERE id = :id"), {"id": case["id"], **legacy})
        for entry_id, sealed in session.execute(text("SELECT id, content_original_enc FROM case_entries WHERE "
                                                     "case_id = :id AND content_original_enc IS NOT NULL"),
                                                {"id": case["id"]}).all():
            session.execute(text("UPDATE case_entries SET content_original_enc = :t WHERE id = :e"),
                            {"t": master.encrypt(own.decrypt(sealed)), "e": entry_id})
        session.execute(text("DELETE FROM data_keys WHERE id = :k"), {"k": row["data_key_id"]})
    assert erase(gsvc, phone="13655556666").status_code == 404  # before the upgrade: nothing found by phone

    migrations.upgrade(SPEC, gsvc.settings)
    with gsvc.runtime.db.sessions() as session:
        key_id = session.execute(text("SELECT data_key_id FROM cases WHERE id = :id"), {"id": case["id"]}).scalar()
    assert key_id is not None
    personal = gsvc.client.get(f"/v1/cases/{case['id']}/personal", headers=gsvc.headers()).json
    assert personal["reporter"]["phone"] == "13655556666"
    assert "13655556666" in personal["supplements"][0]["content_added"]
    erased = erase(gsvc, phone="136 5555 6666")
    assert erased.status_code == 201 and erased.json["case_ids"] == [case["id"]]
    assert gsvc.client.get(f"/v1/cases/{case['id']}/personal", headers=gsvc.headers()).status_code == 410
