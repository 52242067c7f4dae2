"""Issue 13.2: a header over 8 KB is refused by gunicorn itself; the answer is problem+json, not its HTML page."""
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests



def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_header_over_8_kb_is_a_431_problem_json(tmp_path):
    (tmp_path / "tinyapp.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'ok']\n")
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen([str(gunicorn), "-c", "python:wangge_common.gunicorn_conf", "--chdir", str(tmp_path),
                               "-b", f"127.0.0.1:{port}", "-w", "1", "tinyapp:app"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/v1/cases"
        assert requests.get(url, timeout=30).text == "ok"
        refused = requests.get(url, headers={"X-Padding": "x" * 9000}, timeout=30)
        assert refused.status_code == 431
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert refused.json()["status"] == 431 and refused.json()["title"] == "Request Header Fields Too Large"
        too_long = requests.get(url + "?q=" + "x" * 5000, timeout=30)
        assert too_long.status_code == 414 and too_long.json()["status"] == 414
    finally:
        server.terminate()
        server.wait(30)
