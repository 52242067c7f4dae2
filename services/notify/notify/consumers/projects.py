"""Micro livelihood projects (民生微实事): a completed project goes on its grid's board, and the reporter of each
case it answers is told and sent their one-time rating link."""
from __future__ import annotations

from wangge_common import clock
from wangge_common.envelope import Event
from wangge_common.outbox import UnitOfWork

from ..commands.deliveries import to_reporter, to_webhooks
from ..models import BoardProject, CaseContact


def on_project_completed(uow: UnitOfWork, event: Event) -> None:
    to_webhooks(uow, event)
    data, state = event.data, uow.runtime.state
    board = uow.session.get(BoardProject, data["project_id"]) or BoardProject(project_id=data["project_id"])
    board.grid_id, board.code, board.title = data["grid_id"], data["code"], data["title"]
    board.result, board.funded_yuan, board.completed_at = data["result"], data["funded_yuan"], clock.parse_time(event.time)
    uow.session.add(board)
    expires_on = clock.local_text(data["expires_at"], "%Y年%m月%d日")
    for link in data["rating_links"]:
        contact = uow.session.get(CaseContact, link["case_id"])
        if contact is None:  # a case notify never registered (its registration not read yet, or erased): no one to tell
            continue
        token = state.cipher.decrypt(link["token_encrypted"])
        to_reporter(uow, event, contact, "project.completed/reporter", {
            "tracking_code": contact.tracking_code, "title": data["title"], "result": data["result"],
            "rating_link": f"{state.settings.public_url}/rate-project/{token}", "expires_on": expires_on})
