"""The event envelope: CloudEvents 1.0 attributes plus aggregate sequence, correlation and causation ids."""
from __future__ import annotations

import dataclasses
import itertools
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

SPECVERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
REQUIRED = ("specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema",
            "sequence", "correlationid", "data")


# Limits checked before a record is parsed: a record over them is poison, never parsed at all. Events of the
# suite are a few KB deep 5 or 6; Kafka's own default record limit is 1 MiB.
MAX_EVENT_BYTES = 1024 * 1024
MAX_DEPTH = 64
# A JSON string (escapes included): brackets inside one do not nest.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: no alternation per character
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class EnvelopeError(ValueError):
    """The bytes on the wire are not a wangge event envelope."""


def check_limits(raw: bytes, *, max_bytes: int = MAX_EVENT_BYTES, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a record too large or nested too deep before anything parses it (json's C parser recurses and
    raises RecursionError, or exhausts memory, on what an attacker can write into a topic)."""
    if len(raw) > max_bytes:
        raise EnvelopeError(f"record of {len(raw)} bytes is over the limit of {max_bytes}")
    # Fewer brackets than the limit cannot nest deeper than it: the common case costs two C-level counts.
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return
    # Strings out, then only the brackets left, then the running depth: each step a C-level loop.
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if brackets and max(itertools.accumulate(map(_STEP.__getitem__, brackets))) > max_depth:
        raise EnvelopeError(f"JSON nested deeper than {max_depth} levels")


def schema_uri(event_type: str, version: int) -> str:
    return f"urn:wangge:schema:{event_type}:v{version}"


def parse_schema_uri(uri: str) -> tuple[str, int]:
    prefix = "urn:wangge:schema:"
    if not isinstance(uri, str) or not uri.startswith(prefix) or ":v" not in uri[len(prefix):]:
        raise EnvelopeError(f"dataschema {uri!r} is not a wangge schema URI")
    event_type, _, version = uri[len(prefix):].rpartition(":v")
    if not version.isdigit():
        raise EnvelopeError(f"dataschema {uri!r} has no numeric version")
    return event_type, int(version)


SEQUENCE_DIGITS = 10  # a 32-bit count (the outbox column), zero-padded so the strings sort as the numbers do


def sequence_text(sequence: int) -> str:
    """Envelope v2: the CloudEvents sequence extension's lexicographically orderable string, `0000000042`."""
    return str(sequence).zfill(SEQUENCE_DIGITS)


def parse_sequence(value) -> tuple[int, str | None]:
    """(number, the string as written) from v2's string, or (number, None) from v1's integer; both are accepted."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value, None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19 and int(value) >= 1:
        return int(value), value
    raise EnvelopeError("sequence must be a positive number: a string of digits (v2) or an integer (v1)")


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Event:
    """One event as it travels: CloudEvents attributes, wangge extensions and the payload."""

    type: str
    source: str
    subject: str
    data: dict
    sequence: int
    version: int = 1
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: str = field(default_factory=utcnow)
    correlationid: str = ""
    causationid: str | None = None
    actor: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    # how the record on the topic spelled the sequence (None: an integer, envelope v1), so an event read and
    # written again (the audit log, webhook copies) keeps the exact bytes it had
    sequence_as: str | None = field(default=None, compare=False, repr=False)
    sequence_v1: bool = field(default=False, compare=False, repr=False)

    def __post_init__(self):
        if not self.correlationid:
            object.__setattr__(self, "correlationid", self.id)

    @property
    def dataschema(self) -> str:
        return schema_uri(self.type, self.version)

    def to_dict(self) -> dict:
        out = {
            "specversion": SPECVERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time,
            "datacontenttype": "application/json",
            "dataschema": self.dataschema,
            "sequence": self._sequence_value(),
            "correlationid": self.correlationid,
        }
        for optional in ("causationid", "actor", "traceparent", "tracestate"):
            value = getattr(self, optional)
            if value:
                out[optional] = value
        out["data"] = self.data
        return out

    def _sequence_value(self):
        if self.sequence_as is not None and int(self.sequence_as) == self.sequence:
            return self.sequence_as
        if self.sequence_v1:
            return self.sequence
        return sequence_text(self.sequence)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_dict(cls, raw: dict) -> "Event":
        if not isinstance(raw, dict):
            raise EnvelopeError("an event must be a JSON object")
        missing = [name for name in REQUIRED if name not in raw]
        if missing:
            raise EnvelopeError(f"envelope misses {', '.join(missing)}")
        if raw["specversion"] != SPECVERSION:
            raise EnvelopeError(f"specversion {raw['specversion']!r} is not {SPECVERSION}")
        event_type, version = parse_schema_uri(raw["dataschema"])
        if event_type != raw["type"]:
            raise EnvelopeError(f"dataschema names {event_type!r} but type is {raw['type']!r}")
        if not isinstance(raw["data"], dict):
            raise EnvelopeError("data must be a JSON object")
        sequence, sequence_as = parse_sequence(raw["sequence"])
        for name in ("id", "source", "subject", "time", "correlationid"):
            if not isinstance(raw[name], str) or not raw[name]:
                raise EnvelopeError(f"{name} must be a non-empty string")
        return cls(
            type=raw["type"], source=raw["source"], subject=raw["subject"], data=raw["data"],
            sequence=sequence, version=version, id=raw["id"], time=raw["time"],
            correlationid=raw["correlationid"], causationid=raw.get("causationid"), actor=raw.get("actor"),
            traceparent=raw.get("traceparent"), tracestate=raw.get("tracestate"), sequence_as=sequence_as,
            sequence_v1=sequence_as is None,  # a v1 record: written again, it stays as it was on the topic
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> "Event":
        if raw is None:
            raise EnvelopeError("the record has no value (a tombstone is not an event)")
        check_limits(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw)
        try:
            decoded = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:  # ValueError covers integer literals over 4,300 digits
            raise EnvelopeError(f"not JSON: {exc}") from exc
        except (RecursionError, MemoryError) as exc:  # the limits above make these unlikely; never fatal
            raise EnvelopeError(f"not decodable: {type(exc).__name__}") from exc
        return cls.from_dict(decoded)

    def replace(self, **changes) -> "Event":
        """A copy with `changes`; the data is shared, not copied (asdict's deep copy cost more than the rest)."""
        return dataclasses.replace(self, **changes)
