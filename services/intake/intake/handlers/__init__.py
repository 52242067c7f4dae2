"""Intake's commands (one function per use case) and the handlers of the events it consumes."""
from .cases import (Registration, case_history, case_ids_accepted, decide_link, existing_external_case, external_conflict, find_cases, get_case, grid_is_known, link_by_hand, links_of,
                    plan_registration, register_case, reporter_contact, similar_open_cases, supplement_case, track,
                    withdraw_case, write_registration)
from .consumed import HANDLERS, on_case_event, on_grid_changed
from .households import (change_household, create_household, household_history, find_households, find_reception_sessions, find_visits, household_file,
                         record_reception_session, record_visit)
from .personal import case_personal, erase
from .idempotency import (idempotency_record, is_external_clash, is_idempotency_race, is_tracking_code_clash,
                          remember_idempotent, replay_idempotent)

__all__ = [
    "HANDLERS", "Registration", "case_history", "case_ids_accepted", "case_personal", "existing_external_case", "external_conflict", "erase", "change_household", "create_household", "household_history", "decide_link", "find_cases", "find_households",
    "find_reception_sessions", "find_visits", "get_case", "grid_is_known", "household_file", "idempotency_record",
    "is_external_clash", "is_idempotency_race", "is_tracking_code_clash", "link_by_hand", "links_of", "on_case_event",
    "on_grid_changed", "plan_registration",
    "record_reception_session", "record_visit", "register_case", "remember_idempotent", "replay_idempotent",
    "reporter_contact", "similar_open_cases", "supplement_case", "track", "withdraw_case", "write_registration",
]
