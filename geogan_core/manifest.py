"""Where the checkpoints are and what their manifest lists: no torch, so a page can ask before loading any model."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from geogan_core.config import PROJECT_ROOT, StudyArea
from geogan_core.errors import CheckpointError

MANIFEST = "manifest.json"


def default_checkpoints(area: StudyArea | None = None) -> Path:
    """``GEOGAN_CHECKPOINTS`` if set, else the area's checkpoints folder, else the project's ``checkpoints/``."""
    env = os.environ.get("GEOGAN_CHECKPOINTS")
    if env:
        return Path(env)
    return area.checkpoints_dir if area is not None and area.checkpoints_dir else PROJECT_ROOT / "checkpoints"


def read_manifest(folder: Path) -> dict[str, Any]:
    """The ``models`` table of ``folder/manifest.json`` (empty when there is none).

    Raises:
        CheckpointError: If the manifest exists but is not valid JSON.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text())["models"])
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise CheckpointError(f"{path} is not a valid manifest ({e}); restore it from git") from e


def gan_names(folder: Path) -> list[str]:
    """The GANs the manifest lists, the one whose views best follow the place first (ties: by name).

    Ordered by the independent judge's paired-versus-shuffled difference (how much more a view
    looks like its own place's land cover than a random place's; ``python -m geogan_core metrics``),
    so the app opens on the model that answers "what is it like down there" best; models scored
    without the judge follow, by class-balanced land-cover consistency (the plain consistency for
    older manifests), which does not reward a model that makes every place look like the majority.

    Raises:
        CheckpointError: If the manifest exists but is not valid JSON.
    """
    def score(entry: dict[str, Any]) -> tuple[int, float]:
        m = entry.get("metrics", {})
        judged = (m.get("judge") or {}).get("paired_vs_shuffled")
        if judged is not None:
            return 1, float(judged)
        return 0, float(m.get("landcover_balanced", m.get("landcover_consistency", -1.0)))

    gans = {name: entry for name, entry in read_manifest(folder).items() if entry.get("kind") == "gan"}
    return sorted(gans, key=lambda name: (tuple(-v for v in score(gans[name])), name))
