"""Progress reporting that works in the terminal (tqdm) and in the app (a callback)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")
ProgressFn = Callable[[int, int, str], None]
"""Called as ``fn(done, total, message)``; the app maps it onto ``st.progress``."""


def track(items: Iterable[T], total: int, desc: str, progress: ProgressFn | None = None) -> Iterator[T]:
    """Iterate with a tqdm bar, or report each step to ``progress`` when one is given.

    A single step shows no bar (the server's per-click feature batches would print one each).
    """
    if progress is None:
        yield from tqdm(items, total=total, desc=desc, leave=False, disable=total <= 1)
        return
    for i, item in enumerate(items):
        progress(i, total, desc)
        yield item
    progress(total, total, desc)
