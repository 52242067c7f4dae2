"""Intake's commands (one function per use case) and the handlers of the events it consumes."""
from .amendments import supplement_case, withdraw_case
from .cases import (Registration, case_history, case_ids_accepted, existing_external_case, external_conflict,
                    find_cases, get_case, grid_is_known, plan_registration, register_case, reporter_contact,
                    similar_open_cases, track, write_registration)
from .consumed import HANDLERS, on_case_event, on_grid_changed
from .households import (change_household, create_household, find_households, find_reception_sessions, find_visits,
                         household_file, household_history, record_reception_session, record_visit)
from .idempotency import (idempotency_record, is_external_clash, is_idempotency_race, is_tracking_code_clash,
                          remember_idempotent, replay_idempotent)
from .links import decide_link, link_by_hand, links_of
from .personal import case_personal, erase

__all__ = [
    "HANDLERS", "Registration", "case_history", "case_ids_accepted", "case_personal", "change_household",
    "create_household", "decide_link", "erase", "existing_external_case", "external_conflict", "find_cases",
    "find_households", "find_reception_sessions", "find_visits", "get_case", "grid_is_known", "household_file",
    "household_history", "idempotency_record", "is_external_clash", "is_idempotency_race", "is_tracking_code_clash",
    "link_by_hand", "links_of", "on_case_event", "on_grid_changed", "plan_registration", "record_reception_session",
    "record_visit", "register_case", "remember_idempotent", "replay_idempotent", "reporter_contact",
    "similar_open_cases", "supplement_case", "track", "withdraw_case", "write_registration",
]
