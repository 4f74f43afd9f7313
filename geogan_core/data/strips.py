"""Panorama strips: a place's views side by side in heading order, and wrap-around windows of them.

A 5 km overhead pixel has no heading, so every yaw of a place's strip is a valid view of it
(the training loop's heading crops); the exemplar cGAN reads its exemplars the same way.
"""

from __future__ import annotations

import numpy as np
import torch

from geogan_core.data.paired import PairedData


def place_strips(data: PairedData, places: np.ndarray, size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The views of ``places`` (ascending place indices) as ``(N, 3, S, S)`` uint8, each place's first view and count.

    A place's views are contiguous and in heading order in the paired cache, so the ``i``-th place's
    strip is ``views[first[i]: first[i] + count[i]]``.
    """
    places = np.asarray(places)
    sel = np.flatnonzero(np.isin(data.view_loc, places))
    loc = data.view_loc[sel]
    first = np.searchsorted(loc, places)
    views = torch.from_numpy(np.ascontiguousarray(data.views(size)[sel])).permute(0, 3, 1, 2)
    return views, torch.from_numpy(first), torch.from_numpy(np.diff(np.r_[first, len(loc)]))


def strip_windows(views: torch.Tensor, first: torch.Tensor, count: torch.Tensor, place: torch.Tensor,
                  start: torch.Tensor) -> torch.Tensor:
    """``S``-wide windows of places' strips from column ``start``, wrapping around: ``(B, 3, S, S)`` uint8.

    ``place`` indexes ``first``/``count`` (see ``place_strips``); ``start`` is a column of the strip.
    """
    s = views.shape[-1]
    col = (start[:, None] + torch.arange(s, device=start.device)) % (count[place, None] * s)
    view = first[place, None] + col // s
    return views[view, :, :, col % s].permute(0, 2, 3, 1)  # (B, cols, 3, rows) -> (B, 3, rows, cols)
