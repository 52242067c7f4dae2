"""The fast registration form shared by a deputy's reception and a call taker's hotline page: household look-up
within the person's grids, special groups, duplicate suggestions shown before saving, one case per form."""
from __future__ import annotations

import uuid

from flask import g

from wangge_common.contracts.labels import labels

from .. import commands
from ..clients import ServiceError
from ..schemas import MatterForm, options
from . import caller, runtime

FIELD_OF = {"content": "content", "reporter.name": "name", "reporter.phone": "phone", "grid_id": "grid_id",
            "category": "category", "topic": "topic", "household_id": "household_id",
            "special_groups": "special_groups", "received_by.id": "content", "received_by.kind": "content"}


def prepare(form: MatterForm, grid_choices: list[tuple[str, str]]) -> list[dict]:
    """Fill the form's choices; look households up when asked. Returns the households found."""
    form.grid_id.choices = options(grid_choices)
    if not form.nonce.data:
        form.nonce.data = uuid.uuid4().hex
    households = []
    query = (form.household_query.data or "").strip()
    if query:
        found = runtime().services.get(caller(), "intake", "/v1/households", address=query, page_size=20,
                                       grid_id=form.grid_id.data or None)
        households = found["items"]
    chosen = form.household_id.data
    pairs = [("", "不关联户档案")] + [(h["id"], h["address"]) for h in households]
    if chosen and chosen not in {h["id"] for h in households}:
        pairs.append((chosen, "已选户档案"))
    form.household_id.choices = options(pairs)
    return households


def similar(form: MatterForm) -> list[dict]:
    if not form.grid_id.data or len(form.content.data or "") < 5:
        return []
    return runtime().services.get(caller(), "intake", "/v1/cases/similar", grid_id=form.grid_id.data,
                                  content=form.content.data, household_id=form.household_id.data or None)


def register(form: MatterForm, channel: str, received_by: dict) -> dict | None:
    """Register the matter through intake (Idempotency-Key from the form); None with reasons beside the fields."""
    body = {"channel": channel, "grid_id": form.grid_id.data, "household_id": form.household_id.data or None,
            "category": form.category.data, "topic": form.topic.data or None, "content": form.content.data.strip(),
            "urgency": form.urgency.data or "normal", "special_groups": list(form.special_groups.data or []),
            "received_by": received_by,
            "reporter": None if form.anonymous.data else {"name": (form.name.data or "").strip() or None,
                                                          "phone": form.phone.data.strip()}}
    rt = runtime()
    try:
        case = rt.services.post(caller(), "intake", "/v1/cases", body, idempotency_key=f"portal-{form.nonce.data}")
    except ServiceError as exc:
        if exc.status != 422:
            raise
        for error in exc.errors or [{"field": "content"}]:
            field = getattr(form, FIELD_OF.get(error.get("field"), "content"))
            field.errors = [*field.errors, _chinese(error)]
        return None
    with rt.db.transaction() as db:
        commands.remember_registration(db, g.person.id, case)
    return case


def _chinese(error: dict) -> str:
    reason = error.get("reason", "")
    if "phone" in error.get("field", ""):
        return "电话号码格式不对"
    if "household" in error.get("field", ""):
        return "户档案不属于所选网格"
    if "content" in error.get("field", "") and "5" in reason:
        return "反映内容至少 5 个字"
    return "填写有误，请检查"


def topic_choices() -> list[tuple[str, str]]:
    return [("", "其他")] + sorted(labels("topic").items(), key=lambda x: x[1])
