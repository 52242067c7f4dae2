"""gunicorn settings every service shares: `gunicorn -c python:wangge_common.gunicorn_conf <service>.wsgi:app`."""
import os
import re

from gunicorn import glogging, util as gunicorn_util
from prometheus_client import multiprocess

from wangge_common.problems import write_gunicorn_error

# GUNICORN_* are read here, not through Settings: this file is gunicorn's configuration, run before any service
# exists (see settings.py for the variables read outside Settings).
control_socket_disable = True  # gunicorn 27's shared control socket would collide between services
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
# Requests gunicorn refuses itself (header over limit_request_field_size, 8190 bytes: 431) answer problem+json.
gunicorn_util.write_error = write_gunicorn_error


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the shared metrics directory."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


_SECRET_PARAMETER = re.compile(r"(?i)((?:^|[?&])api_key=)[^&\s]*")


class RedactingLogger(glogging.Logger):
    """gunicorn's logger with Open311's `api_key` query parameter blanked in the access log: that standard lets a
    client send its key in the URL, and a key must never land in a log."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "q", "{raw_uri}e", "{query_string}e"):
            if isinstance(atoms.get(name), str):
                atoms[name] = _SECRET_PARAMETER.sub(r"\1[redacted]", atoms[name])
        return atoms


logger_class = RedactingLogger
