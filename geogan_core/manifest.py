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
