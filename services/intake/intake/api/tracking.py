"""Intake HTTP API: the resident's tracking look-up (进度查询), public and rate-limited."""
from __future__ import annotations


from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import public

from .. import queries
from .common import (reads)
from ..schemas import (TrackOut)


tracking = Blueprint("tracking", __name__, url_prefix="/v1/track",
                     description="Status for residents (进度查询), public and rate-limited; no personal data")


# --- tracking -----------------------------------------------------------------------------------------------
@tracking.route("/<string:tracking_code>")
class Track(MethodView):
    @public
    @tracking.response(200, TrackOut)
    @tracking.alt_response(429, description="too many look-ups from this client address")
    @tracking.doc(security=[])
    def get(self, tracking_code):
        """A case's progress for the resident: received, assigned, answered, evaluated, closed. No personal data."""
        with reads() as session:
            return queries.track(session, tracking_code)
