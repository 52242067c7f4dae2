"""gunicorn settings every service shares: `gunicorn -c python:wangge_common.gunicorn_conf <service>.wsgi:app`."""
import os

from gunicorn import util as gunicorn_util
from prometheus_client import multiprocess

from wangge_common.problems import write_gunicorn_error

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
