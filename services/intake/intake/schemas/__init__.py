"""Marshmallow schemas of intake's requests and answers, by use case."""
from .cases import (  # noqa: F401
    Reporter, ReceivedBy, ExternalRef, Location, Attachment, CaseIn, MaskedReporter, CaseOut, CaseQuery, BulkIn, BulkItem, BulkOut, SupplementIn, WithdrawIn, EntryOut, ContactOut, CaseSummary, LinkOut, LinkIn, LinkDecisionIn, TrackStep, TrackOut, ReporterPersonalOut, SupplementPersonalOut, CasePersonalOut, ErasureIn, ErasureOut, SimilarQuery, SimilarOut, MOBILE_OR_LANDLINE, SPECIAL_GROUPS_DOC,
)
from .households import (  # noqa: F401
    Member, Contact, HouseholdIn, HouseholdChangeIn, HouseholdChangeOut, HouseholdOut, VisitSummary, HouseholdFileOut, HouseholdQuery, VisitIn, VisitOut, VisitQuery, OnDuty, ReceptionSessionIn, ReceptionSessionOut, ReceptionQuery,
)
