"""Start one supervised program: `python -m wangge_devstack.launch <spec.json>` execs the spec's argv with its
environment, after asking Linux to SIGTERM it when supervisord dies, so nothing outlives the stack.

The spec file (written 0600 by the stack: it holds keys) keeps environments and argv out of supervisord's
configuration syntax, where quotes, commas and `%` in values (JSON key lists, URLs) need escaping.
"""
from __future__ import annotations

import json
import os
import signal
import sys


def die_with_parent() -> None:
    """Get SIGTERM when the parent process dies (Linux PR_SET_PDEATHSIG; survives exec); elsewhere do nothing."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def main(argv: list[str]) -> None:
    with open(argv[0], encoding="utf-8") as spec_file:
        spec = json.load(spec_file)
    die_with_parent()
    os.execvpe(spec["argv"][0], spec["argv"], spec["env"])


if __name__ == "__main__":
    main(sys.argv[1:])
