"""Contact households (双联系) and their meetings, version 1."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import actor, requires
from wangge_common.http import runtime

from wangge_common import clock

from .. import domain
from ..commands import contacts as commands
from ..queries import contacts as queries
from ..schemas.contacts import (ContactLinkIn, ContactLinkOut, ContactListQuery, ContactReportOut, ContactReportQuery,
                                ContactUnlinkIn, MeetingIn, MeetingOut, MeetingQuery)
from .scope import deputy_of_grids


blp = Blueprint("contact-households", __name__, url_prefix="/v1",
                description="Contact households (双联系): ≥ 3 per deputy, one of each kind, met ≥ twice a year")


@blp.route("/deputies/<uuid:deputy_id>/contact-households")
class DeputyLinks(MethodView):
    @requires("roster:read")
    @blp.arguments(ContactListQuery, location="query")
    @blp.response(200, ContactLinkOut(many=True))
    def get(self, query, deputy_id):
        """A deputy's contact households, with this year's meeting count; a person limited to grids reads the
        deputies of those grids only."""
        with runtime().db.reads() as session:
            deputy_of_grids(session, str(deputy_id))
            return queries.links_of(session, str(deputy_id), query.get("year"))

    @requires("roster:admin")
    @blp.arguments(ContactLinkIn, example={"kind": "household_in_difficulty", "household": "王秀英户",
                                           "grid_id": "9a000000-0000-4000-8000-000000000003",
                                           "linked_on": "2026-03-01"})
    @blp.response(201, ContactLinkOut)
    def post(self, data, deputy_id):
        """Link a household to a deputy; emits contact_household.linked."""
        with runtime().unit_of_work(actor=actor()) as uow:
            deputy_of_grids(uow.session, str(deputy_id))
            row = commands.link(uow, str(deputy_id), data)
            columns = ("id", "deputy_id", "kind", "household", "grid_id", "linked_on", "ended_on")
            return {**{c: getattr(row, c) for c in columns}, "meetings_this_year": 0,
                    "kind_zh": domain.CONTACT_KIND_NAMES_ZH[row.kind]}


@blp.route("/contact-households/<uuid:link_id>/end")
class LinkEnd(MethodView):
    @requires("roster:admin")
    @blp.arguments(ContactUnlinkIn, example={"reason": "户主迁出本村", "ended_on": "2026-10-01"})
    @blp.response(200, ContactLinkOut)
    def post(self, data, link_id):
        """End a contact (the household moved away, say); emits contact_household.unlinked."""
        with runtime().unit_of_work(actor=actor()) as uow:
            deputy_of_grids(uow.session, queries.get_link(uow.session, str(link_id)).deputy_id)
            row = commands.unlink(uow, str(link_id), **data)
            return next(r for r in queries.links_of(uow.session, row.deputy_id) if r["id"] == row.id)


@blp.route("/contact-households/<uuid:link_id>/meetings")
class Meetings(MethodView):
    @requires("roster:read")
    @blp.arguments(MeetingQuery, location="query")
    @blp.response(200, MeetingOut(many=True))
    def get(self, query, link_id):
        """The meetings recorded with one contact household (of one year, when given), oldest first."""
        with runtime().db.reads() as session:
            deputy_of_grids(session, queries.get_link(session, str(link_id)).deputy_id)
            return queries.meetings_of(session, str(link_id), query.get("year"))

    @requires("roster:admin", "duty:record")
    @blp.arguments(MeetingIn, example={"met_on": "2026-06-15", "summary": "了解春耕用工困难，协调农技站上门指导"})
    @blp.response(201, MeetingOut)
    def post(self, data, link_id):
        """Record a meeting with a contact household (township staff, or the deputy with their own token: scope
        duty:record); emits contact_meeting.recorded."""
        with runtime().unit_of_work(actor=actor()) as uow:
            deputy_of_grids(uow.session, queries.get_link(uow.session, str(link_id)).deputy_id)
            return commands.record_meeting(uow, str(link_id), data)


@blp.route("/contact-households/report")
class Report(MethodView):
    @requires("roster:read")
    @blp.arguments(ContactReportQuery, location="query")
    @blp.response(200, ContactReportOut)
    def get(self, query):
        """Deputies below 3 links, missing a kind, or with a household met fewer than twice in the year."""
        with runtime().db.reads() as session:
            return queries.report(session, year=query.get("year") or clock.local_date(clock.now()).year,
                                   township_id=str(query["township_id"]) if query.get("township_id") else None)
