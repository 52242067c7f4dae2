"""Open311 GeoReport v2 answers in either format the standard defines: XML (required) and JSON (its Spark mapping).

The same data is built once as plain dicts and lists and written as JSON, or as schemaless XML without a namespace
(`<?xml version="1.0" encoding="UTF-8"?>`, `text/xml; charset=utf-8`), each list's items named as the standard
names them (`services/service`, `service_requests/request`, `errors/error`, `attributes/attribute`, ...).
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from flask import Response, request

FORMATS = ("json", "xml")
MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# a list's element name -> its items' element name, as GeoReport v2 and its service discovery name them
ITEM_NAMES = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
              "values": "value", "endpoints": "endpoint", "formats": "format"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot carry


def answer_format() -> str:
    """The format the client asked for by the resource's extension (`.xml` or `.json`); JSON for anything else."""
    fmt = (request.view_args or {}).get("fmt")
    if fmt in FORMATS:
        return fmt
    return "xml" if request.path.endswith(".xml") else "json"


def render(root: str, data, status: int = 200, fmt: str | None = None) -> Response:
    """`data` (a list for `services`, `service_requests` and `errors`; a dict otherwise) as an HTTP answer."""
    fmt = fmt or answer_format()
    if fmt == "xml":
        element = ET.Element(root)
        _fill(element, data)
        body = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode")
    else:
        body = json.dumps(data, ensure_ascii=False)
    return Response(body.encode("utf-8"), status=status, content_type=MEDIA_TYPES[fmt])


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for name, inner in value.items():
            _fill(ET.SubElement(element, name), inner)
    elif isinstance(value, list):
        for inner in value:
            _fill(ET.SubElement(element, ITEM_NAMES.get(element.tag, "item")), inner)
    elif value is None:
        return  # an empty element, as the standard's examples show an absent value (<account_id/>)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = _NOT_XML.sub("\ufffd", str(value))


def errors(status: int, described: list[tuple[int, str]]) -> Response:
    """GeoReport v2's error answer: a list of {code, description} (XML: errors/error)."""
    return render("errors", [{"code": code, "description": text} for code, text in described], status)


def as_xml(xml_root: str) -> dict:
    """The OpenAPI `content` of an answer's XML form (the same fields, named as the standard names them)."""
    return {"text/xml": {"schema": {"type": "string", "description": f"the same, as XML: <{xml_root}>…</{xml_root}>"}}}


def documented(schema: dict, xml_root: str) -> dict:
    """An OpenAPI `content` with the JSON schema and its XML form."""
    return {"application/json": {"schema": schema}, **as_xml(xml_root)}
