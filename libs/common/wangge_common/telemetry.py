"""JSON log lines carrying the trace id, and OpenTelemetry configured from the standard OTEL_* variables.

The log level comes from the settings (WANGGE_LOG_LEVEL); OTEL_* are the OpenTelemetry SDK's own variables, read
where the SDK reads them (the exporter, the resource), so they are not copied into Settings."""
from __future__ import annotations

import logging
import os
import random
import sys

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from pythonjsonlogger.json import JsonFormatter

from .settings import log_level

_configured = False
_exporting = False
_random = random.SystemRandom()


class TraceContextFilter(logging.Filter):
    """Adds trace_id and span_id of the current span to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.trace_id = format(context.trace_id, "032x") if context.is_valid else None
        record.span_id = format(context.span_id, "016x") if context.is_valid else None
        return True


def configure(service: str, process: str, settings=None) -> None:
    """Set up logging and tracing once per process; `settings` (a Settings, or any object with `log_level`) gives
    the log level, else WANGGE_LOG_LEVEL as settings.log_level reads it (a process without wangge Settings)."""
    global _configured, _exporting
    if _configured:
        return
    _configured = True
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        static_fields={"service": service, "process_role": process},
    ))
    handler.addFilter(TraceContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level if settings is not None else log_level())
    logging.getLogger("kafka").setLevel(logging.WARNING)

    # The SDK's Resource reads OTEL_SERVICE_NAME (and OTEL_RESOURCE_ATTRIBUTES) itself: give it a default there.
    os.environ.setdefault("OTEL_SERVICE_NAME", f"wangge-{service}")
    provider = TracerProvider(resource=Resource.create({"service.namespace": "wangge", "wangge.process": process}))
    # OTEL_TRACES_EXPORTER is the SDK's standard variable (its auto-configuration reads it the same way)
    exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    if exporter_name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        _exporting = True
    elif exporter_name == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
        _exporting = True
    elif exporter_name not in ("none", ""):
        logging.getLogger(__name__).warning("OTEL_TRACES_EXPORTER=%s is not supported; use otlp, console or none",
                                            exporter_name)
    trace.set_tracer_provider(provider)


def exporting() -> bool:
    """Whether this process exports spans (OTEL_TRACES_EXPORTER is otlp or console)."""
    return _exporting


def propagate_requests(app, excluded: tuple[str, ...] = ()) -> None:
    """Carry the W3C trace context through a Flask app's requests without recording spans.

    For processes that export no spans: the full Flask instrumentation would build a span per request that
    nobody sees. A request's incoming `traceparent` becomes the current context (its log lines and events carry
    that trace); a request without one gets a fresh trace id, so the events it causes still share a trace.
    """
    from flask import g, request
    from opentelemetry import context, propagate

    @app.before_request
    def _attach_trace_context():
        if request.path.lstrip("/") in excluded:
            return
        ctx = propagate.extract(request.headers)
        if not trace.get_current_span(ctx).get_span_context().is_valid:
            fresh = trace.SpanContext(trace_id=_random.getrandbits(128) or 1, span_id=_random.getrandbits(64) or 1,
                                      is_remote=False, trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED))
            ctx = trace.set_span_in_context(trace.NonRecordingSpan(fresh), ctx)
        g._wangge_trace_token = context.attach(ctx)

    @app.teardown_request
    def _detach_trace_context(_exc):
        token = g.pop("_wangge_trace_token", None)
        if token is not None:
            context.detach(token)
