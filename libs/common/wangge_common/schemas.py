"""Request shapes every service's API shares."""
from marshmallow import Schema, fields, validate


class PageArgs(Schema):
    """?page=1&page_size=100 on every list endpoint."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=100, validate=validate.Range(1, 1000))


def page_of(item_schema):
    """A page of items with its total."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema)), "total": fields.Integer(),
        "page": fields.Integer(), "page_size": fields.Integer(),
    }, name=f"{item_schema.__name__.removesuffix('Out')}Page")
