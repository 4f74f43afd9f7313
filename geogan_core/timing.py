"""Stage timers for benchmarks: where the time of a Map click goes, measured inside the server.

``with stage("generation"):`` costs nothing unless ``GEOGAN_TIMINGS`` names a file; then each
stage appends one JSON line ``{"stage", "start", "seconds", "thread"}`` (wall-clock start, so a
benchmark can line the server's stages up with its browser's clock on the same machine).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time the block as stage ``name`` (when ``GEOGAN_TIMINGS`` is set)."""
    path = os.environ.get("GEOGAN_TIMINGS")
    if not path:
        yield
        return
    start, t0 = time.time(), time.perf_counter()
    try:
        yield
    finally:
        line = json.dumps({"stage": name, "start": round(start, 4), "seconds": round(time.perf_counter() - t0, 5),
                           "thread": threading.get_ident()})
        with _lock, open(path, "a") as f:
            f.write(line + "\n")
