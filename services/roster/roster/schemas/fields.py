"""Field factories and validators the roster's schemas share."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from .. import domain


def check_mobile(value: str) -> None:
    if not domain.MOBILE.match(value):
        raise ValidationError("must be an 11-digit mainland mobile number starting with 1 (e.g. 13812345678)")


PHONE_DISPLAY_DOC = "which public contact the notice prints, as the deputy agreed: office (their office number) or station (the liaison station's number); the mobile is never published (masked_mobile: old name of station)"


def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank (only spaces)")


def check_id_number(value: str) -> None:
    problem = domain.id_number_problem(value)
    if problem:
        raise ValidationError(problem)


def Name(size: int, **kwargs):  # noqa: N802 - a field factory: a name of at least one character that is not a space
    return fields.String(validate=[validate.Length(1, size), not_blank], **kwargs)


ExternalId = lambda: fields.String(  # noqa: E731 - a field factory
    allow_none=True, validate=[validate.Length(1, 100), not_blank],
    metadata={"description": "the integrator's own id (ref): an import matches its rows by it before anything else"})


def check_office_phone(value: str) -> None:
    if not domain.OFFICE_PHONE.match(value):
        raise ValidationError("must be an area code and number, e.g. 0731-55681234")


HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="must be a time of day as HH:MM, e.g. 14:30")
