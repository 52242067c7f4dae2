"""Personal data: the authorised read of what redaction masked, and erasure (crypto-shredding), version 1."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from wangge_common.auth import requires
from wangge_common.http import runtime

from .. import commands, queries
from .common import IDEMPOTENCY_DOC, idempotent, reads
from ..schemas import CasePersonalOut, ErasureIn, ErasureOut

personal = Blueprint("personal-data", __name__, url_prefix="/v1",
                     description="Personal data: what redaction masked (scope cases:read_personal) and erasure on a "
                                 "person's request (scope personal:erase)")


@personal.route("/cases/<uuid:case_id>/personal")
class CasePersonal(MethodView):
    @requires("cases:read_personal")
    @personal.response(200, CasePersonalOut)
    @personal.alt_response(410, description="the reporter's personal data was erased")
    def get(self, case_id):
        """The case's text and supplements as written (phones, ID numbers, e-mails and names unmasked) and the
        reporter's contact, decrypted with the reporter's data key. Staff only."""
        with reads() as session:
            return queries.case_personal(session, str(case_id), runtime().state.cipher)


@personal.route("/erasures")
class Erasures(MethodView):
    @requires("personal:erase")
    @personal.arguments(ErasureIn)
    @personal.response(201, ErasureOut)
    @personal.alt_response(404, description="nothing of this person is kept")
    @personal.alt_response(410, description="already erased")
    @personal.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data):
        """Erase a person (删除个人信息) on their request: destroys the data keys of their reports (by
        reporter_ref, or every report with their phone) and of their household file; their name, phone, ID
        number, e-mail and what their texts held before redaction can no longer be read anywhere, and names
        show as 已删除. Emits reporter.erased with the actor and the reason. Logs are not touched: the audit
        chain stays whole."""
        cipher = runtime().state.cipher
        return idempotent(lambda uow: (201, ErasureOut().dump(commands.erase(uow, data, cipher))))
