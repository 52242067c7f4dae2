"""Hostile input, refused once for every service before a view runs: bodies nested too deep, numbers too long or
out of 64-bit range, NaN/Infinity, lone UTF-16 surrogates, NUL characters (PostgreSQL cannot store them),
oversized integer ids in paths.

Each refusal is a 400/422 problem+json naming the field (a JSON path such as `reporter.name` or `items[3]`), never
a 500 from deep inside the parser, the ORM or the broker's UTF-8 encoder.
"""
from __future__ import annotations

import json
import re

from flask import request
from werkzeug.routing import IntegerConverter

from .errors import DomainError, Invalid

MAX_JSON_DEPTH = 32  # the deepest body any operation documents is 4 levels; 32 leaves room and stops recursion
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
ID_MAX = 2 ** 31 - 1  # integer ids are `integer` columns on PostgreSQL
# only an escape can smuggle a lone surrogate (\uD800-\uDFFF) or a NUL (\u0000) into a JSON string
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)")
_SURROGATE = re.compile("[\ud800-\udfff\x00]")


class MalformedBody(DomainError):
    """The body is not JSON this API reads (unparseable, nested too deep, a number no parser should accept)."""

    status, title = 400, "Bad Request"


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def load_json(raw: bytes | str):
    """Parse a request body as JSON, refusing what would break a later layer; raises MalformedBody or Invalid."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedBody(f"the body is not UTF-8 (byte {exc.start})",
                                errors=[{"field": "", "reason": "not UTF-8", "in": "json"}]) from exc
    else:
        text = raw
    try:
        document = json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:
        raise MalformedBody(f"the body is nested deeper than {MAX_JSON_DEPTH} levels",
                            errors=[{"field": "", "reason": f"nested deeper than {MAX_JSON_DEPTH} levels",
                                     "in": "json"}]) from exc
    except ValueError as exc:  # JSONDecodeError, and int() past sys.get_int_max_str_digits()
        raise MalformedBody(f"the body is not valid JSON: {str(exc)[:200]}",
                            errors=[{"field": "", "reason": str(exc)[:200], "in": "json"}]) from exc
    check_document(document, surrogates=_SUSPECT_ESCAPE.search(raw if isinstance(raw, bytes) else
                                                               raw.encode("utf-8", "surrogatepass")) is not None)
    return document


def check_document(document, *, surrogates: bool = True) -> None:
    """Walk a parsed body without recursion: depth, 64-bit integers and (when asked) lone surrogates."""
    errors = []
    stack = [(document, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise MalformedBody(f"the body is nested deeper than {MAX_JSON_DEPTH} levels",
                                errors=[{"field": path, "reason": f"nested deeper than {MAX_JSON_DEPTH} levels",
                                         "in": "json"}])
        stack.extend(_children(value, path, depth, surrogates, errors))
    if errors:
        raise Invalid(sorted(errors, key=lambda e: e["field"]), "the body has values no field accepts; see errors")


def _children(value, path: str, depth: int, surrogates: bool, errors: list) -> list:
    """The values nested in `value`, to check next; what is wrong with `value` itself goes to `errors`."""
    if isinstance(value, dict):
        children = []
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if surrogates and _SURROGATE.search(key):
                errors.append({"field": _printable(child), "reason": "the name " + _why(key), "in": "json"})
            children.append((item, child, depth + 1))
        return children
    if isinstance(value, list):
        return [(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, str):
        if surrogates and _SURROGATE.search(value):
            errors.append({"field": _printable(path), "reason": _why(value), "in": "json"})
    elif isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
        errors.append({"field": _printable(path), "reason": "integer out of range (64-bit signed)", "in": "json"})
    return []


def _why(text: str) -> str:
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which no field accepts"
    return "contains a lone UTF-16 surrogate (\\ud800-\\udfff), which is not a character"


def _printable(path: str) -> str:
    return _SURROGATE.sub("\ufffd", path)


def check_parameters(request) -> None:
    """Query and form fields, and the path: a NUL character is refused (422) before it reaches a database."""
    errors = []
    sources = [("query", request.args)]
    if request.mimetype == "application/x-www-form-urlencoded":  # multipart uploads are left to their view: it
        sources.append(("form", request.form))                   # may raise the body limit (roster imports)
    for location, values in sources:
        for name, value in values.items(multi=True):
            if "\x00" in name or "\x00" in value:
                errors.append({"field": _printable(name.replace("\x00", "\ufffd")), "reason": _why("\x00"),
                               "in": location})
    if "\x00" in request.path:
        errors.append({"field": "path", "reason": _why("\x00"), "in": "path"})
    if errors:
        raise Invalid(errors, "the request has values no field accepts; see errors")


class IdConverter(IntegerConverter):
    """`<int:id>` bounded to the id column's range: a larger id is simply not found (404), never an OverflowError
    (SQLite) or NumericValueOutOfRange (PostgreSQL); the bound is also the parameter's `maximum` in the document."""

    regex = r"\d{1,10}"  # more digits cannot fit, and int() of thousands of digits is itself refused

    def __init__(self, map, fixed_digits=0, min=None, max=ID_MAX, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def check_request_body(request) -> None:
    """Before every view: a JSON body must load safely (views and webargs then parse the same bytes again)."""
    check_parameters(request)
    if request.is_json and request.content_length != 0:
        raw = request.get_data(cache=True)
        if raw.strip():
            load_json(raw)


def install(app) -> None:
    """Bounded integer ids in every `<int:...>` route, and the body check before every request."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(lambda: check_request_body(request))


# --- photos: what intake keeps and the portal's form takes (JPEG or PNG, judged by content) ----------------------
PHOTO_MAX_BYTES = 5 * 1024 * 1024
_PHOTO_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def photo_media_type(head: bytes) -> str | None:
    """JPEG or PNG by the file's first bytes (its content), whatever name or Content-Type came with it; None for
    anything else."""
    for magic, media_type in _PHOTO_MAGIC:
        if head.startswith(magic):
            return media_type
    return None
