"""Reading personal data under data keys (crypto-shredding): the cipher a record's personal fields are sealed with,
and what an erased person's records answer (410). The keys are made and destroyed by `commands.personal`."""
from __future__ import annotations

from wangge_common.crypto import DataKey as Key
from wangge_common.crypto import FieldCipher
from wangge_common.errors import DomainError

from ..models import DataKey, Household


class Erased(DomainError):
    """The person's data keys were destroyed: the data is gone for good."""

    status, title = 410, "Gone"


def cipher_of(session, data_key_id: str | None, master: FieldCipher) -> FieldCipher:
    """The cipher a record's personal fields are encrypted with: its data key, or the service's key for records
    from before data keys. Raises Erased when the key was destroyed."""
    if data_key_id is None:
        return master
    row = session.get(DataKey, data_key_id)
    if row is None or row.wrapped is None:
        erased = row.erased_at.isoformat() if row is not None and row.erased_at else "earlier"
        raise Erased(f"this person's personal data was erased ({erased}); it cannot be read any more")
    return Key.unwrap(row.wrapped, master).cipher


def household_names(session, household: Household | None, master: FieldCipher) -> list[str]:
    """The household contact's name, to redact from a case's text (none when erased or not given)."""
    if household is None or household.contact_name_enc is None:
        return []
    try:
        return [cipher_of(session, household.data_key_id, master).decrypt(household.contact_name_enc)]
    except Erased:
        return []
