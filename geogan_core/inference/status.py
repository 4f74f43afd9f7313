"""What the home page shows: is the study area's data there, are the models there, what to do if not."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geogan_core.checkpoint import default_checkpoints, read_manifest
from geogan_core.config import PROJECT_ROOT, load_config
from geogan_core.data.summary import data_summary, skipped_warning
from geogan_core.errors import GeoGanError
from geogan_core.inference.models import check_listed


@dataclass
class StudyStatus:
    """Data and checkpoint status of a study area; never raises, lists problems instead."""

    config: str
    name: str = ""
    summary: dict[str, Any] | None = None
    models: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def study_status(config: str | Path | None = None, checkpoints: Path | None = None) -> StudyStatus:
    """Check a study area's data and the shipped checkpoints (each one is loaded once to prove it usable).

    Args:
        config: Study-area TOML (default ``configs/world.toml``).
        checkpoints: Folder with ``manifest.json``.
    """
    status = StudyStatus(config=str(config or "configs/world.toml"))
    area = None
    try:
        area = load_config(config)
        status.name, status.config = area.name, str(area.config_path)
        status.summary = data_summary(area)
        skipped = skipped_warning(status.summary)
        if skipped:
            status.problems.append(skipped)
    except GeoGanError as e:
        status.problems.append(str(e))
    checkpoints = Path(checkpoints) if checkpoints else default_checkpoints(area)
    try:
        manifest = read_manifest(checkpoints)
    except GeoGanError as e:
        status.problems.append(str(e))
        manifest = {}
    if not manifest:
        own = area is not None and area.checkpoints_dir != PROJECT_ROOT / "checkpoints"
        cfg = f" --config {area.config_path}" if own and area is not None else ""
        status.problems.append(f"no trained models in {checkpoints}; restore checkpoints/ from git or train with "
                               f"`python -m geogan_core train cgan{cfg}` and `python -m geogan_core export "
                               f"modern{cfg}`")
    for name, entry in manifest.items():
        present = (Path(checkpoints) / entry.get("file", "")).is_file()
        problem = check_listed(checkpoints, name)
        if problem:
            status.problems.append(f"model {name!r} is unusable: {problem}")
        status.models.append({"name": name, "file": entry.get("file"), "present": present,
                              "usable": problem is None, "problem": problem,
                              "epochs": entry.get("epochs"), "metrics": entry.get("metrics", {}),
                              "machine": entry.get("machine"), "train_seconds": entry.get("train_seconds")})
    return status
