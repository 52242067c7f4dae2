"""Intake's reads for the API and pages."""
from .cases import (case_history, case_ids_accepted, case_personal, existing_external_case, find_cases,
                    get_attachment, get_case, links_of, reporter_contact, similar_open_cases, track)
from .households import find_households, find_reception_sessions, find_visits, household_file, household_history

__all__ = [
    "case_history", "case_ids_accepted", "case_personal", "existing_external_case", "find_cases",
    "find_households", "find_reception_sessions", "find_visits", "get_attachment", "get_case", "household_file",
    "household_history", "links_of", "reporter_contact", "similar_open_cases", "track",
]
