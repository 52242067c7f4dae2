"""Event contracts: topics, one JSON Schema per event type and version, and the AsyncAPI 3 document."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker

from ..envelope import Event, schema_uri


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    description: str
    writers: tuple[str, ...] = ()  # the services whose relays publish to it; each declares it in its ServiceSpec

    @property
    def dead_letter(self) -> str:
        return f"{self.name}.dlt"

    @property
    def sources(self) -> frozenset[str]:
        """The CloudEvents `source` of every event that may arrive on this topic."""
        return frozenset(f"/wangge/{writer}" for writer in self.writers)


TOPICS = {
    t.name: t
    for t in (
        Topic("roster.v1", 3, "Roster changes: grids, deputies, stations, assignments, reception schedules.",
              writers=("roster",)),
        Topic("cases.v1", 6, "The life of every case, from registration to closure. Key: case id.",
              writers=("intake", "routing")),
        Topic("notify.v1", 3, "Notifications that went out, failed or were given up.", writers=("notify",)),
    )
}


# Where each outbox relay keeps its marker: one record keyed by service, found again where it landed as long as the
# broker is the one the relay published to (see relay.BrokerMarker). Compacted, so the latest marker of every
# service stays however old it is.
RELAY_MARKERS_TOPIC = "wangge.relay-markers"
TOPIC_CONFIGS = {RELAY_MARKERS_TOPIC: {"cleanup.policy": "compact"}}


def all_topic_specs() -> dict[str, int]:
    """Every topic the suite uses, dead-letter topics and the relays' marker topic included, with its partition
    count."""
    specs = {t.name: t.partitions for t in TOPICS.values()}
    specs.update({t.dead_letter: 1 for t in TOPICS.values()})
    specs[RELAY_MARKERS_TOPIC] = 1
    return specs


class ForeignSourceError(ValueError):
    """An event arrived on a topic its source does not own: forged, or a service publishing where it must not."""


def check_source(topic: str, event: Event) -> None:
    """Raise ForeignSourceError unless the event's source is one of the topic's writers (topics the registry does
    not know are not checked)."""
    known = TOPICS.get(topic)
    if known is not None and event.source not in known.sources:
        raise ForeignSourceError(f"source {event.source!r} does not write {topic} (its writers: "
                                 f"{', '.join(sorted(known.sources))})")


class ContractError(ValueError):
    """An event's data does not match its schema; `errors` lists (path, reason)."""

    def __init__(self, event_type: str, version: int, errors: list[tuple[str, str]]):
        self.event_type, self.version, self.errors = event_type, version, errors
        detail = "; ".join(f"{path or '(root)'}: {reason}" for path, reason in errors[:5])
        super().__init__(f"{event_type} v{version} does not match its schema: {detail}")


class UnknownEventType(KeyError):
    """No schema exists for this event type and version."""


@dataclass(frozen=True)
class Contract:
    """One event type's schema at one version. Its validators are built on first use: a process pays for the
    contracts it checks (a service emits a handful of its ~70 types), not for all of them at start."""

    type: str
    version: int
    topic: str
    schema: dict

    @cached_property
    def validator(self) -> Draft202012Validator:
        """jsonschema's validator, which has the last word and lists the problems (the schema is checked first)."""
        Draft202012Validator.check_schema(self.schema)
        return Draft202012Validator(self.schema, format_checker=FormatChecker())

    @cached_property
    def accepts(self) -> Callable[[dict], bool] | None:
        """The compiled fast check, where it can be trusted (None outside the subset both drafts read alike)."""
        return _compiled(self.schema, self.validator.format_checker)


# Keywords that mean the same in draft 7 (what fastjsonschema compiles) and in draft 2020-12 (what the schemas
# declare), when `items` is one schema. A schema using anything else is checked by jsonschema alone.
SAME_IN_BOTH_DRAFTS = frozenset({
    "$schema", "$id", "title", "description", "examples", "x-topic", "$comment", "type", "properties", "required",
    "additionalProperties", "enum", "const", "anyOf", "allOf", "oneOf", "not", "minLength", "maxLength", "pattern",
    "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "items", "minItems", "maxItems",
    "uniqueItems", "default",
})
_CHILD_MAPS = ("properties",)


def _draft7_compatible(schema) -> bool:
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or not set(schema) <= SAME_IN_BOTH_DRAFTS:
        return False
    if "items" in schema and not isinstance(schema["items"], (dict, bool)):
        return False  # an array of schemas is a tuple in draft 7, prefixItems' job in 2020-12
    for key, value in schema.items():
        if key in _CHILD_MAPS:
            if not all(_draft7_compatible(child) for child in value.values()):
                return False
        elif key in ("anyOf", "allOf", "oneOf"):
            if not all(_draft7_compatible(child) for child in value):
                return False
        elif key in ("not", "items", "additionalProperties"):
            if not _draft7_compatible(value):
                return False
    return True


def _compiled(schema: dict, checker: FormatChecker) -> Callable[[dict], bool] | None:
    """A fast yes/no check of data against the schema (fastjsonschema compiles it to Python code), with the
    formats checked by jsonschema's own FormatChecker; None if the schema is outside the common subset."""
    if not _draft7_compatible(schema):
        return None
    plain = {k: v for k, v in schema.items() if k not in ("$schema", "$id")}
    formats = {name: (lambda value, name=name: checker.conforms(value, name)) for name in checker.checkers}
    validate = fastjsonschema.compile(dict(plain, **{"$schema": "http://json-schema.org/draft-07/schema#"}),
                                      formats=formats, use_default=False)

    def accepts(data: dict) -> bool:
        try:
            validate(data)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return accepts


@lru_cache(maxsize=1)
def registry() -> dict[tuple[str, int], Contract]:
    """All contracts shipped in this package, keyed by (type, version)."""
    found = {}
    for entry in resources.files(__package__).joinpath("schemas").iterdir():
        if not entry.name.endswith(".json"):
            continue
        schema = json.loads(entry.read_text(encoding="utf-8"))
        stem = entry.name[: -len(".json")]
        event_type, _, version = stem.rpartition(".v")
        if schema["$id"] != schema_uri(event_type, int(version)) or schema["x-topic"] not in TOPICS:
            raise RuntimeError(f"schema file {entry.name} disagrees with its $id or topic")
        found[(event_type, int(version))] = Contract(event_type, int(version), schema["x-topic"], schema)
    return found


def contract(event_type: str, version: int) -> Contract:
    try:
        return registry()[(event_type, version)]
    except KeyError:
        raise UnknownEventType(f"{event_type} v{version}") from None


def latest_version(event_type: str) -> int:
    try:
        return _latest_versions()[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


@lru_cache(maxsize=1)
def _latest_versions() -> dict[str, int]:
    latest: dict[str, int] = {}
    for event_type, version in registry():
        latest[event_type] = max(version, latest.get(event_type, 0))
    return latest


def validate(event: Event) -> Contract:
    """Check the event's data against its schema; raise ContractError listing every problem.

    The compiled check answers for valid data (every event a service emits); whatever it refuses is checked again
    by jsonschema, which has the last word and lists the problems. That the compiled check never accepts what
    jsonschema refuses is tested on every shipped schema (tests/test_contracts_compiled.py).
    """
    found = contract(event.type, event.version)
    if found.accepts is not None and found.accepts(event.data):
        return found
    errors = sorted(found.validator.iter_errors(event.data), key=lambda e: list(e.absolute_path))
    if errors:
        raise ContractError(event.type, event.version,
                            [("/".join(str(p) for p in e.absolute_path), e.message) for e in errors])
    return found


def asyncapi_document() -> dict:
    """AsyncAPI 3.0 description of every topic and event type, generated from the schemas."""
    channels, operations, messages = {}, {}, {}
    for (event_type, version), found in sorted(registry().items()):
        name = f"{event_type}.v{version}"
        messages[name] = {
            "name": event_type,
            "title": found.schema.get("title", event_type),
            "summary": found.schema.get("description", ""),
            "contentType": "application/cloudevents+json",
            "bindings": {"kafka": {"key": {"type": "string", "description": "the aggregate id (event subject)"}}},
            "headers": {"type": "object", "properties": {
                "traceparent": {"type": "string", "description": "W3C trace context"},
                "tracestate": {"type": "string"}, "content-type": {"type": "string"}}},
            "payload": {"allOf": [{"$ref": "#/components/schemas/envelope"},
                                  {"type": "object", "properties": {
                                      "type": {"const": event_type},
                                      "dataschema": {"const": schema_uri(event_type, version)},
                                      "data": {k: v for k, v in found.schema.items() if k not in ("$schema", "$id", "x-topic")}}}]},
            "examples": [{"name": "example", "payload": {"type": event_type, "data": ex}} for ex in found.schema.get("examples", [])],
        }
        channel = channels.setdefault(found.topic.replace(".", "_"), {
            "address": found.topic, "description": TOPICS[found.topic].description, "messages": {},
            "bindings": {"kafka": {"topic": found.topic, "partitions": TOPICS[found.topic].partitions}}})
        channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    for key, channel in channels.items():
        operations[f"receive_{key}"] = {"action": "receive", "channel": {"$ref": f"#/channels/{key}"},
                                         "messages": [{"$ref": f"#/channels/{key}/messages/{m}"} for m in channel["messages"]]}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "wangge events", "version": "1.0.0",
                 "description": "Events of the wangge (网格) suite. Every message is a CloudEvents 1.0 structured-mode "
                                "JSON envelope with the extensions sequence (per source and subject, from 1), "
                                "correlationid, causationid and actor. A change of an event's fields is a new "
                                "schema version; schemas reject unknown properties so personal data cannot slip in."},
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": {"envelope": ENVELOPE_SCHEMA}},
    }


ENVELOPE_SCHEMA = {
    "type": "object",
    "required": ["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema",
                 "sequence", "correlationid", "data"],
    "properties": {
        "specversion": {"const": "1.0"}, "id": {"type": "string", "description": "unique event id (UUID)"},
        "source": {"type": "string", "description": "producing service, e.g. /wangge/intake"},
        "type": {"type": "string"}, "subject": {"type": "string", "description": "aggregate id; also the Kafka key"},
        "time": {"type": "string", "format": "date-time"}, "datacontenttype": {"const": "application/json"},
        "dataschema": {"type": "string"},
        "sequence": {"description": "position of the event among its source's events for this subject (1, 2, 3 …). "
                                    "Envelope v2 writes the CloudEvents sequence extension's string, zero-padded to "
                                    "10 digits so it sorts as the number does; v1 records (an integer) stay on the "
                                    "topics and are still accepted",
                     "oneOf": [{"type": "string", "pattern": "^[0-9]{10}$"}, {"type": "integer", "minimum": 1}]},
        "correlationid": {"type": "string"}, "causationid": {"type": "string"},
        "actor": {"type": "string", "description": "who caused the change (API key name, service, user)"},
        "traceparent": {"type": "string"}, "tracestate": {"type": "string"}, "data": {"type": "object"},
    },
}
