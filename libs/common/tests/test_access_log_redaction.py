"""Open311 lets a client put its api_key in the URL: gunicorn's access log must never show it."""
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config

from wangge_common.gunicorn_conf import RedactingLogger


def test_the_api_key_is_blanked_in_the_access_log_line():
    logger = RedactingLogger(Config())
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/open311/v2/requests.xml?status=open&api_key=wg_SECRET&x=1",
               "SERVER_PROTOCOL": "HTTP/1.1", "QUERY_STRING": "API_KEY=wg_SECRET",
               "PATH_INFO": "/open311/v2/requests.xml"}
    atoms = logger.atoms(SimpleNamespace(status="200 OK", headers=[], sent=10), SimpleNamespace(headers=[]), environ,
                         timedelta(seconds=0))
    line = " ".join(str(v) for v in atoms.values())
    assert "wg_SECRET" not in line
    assert atoms["r"] == "GET /open311/v2/requests.xml?status=open&api_key=[redacted]&x=1 HTTP/1.1"
