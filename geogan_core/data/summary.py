"""``data summary`` and ``data preview``: what the study area holds, and a look at one place."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from geogan_core.config import StudyArea
from geogan_core.data.paired import load_paired
from geogan_core.data.splits import SPLITS
from geogan_core.geo.grid import check_latlon
from geogan_core.geo.stack import LandCover, OverheadStack, layer_images
from geogan_core.imaging import grid

MAX_LISTED = 20


def skipped_lines(skipped: list[tuple[int, str]], limit: int = MAX_LISTED) -> list[str]:
    """Skipped photo rows as ``row N: reason`` lines: the first ``limit``, then how many more."""
    lines = [f"row {row}: {why}" if row > 0 else why for row, why in skipped[:limit]]
    if len(skipped) > limit:
        lines.append(f"... and {len(skipped) - limit} more")
    return lines


def skipped_warning(summary: dict[str, Any], shown: int = 3) -> str | None:
    """One warning about a summary's skipped photo rows (None when every row was used)."""
    n = summary.get("skipped_rows", 0)
    if not n:
        return None
    lines = summary.get("skipped", [])
    first = "; ".join(lines[:shown]) + ("; ..." if n > shown else "")
    return (f"{n} row(s) of the photo table {summary.get('photo_table', '')} were skipped ({first}); fix or "
            f"remove them (`python -m geogan_core data summary` lists them). The other photos are used.")


def data_summary(area: StudyArea) -> dict[str, Any]:
    """Counts and sanity checks of a study area (builds the paired cache on first use).

    Returns:
        A JSON-ready dict with at least ``panoramas``, ``views``, ``labelled_locations``,
        ``label_counts``, ``overhead_layers``, ``splits`` (places per side) and ``split`` (its kind, regions
        per side, places dropped by the buffer, the smallest train-test distance); ``skipped`` lists the photo rows
        that were left out, each with its reason.
    """
    data = load_paired(area)
    labelled = data.loc_label >= 0
    label_counts = {name: int((data.loc_label == i).sum()) for i, name in enumerate(data.group_names)}
    splits = {}
    for name in SPLITS:
        m = data.split_mask(name)
        splits[name] = {"places": int(m.sum()), "views": int(data.view_mask(name).sum()),
                        "labelled": int((m & labelled).sum()),
                        **{g: int((m & (data.loc_label == i)).sum()) for i, g in enumerate(data.group_names)}}
    return {
        "study_area": area.name,
        "config": str(area.config_path),
        "data_root": str(area.data_root),
        "panoramas": data.n_locations,
        "views": len(data.view_loc),
        "views_per_panorama": area.photos.views_per_image,
        "labelled_locations": int(labelled.sum()),
        "label_counts": label_counts,
        "label_sources": dict(Counter(str(s) for s in data.loc_label_source)),
        "landcover_classes": {str(k): v for k, v in sorted(Counter(int(c) for c in data.loc_class).items())},
        "photo_table": str(area.photos.csv),
        "skipped_rows": len(data.skipped),
        "skipped": skipped_lines(data.skipped),
        "overhead_layers": [{"name": layer.name, "kind": layer.kind, "channels": layer.channels,
                             "file": str(layer.path)} for layer in area.layers],
        "condition_shape": list(data.patches.shape[1:]),
        "splits": splits,
        "split_rule": area.split.rule,
        "split": data.split.summary(),
        "cache_key": data.key,
    }


def _caption(img: np.ndarray, text: str) -> np.ndarray:
    im = Image.fromarray(img)
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, im.width, 12), fill=(0, 0, 0))
    draw.text((2, 0), text, fill=(255, 255, 255))
    return np.asarray(im)


def preview_image(area: StudyArea, lat: float, lon: float, k: int = 3) -> np.ndarray:
    """One picture: each overhead layer of the patch at a place, then the k nearest real panoramas.

    Raises:
        CoordinateError: For coordinates that are not valid WGS84 degrees.
    """
    lat, lon = check_latlon(lat, lon)
    stack = OverheadStack(area)
    landcover = LandCover(area.landcover)
    data = load_paired(area, stack, landcover)
    label = landcover.label(lat, lon)
    tiles = []
    for name, img in layer_images(stack.patch(lat, lon)[0], stack.layer_configs).items():
        big = np.asarray(Image.fromarray(img).resize((128, 128), Image.Resampling.NEAREST))
        tiles.append(_caption(big, name))
    lc = _caption(np.full((128, 128, 3), 255, np.uint8), f"{lat:.2f},{lon:.2f}")
    lc = np.asarray(lc).copy()
    ImageDraw.Draw(im := Image.fromarray(lc)).text((2, 40), landcover.name(label.cls)[:20], fill=(0, 0, 0))
    tiles.append(np.asarray(im))
    rows = [grid(np.stack(tiles), ncol=len(tiles))]
    idx, dist = data.nearest(lat, lon, k)
    vpi = area.photos.views_per_image
    for i, d in zip(idx, dist, strict=True):
        views = list(data.place_views(int(i)))
        views[0] = _caption(views[0], f"{d:.1f} km" if d < 10 else f"{d:,.0f} km")
        rows.append(grid(np.stack(views), ncol=vpi))
    width = max(r.shape[1] for r in rows)
    padded = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    return np.concatenate(padded)
