"""One way to page a list, for every service: `?page=&page_size=` in, `{items, page, page_size, total}` out.

Both numbers are bounded, so a page past any real table (`page=4611686018427387904`) is a 422 problem naming the
field, never an OverflowError in the database driver.
"""
from __future__ import annotations

from typing import Callable

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import and_, func, or_

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_PAGE = 1_000_000  # with MAX_PAGE_SIZE the offset stays far inside a 64-bit integer


class PageArgs(Schema):
    """?page=1&page_size=100 on every list endpoint; subclass it with the list's own filters."""

    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE),
                          metadata={"description": "1-based page number"})
    page_size = fields.Integer(load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(1, MAX_PAGE_SIZE),
                               metadata={"description": f"items per page, at most {MAX_PAGE_SIZE}"})


_PAGE_SCHEMAS: dict = {}


def page_of(item_schema) -> type[Schema]:
    """The response schema of a page of `item_schema` (one class per item schema, so the document names it once)."""
    if item_schema not in _PAGE_SCHEMAS:
        _PAGE_SCHEMAS[item_schema] = Schema.from_dict({
            "items": fields.List(fields.Nested(item_schema), required=True),
            "total": fields.Integer(required=True, metadata={"description": "items matching the filters, all pages"}),
            "page": fields.Integer(required=True), "page_size": fields.Integer(required=True),
        }, name=f"{item_schema.__name__.removesuffix('Out')}Page")
    return _PAGE_SCHEMAS[item_schema]


def page(items, total: int, page: int, page_size: int) -> dict:  # noqa: A001 - the body's own word
    """The page body from items already fetched (for lists that are not one SQL query)."""
    return {"items": list(items), "total": total, "page": page, "page_size": page_size}


def paginate(session, query, page_no: int = 1, page_size: int = DEFAULT_PAGE_SIZE, *, rows: bool = False,
             each: Callable | None = None) -> dict:
    """Run an ordered SELECT for one page and count every match: ORM objects (or `rows=True`: row mappings),
    each passed through `each` when given."""
    # count(*) over the same FROM and WHERE (no subquery: the planner uses the filter's index as for the page)
    total = session.scalar(query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None))
    window = query.limit(page_size).offset((page_no - 1) * page_size)
    items = [row._asdict() for row in session.execute(window)] if rows else list(session.scalars(window))
    if each is not None:
        items = [each(item) for item in items]
    return page(items, total, page_no, page_size)


def paged(args: dict) -> dict:
    """The page arguments out of a loaded query, as keyword arguments for `paginate`."""
    return {"page_no": args["page"], "page_size": args["page_size"]}


# --- the change feed: what changed since a moment, for systems that poll (issue 19.3) ---------------------------
class ChangeFeedArgs(Schema):
    """?updated_since=&after= on a list: only what changed at or after a moment, oldest change first.

    Mixed into a list's query schema (`class CaseQuery(PageArgs, ChangeFeedArgs)`); see docs/integrators.md.
    """

    updated_since = fields.AwareDateTime(load_default=None, metadata={
        "description": "only items changed at or after this moment (RFC 3339 with an offset); the list is then "
                       "ordered by updated_at, then id, oldest change first"})
    after = fields.String(load_default=None, validate=validate.Length(1, 64), metadata={
        "description": "with updated_since: the id of the last item you read at exactly that updated_at; the "
                       "list goes on after it (a cursor that no concurrent change can make skip an item)"})

    @validates_schema
    def _after_needs_a_moment(self, data, **kwargs):
        if data.get("after") is not None and data.get("updated_since") is None:
            raise ValidationError("after is the cursor within updated_since: send updated_since too", "after")


def changed_since(query, args: dict, updated_at, id_column):
    """`query` cut to the change feed when `args` carry updated_since (its own order replaced by the feed's)."""
    since, after = args.get("updated_since"), args.get("after")
    if since is None:
        return query
    if after is None:
        moved = updated_at >= since
    else:
        moved = or_(updated_at > since, and_(updated_at == since, id_column > after))
    return query.where(moved).order_by(None).order_by(updated_at, id_column)
