"""Stage timers for benchmarks: where the time of a Map click goes, measured inside the server.

``with stage("generation"):`` costs nothing unless ``GEOGAN_TIMINGS`` names a file; then each
stage appends one JSON line ``{"stage", "start", "seconds", "thread"}`` (wall-clock start, so a
benchmark can line the server's stages up with its browser's clock on the same machine); from then on
every full garbage collection is a stage too ("garbage collection").
"""

from __future__ import annotations

import gc
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.RLock()  # re-entrant: a garbage collection may start while a stage line is written


_gc_started: dict[int, tuple[float, float]] = {}


def _record_gc(phase: str, info: dict) -> None:
    """A ``gc.callbacks`` hook: each full collection (generation 2) as the stage "garbage collection".

    Streamlit collects after every script run (``runner.postScriptGC``), holding the interpreter lock for
    every session. Installed by the first ``stage`` with ``GEOGAN_TIMINGS`` set.
    """
    if info.get("generation") != 2:
        return
    if phase == "start":
        _gc_started[threading.get_ident()] = (time.time(), time.perf_counter())
    elif (started := _gc_started.pop(threading.get_ident(), None)) is not None:
        line = json.dumps({"stage": "garbage collection", "start": round(started[0], 4),
                           "seconds": round(time.perf_counter() - started[1], 5), "thread": threading.get_ident(),
                           "collected": info.get("collected")})
        with _lock, open(os.environ["GEOGAN_TIMINGS"], "a") as f:
            f.write(line + "\n")


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time the block as stage ``name`` (when ``GEOGAN_TIMINGS`` is set)."""
    path = os.environ.get("GEOGAN_TIMINGS")
    if not path:
        yield
        return
    if _record_gc not in gc.callbacks:  # full garbage collections are a stage too
        gc.callbacks.append(_record_gc)
    start, t0 = time.time(), time.perf_counter()
    try:
        yield
    finally:
        line = json.dumps({"stage": name, "start": round(start, 4), "seconds": round(time.perf_counter() - t0, 5),
                           "thread": threading.get_ident()})
        with _lock, open(path, "a") as f:
            f.write(line + "\n")
