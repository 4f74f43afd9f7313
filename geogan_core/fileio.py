"""Atomic file writes: every cache, checkpoint and result is written to a temp file, then renamed."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: Path, mode: int = 0o644) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    A reader never sees half a file, and a failed or killed write leaves the old file (or none).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(path: Path, text: str) -> None:
    """Write text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def file_stamps(paths: Iterable[Path]) -> list[tuple[str, int, int]]:
    """Path, size and modification time (ns) of each existing file, sorted.

    A cache key part that costs a stat per file and changes whenever one of them does (source files,
    for caches of what code made).
    """
    return [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(paths) if p.is_file()]


_FULL_HASH_BYTES = 64 << 20
_digests: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """SHA-1 of a file's content (first 16 hex digits), for cache keys that survive copies and new mtimes.

    Files over 64 MB are hashed by their size and their first and last 8 MB, so a huge raster
    costs no more than a small one. Results are memoised per (path, size, mtime) in this process.
    """
    path = Path(path)
    st = path.stat()
    memo = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if memo not in _digests:
        h = hashlib.sha1(str(st.st_size).encode())
        with path.open("rb") as f:
            if st.st_size <= _FULL_HASH_BYTES:
                h.update(f.read())
            else:
                h.update(f.read(8 << 20))
                f.seek(-(8 << 20), os.SEEK_END)
                h.update(f.read())
        _digests[memo] = h.hexdigest()[:16]
    return _digests[memo]
