"""A per-client-address rate limit for the public tracking look-ups (per process: see docs/intake.md)."""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict


class SlidingWindowLimiter:
    """At most `limit` hits per `window_s` seconds per key; remembers at most `max_keys` recent keys."""

    def __init__(self, limit: int, window_s: float = 60.0, max_keys: int = 100_000, clock=time.monotonic):
        self.limit, self.window_s, self.max_keys, self.clock = limit, window_s, max_keys, clock
        self._hits: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> int:
        """Count a hit; 0 when allowed, else the seconds to wait before the next one is."""
        now = self.clock()
        with self._lock:
            hits = [t for t in self._hits.pop(key, ()) if t > now - self.window_s]
            if len(hits) >= self.limit:
                self._hits[key] = hits
                return max(1, math.ceil(hits[0] + self.window_s - now))
            hits.append(now)
            self._hits[key] = hits
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
            return 0
