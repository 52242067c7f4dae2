"""Proofs an auditor checks with the package's verifier: inclusion, consistency between checkpoints, signatures."""
import base64
import json
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import delete, select, update

from wangge_common.testing import event
from reporting import commands, jobs, merkle
from reporting.queries import audit as audit_log
from reporting.models import AuditEntry, Checkpoint, MerkleNode

KEY = commands.load_signing_key(commands.new_signing_key())


def fill(svc, n):
    ids = []
    for i in range(n):
        e = event("case.teleported", f"c-{i}", {"i": i})
        svc.deliver(e, "cases.v1")
        ids.append(e.id)
    return ids


def get(svc, url):
    return svc.client.get(url, headers=svc.headers())


def sign(svc):
    with svc.runtime.db.transaction() as session:
        cp = commands.sign_checkpoint(session, KEY, datetime(2026, 11, 22, tzinfo=timezone.utc))
        return None if cp is None else cp.tree_size


def test_an_inclusion_proof_verifies_against_the_signed_root(svc):
    ids = fill(svc, 11)
    assert sign(svc) == 11
    cp = get(svc, "/v1/audit/checkpoints").json["items"][0]
    assert audit_log.checkpoint_problem(cp, trusted_key=commands.public_key_hex(KEY)) is None
    for event_id in (ids[0], ids[6], ids[10]):
        proof = get(svc, f"/v1/audit/proofs/inclusion?event_id={event_id}&tree_size=11").json
        leaf = merkle.leaf_hash(base64.b64decode(proof["entry"]))
        assert proof["root_hash"] == cp["root_hash"]
        assert merkle.verify_inclusion(proof["leaf_index"], 11, leaf, [bytes.fromhex(h) for h in proof["audit_path"]],
                                       bytes.fromhex(cp["root_hash"]))
        assert not merkle.verify_inclusion(proof["leaf_index"], 11, merkle.leaf_hash(b"{}"),
                                           [bytes.fromhex(h) for h in proof["audit_path"]],
                                           bytes.fromhex(cp["root_hash"]))


def test_the_log_only_grew_between_two_checkpoints(svc):
    fill(svc, 6)
    sign(svc)
    fill(svc, 9)
    sign(svc)
    assert sign(svc) is None  # nothing new: no new checkpoint
    first, second = get(svc, "/v1/audit/checkpoints").json["items"]
    proof = get(svc, f"/v1/audit/proofs/consistency?first={first['tree_size']}&second={second['tree_size']}").json
    path = [bytes.fromhex(h) for h in proof["proof"]]
    assert merkle.verify_consistency(6, 15, bytes.fromhex(first["root_hash"]), bytes.fromhex(second["root_hash"]), path)
    assert not merkle.verify_consistency(6, 15, bytes.fromhex(first["root_hash"]), bytes(32), path)
    assert get(svc, "/v1/audit/verify").json["valid"] is True


def test_a_forged_log_fails_the_old_checkpoint(svc):
    fill(svc, 8)
    sign(svc)
    with svc.runtime.db.transaction() as session:  # rewrite entry 3 and recompute everything after it, chain too
        session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(payload='{"forged":true}'))
    result = get(svc, "/v1/audit/verify").json
    assert result["valid"] is False and result["first_bad"]["seq"] == 3


def stored_nodes(svc):
    with svc.runtime.db.sessions() as session:
        return sorted(session.execute(select(MerkleNode.level, MerkleNode.idx)).all())


def test_only_subtrees_of_sixteen_leaves_and_more_are_stored(svc):
    fill(svc, 47)
    assert stored_nodes(svc) == [(4, 0), (4, 1), (5, 0)]
    fill(svc, 1)
    assert stored_nodes(svc) == [(4, 0), (4, 1), (4, 2), (5, 0)]


@pytest.mark.parametrize("tamper, bad_seq, reason", [
    (lambda s: s.execute(update(MerkleNode).where(MerkleNode.level == 4, MerkleNode.idx == 1)
                         .values(hash="00" * 32)), 17, "does not match"),
    (lambda s: s.execute(update(MerkleNode).where(MerkleNode.level == 5, MerkleNode.idx == 0)
                         .values(hash="00" * 32)), 1, "does not match"),
    (lambda s: s.execute(delete(MerkleNode).where(MerkleNode.level == 4, MerkleNode.idx == 2)), 33, "missing"),
    (lambda s: s.add(MerkleNode(level=4, idx=7, hash="00" * 32)), 49, "not part of the tree"),
    (lambda s: s.add(MerkleNode(level=2, idx=3, hash="00" * 32)), 13, "not part of the tree"),  # below the stored
])
def test_a_tampered_merkle_node_is_found_at_the_first_leaf_it_covers(svc, tamper, bad_seq, reason):
    fill(svc, 48)
    with svc.runtime.db.transaction() as session:
        tamper(session)
    result = get(svc, "/v1/audit/verify").json
    assert result["valid"] is False and result["first_bad"]["seq"] == bad_seq
    assert "Merkle" in result["first_bad"]["reason"] and reason in result["first_bad"]["reason"]


def test_proofs_in_a_tree_bigger_than_a_stored_block_verify(svc):
    """Sizes and positions around the 16-leaf blocks: stored nodes, recomputed runs, the right edge."""
    ids = fill(svc, 37)
    for size in (1, 15, 16, 17, 31, 32, 33, 37):
        root = bytes.fromhex(get(svc, f"/v1/audit/proofs/consistency?first={size}&second=37").json["first_root"])
        for seq in sorted({1, size // 2 + 1, size}):
            proof = get(svc, f"/v1/audit/proofs/inclusion?seq={seq}&tree_size={size}").json
            assert proof["event_id"] == ids[seq - 1] and bytes.fromhex(proof["root_hash"]) == root
            assert merkle.verify_inclusion(seq - 1, size, merkle.leaf_hash(base64.b64decode(proof["entry"])),
                                           [bytes.fromhex(h) for h in proof["audit_path"]], root)
        second = get(svc, "/v1/audit/proofs/consistency?first=37&second=37").json["second_root"]
        proof = get(svc, f"/v1/audit/proofs/consistency?first={size}&second=37").json
        assert merkle.verify_consistency(size, 37, root, bytes.fromhex(second),
                                         [bytes.fromhex(h) for h in proof["proof"]])
    assert get(svc, "/v1/audit/verify").json["valid"] is True


def test_a_proof_over_an_edited_entry_no_longer_reaches_the_signed_root(svc):
    ids = fill(svc, 20)
    sign(svc)
    signed = bytes.fromhex(get(svc, "/v1/audit/checkpoints").json["items"][0]["root_hash"])
    with svc.runtime.db.transaction() as session:  # entry 18 sits in the unstored right edge of the tree
        session.execute(update(AuditEntry).where(AuditEntry.seq == 18).values(payload='{"forged":true}'))
    proof = get(svc, f"/v1/audit/proofs/inclusion?event_id={ids[17]}&tree_size=20").json
    assert not merkle.verify_inclusion(17, 20, merkle.leaf_hash(base64.b64decode(proof["entry"])),
                                       [bytes.fromhex(h) for h in proof["audit_path"]], signed)


def test_a_checkpoint_with_a_forged_signature_is_reported(svc):
    fill(svc, 4)
    sign(svc)
    with svc.runtime.db.transaction() as session:
        session.execute(update(Checkpoint).values(root_hash="ab" * 32))
    result = get(svc, "/v1/audit/verify").json
    assert result["valid"] is False and "signature" in result["first_bad"]["reason"]


def test_proof_requests_are_checked(svc):
    fill(svc, 3)
    r = get(svc, "/v1/audit/proofs/inclusion?seq=1&tree_size=9")
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert get(svc, f"/v1/audit/proofs/inclusion?event_id={uuid.uuid4()}").status_code == 404
    assert get(svc, "/v1/audit/proofs/inclusion").status_code == 422
    assert get(svc, "/v1/audit/proofs/consistency?first=4").status_code == 422


def test_the_checkpoint_job_needs_a_key(svc):
    fill(svc, 2)
    with pytest.raises(commands.SigningKeyMissing):
        jobs.checkpoint_job(svc.runtime, datetime.now(timezone.utc))


def test_events_by_type_and_time(svc):
    fill(svc, 3)
    svc.deliver(event("case.other", "x", {}, time="2026-01-01T00:00:00Z"), "cases.v1")
    assert len(get(svc, "/v1/audit/events?type=case.other").json["items"]) == 1
    assert len(get(svc, "/v1/audit/events?until=2026-06-01T00:00:00Z").json["items"]) == 1
    assert len(get(svc, "/v1/audit/events?since=2026-06-01T00:00:00Z").json["items"]) == 3


def test_a_consistently_rewritten_log_is_caught_only_by_the_signed_checkpoint(svc):
    """The forger rewrites entry 3 and recomputes every later hash and every tree node: the chain and the tree
    hold again, but the signed root does not, and no consistency proof links the signed tree to the new one."""
    from reporting import domain
    from reporting.models import ChainHead

    fill(svc, 8)
    sign(svc)
    signed = get(svc, "/v1/audit/checkpoints").json["items"][0]
    with svc.runtime.db.transaction() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        forged = json.loads(entries[2].payload)
        forged["data"]["i"] = 200
        entries[2].payload = json.dumps(forged)
        prev, tree = domain.GENESIS, merkle.MemoryTree()
        for e in entries:
            fields = dict(seq=e.seq, topic=e.topic, partition=e.partition, offset=e.offset, event_id=e.event_id,
                          payload=e.payload)
            e.prev_hash, e.hash = prev, domain.entry_hash(prev, **fields)
            tree.append(merkle.leaf_hash(domain.entry_bytes(**fields)))
            prev = e.hash
        session.execute(delete(MerkleNode))
        session.add_all(MerkleNode(level=level, idx=idx, hash=value.hex()) for level, idx, value in tree.stored_nodes())
        session.get(ChainHead, 1).hash = prev
    result = get(svc, "/v1/audit/verify").json
    assert result["valid"] is False and result["first_bad"]["seq"] == 8
    assert "differs from the signed root" in result["first_bad"]["reason"]
    fill(svc, 3)
    proof = get(svc, "/v1/audit/proofs/consistency?first=8&second=11").json
    assert not merkle.verify_consistency(8, 11, bytes.fromhex(signed["root_hash"]),
                                         bytes.fromhex(proof["second_root"]),
                                         [bytes.fromhex(h) for h in proof["proof"]])


def test_the_export_endpoint_gives_the_same_lines_as_the_export_command(svc):
    import io

    from reporting import replay

    fill(svc, 5)
    sign(svc)
    response = get(svc, "/v1/audit/export")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    assert "audit-log.jsonl" in response.headers["Content-Disposition"]
    out = io.StringIO()
    replay.export(svc.database_url, out)
    assert response.get_data(as_text=True) == out.getvalue()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["kind"] for line in lines] == ["entry"] * 5 + ["checkpoint"]
    assert svc.client.get("/v1/audit/export").status_code == 401
    assert svc.client.get("/v1/audit/export", headers=svc.person("p-9", scopes=("cases:read",))).status_code == 403
