"""Residents' evaluation (群众评议) through the one-time link."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import RATINGS


class EvaluationOut(Schema):
    tracking_code = fields.String(allow_none=True)
    category = fields.String()
    topic = fields.String(allow_none=True)
    answered_by = fields.String(allow_none=True, metadata={"example": "镇村镇建设办"})
    answer_summary = fields.String(allow_none=True)
    round = fields.Integer()
    expires_at = fields.DateTime()
    open = fields.Boolean(metadata={"description": "whether a rating can still be given through this link"})
    status = fields.String(metadata={"enum": ["open", "used", "expired", "closed"]})
    rating = fields.String(allow_none=True)


class EvaluationIn(Schema):
    rating = fields.String(required=True, validate=validate.OneOf(RATINGS))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 1000))

    class Meta:
        example = {"rating": "satisfied", "comment": "处理及时，谢谢！"}
