"""Intake's commands: one function per state change, taking the unit of work and emitting its events."""
from .amendments import supplement_case, withdraw_case
from .attachments import store_attachment
from .households import change_household, create_household, record_reception_session, record_visit
from .idempotency import (idempotency_record, is_external_clash, is_idempotency_race, is_tracking_code_clash,
                          remember_idempotent, replay_idempotent)
from .links import decide_link, link_by_hand
from .personal import erase
from .registration import (Registration, external_conflict, grid_is_known, plan_registration, register_case,
                           write_registration)

__all__ = [
    "Registration", "change_household", "create_household", "decide_link", "erase", "external_conflict",
    "grid_is_known", "idempotency_record", "is_external_clash", "is_idempotency_race", "is_tracking_code_clash",
    "link_by_hand", "plan_registration", "record_reception_session", "record_visit", "register_case",
    "remember_idempotent", "replay_idempotent", "store_attachment", "supplement_case", "withdraw_case",
    "write_registration",
]
