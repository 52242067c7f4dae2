"""No valid event dead-letters in notify: every type it consumes, before and after its case's registration."""
import copy
import uuid

import pytest

from notifyfakes import registered
from wangge_common import contracts
from wangge_common.crypto import FieldCipher
from wangge_common.testing import event

CONSUMED = sorted(t for (t, _), found in contracts.registry().items() if found.topic in ("cases.v1", "roster.v1"))


def example(svc, event_type: str, case_id: str):
    found = contracts.contract(event_type, 1)
    data = copy.deepcopy(found.schema["examples"][0])
    if "case_id" in data:
        data["case_id"] = case_id
    if "token_encrypted" in data:  # routing encrypts the link token with the suite's PII key
        data["token_encrypted"] = FieldCipher(svc.settings.pii_key).encrypt("tok_" + uuid.uuid4().hex)
    made = event(event_type, data.get("case_id") or str(uuid.uuid4()), data, source="/wangge/test")
    contracts.validate(made)
    return found.topic, made


@pytest.mark.parametrize("event_type", CONSUMED)
def test_every_consumed_event_is_processed_whenever_it_arrives(svc, event_type):
    case = registered()
    topic, early = example(svc, event_type, case.subject)
    assert svc.deliver(early, topic) == "processed"  # a case event overtaking the registration waits for it
    assert svc.deliver(case, "cases.v1") == "processed"  # ... and is applied then, without failing it
    topic, late = example(svc, event_type, case.subject)
    assert svc.deliver(late, topic) == "processed"
    assert svc.deliver(late, topic) == "duplicate"


def test_every_consumed_type_has_its_handler_written_out():
    from notify.consumers import HANDLERS

    assert set(HANDLERS) == set(CONSUMED)
