"""The OpenAPI document every service publishes, corrected once here rather than per endpoint:

- every error response (4xx, 5xx, `default`) is `application/problem+json` with the `Problem` schema (RFC 9457);
- a view marked `@public` declares `security: []`, every other one the bearer key and the scope it needs;
- a blueprint may document its errors in its own shape (Open311 answers a JSON list, as its spec has it) by
  setting `ERROR_DOC` on the blueprint object.
"""
from __future__ import annotations

import http

import flask_smorest
from apispec import BasePlugin
from flask_smorest.utils import prepare_response
from marshmallow import INCLUDE, Schema, fields

from .conditional import is_command_on_resource

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class FieldError(Schema):
    class Meta:
        unknown = INCLUDE  # a service may add more about a field (the rule it broke, the allowed values)

    field = fields.String(metadata={"description": "the field, as a dotted path (`reporter.phone`, `items[2]`)"})
    reason = fields.String()
    in_ = fields.String(data_key="in", metadata={"description": "json, query, path, headers, form or files"})


class Problem(Schema):
    """RFC 9457 problem details; `errors` lists every invalid field with its reason."""

    class Meta:
        unknown = INCLUDE  # RFC 9457 allows extension members

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={"example": "Unprocessable Content"})
    status = fields.Integer(required=True, metadata={"example": 422})
    detail = fields.String()
    instance = fields.String(metadata={"description": "the request path"})
    errors = fields.List(fields.Nested(FieldError))


def _is_error(status) -> bool:
    return status == "default" or str(status)[:1] in ("4", "5")


def _phrase(status) -> str:
    try:
        return http.HTTPStatus(int(status)).phrase
    except ValueError:
        return "Response"


class Api(flask_smorest.Api):
    """flask-smorest's Api with problem+json as the documented error media type."""

    ERROR_SCHEMA = Problem

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                content_type = PROBLEM
            prepare_response(response, self.spec, content_type)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error: application/problem+json (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


IF_NONE_MATCH = {"in": "header", "name": "If-None-Match", "required": False, "schema": {"type": "string"},
                 "description": "an ETag from an earlier read: 304 Not Modified, no body, when nothing changed"}
IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
            "description": "the ETag of the resource as you read it: 412 Precondition Failed, nothing written, "
                           "when it has changed since"}
ETAG_HEADER = {"ETag": {"description": "the version of this representation (for If-None-Match / If-Match)",
                        "schema": {"type": "string"}}}


def _document_conditions(path: str, method: str, operation: dict) -> None:
    """The conditional-request headers conditional.py honours, on the operations where it honours them."""
    responses = operation.setdefault("responses", {})
    parameters = operation.setdefault("parameters", [])
    if method == "get":
        parameters.append(IF_NONE_MATCH)
        responses.setdefault("304", {"description": "Not Modified: the representation still has the ETag sent"})
        ok = responses.get("200")
        if isinstance(ok, dict) and "application/json" in ok.get("content", {}):
            ok.setdefault("headers", {}).update(ETAG_HEADER)
    elif method in ("put", "patch", "delete") or (method == "post" and is_command_on_resource(path)):
        parameters.append(IF_MATCH)
        responses.setdefault("412", "PRECONDITION_FAILED")


def _document_security(view, operation: dict) -> None:
    """A public view needs nothing; a scoped one the bearer key and its scope (x-scope and a sentence)."""
    scope = getattr(view, "_wangge_scope", None)
    if getattr(view, "_wangge_public", False):
        operation["security"] = []
    elif scope:
        operation.setdefault("security", [{"bearer": []}])
        operation.setdefault("x-scope", scope)
        note = f"Needs an API key with the scope `{scope}`."
        if note not in operation.get("description", ""):
            operation["description"] = (operation.get("description", "") + "\n\n" + note).strip()


def _document_responses(responses: dict, own: dict | None) -> None:
    """A default error, a description on every response, and problem+json (or the blueprint's own error
    document) on every error response."""
    responses.setdefault("default", "DEFAULT_ERROR")
    for status, response in list(responses.items()):
        if isinstance(response, dict) and "$ref" not in response and not response.get("description"):
            response["description"] = _phrase(status)  # OpenAPI requires one on every response
        if not _is_error(status):
            continue
        if own is not None and str(status) != "429":  # the rate limiter answers problem+json everywhere
            description = response.get("description") if isinstance(response, dict) else None
            responses[status] = {"description": description or own["description"], "content": own["content"]}
        elif isinstance(response, dict) and not response.get("content"):
            response["content"] = {PROBLEM: {"schema": PROBLEM_REF}}
            response.setdefault("description", "Error: application/problem+json (RFC 9457)")


class ServicePlugin(BasePlugin):
    """Rewrites each operation as it is added to the document (see the module docstring)."""

    def __init__(self, app, error_docs: dict[str, dict] | None = None):
        super().__init__()
        self.app = app
        self.error_docs = error_docs or {}  # blueprint name -> {"content": ..., "description": ...}

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        view = self.app.view_functions.get(rule.endpoint)
        blueprint = rule.endpoint.rpartition(".")[0]
        for method, operation in operations.items():
            if method == "parameters" or not isinstance(operation, dict):
                continue
            target = view
            view_class = getattr(view, "view_class", None)
            if view_class is not None:
                target = getattr(view_class, method, view)
            _document_security(target, operation)
            _document_conditions(path, method, operation)
            _document_responses(operation.setdefault("responses", {}), self.error_docs.get(blueprint))
