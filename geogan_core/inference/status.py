"""What the home page shows: is the study area's data there, are the models there, what to do if not.

``home_status`` and ``home_showcase`` keep what they computed on disk (``<area cache>/home/``),
keyed by ``home_key``: the study-area file, the data cache's key and split, the manifest (which
holds every checkpoint's sha256), the size and modification time of every file in the checkpoints
folder, and those of geogan_core's source. A re-exported checkpoint, other data or new code
make a new entry; a start with the entry on disk loads no model and imports no torch.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from geogan_core.config import PROJECT_ROOT, StudyArea, load_config
from geogan_core.errors import GeoGanError
from geogan_core.fileio import atomic_write_text, file_stamps
from geogan_core.manifest import MANIFEST, default_checkpoints, read_manifest

HOME_CACHE_VERSION = 1
SOURCE = Path(__file__).resolve().parents[1]  # geogan_core/


@dataclass
class StudyStatus:
    """Data and checkpoint status of a study area; never raises, lists problems instead."""

    config: str
    name: str = ""
    summary: dict[str, Any] | None = None
    models: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class ShowcaseTile:
    """One place of the home page's gallery, ready to show: its name, its Map page link, a 2 x 2 picture."""

    name: str
    query: dict[str, str]  # the Map page's query parameters for the place
    picture: str  # a data URI: 4 generated views in a 2 x 2 grid


def study_status(config: str | Path | None = None, checkpoints: Path | None = None) -> StudyStatus:
    """Check a study area's data and the shipped checkpoints (each one is loaded once to prove it usable).

    Args:
        config: Study-area TOML (default ``configs/world.toml``).
        checkpoints: Folder with ``manifest.json``.
    """
    from geogan_core.data.summary import data_summary, skipped_warning
    from geogan_core.inference.models import check_listed

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


def home_key(area: StudyArea, checkpoints: Path) -> str:
    """What the home page's status and gallery depend on, hashed (see the module's docstring).

    Raises:
        DataNotFoundError: If the area's photo table is missing (nothing is cached then).
    """
    from geogan_core.data.paired import cache_key, data_key

    manifest = checkpoints / MANIFEST
    parts = [HOME_CACHE_VERSION, area.config_path.read_text(), data_key(cache_key(area), area), str(checkpoints),
             hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.is_file() else "",
             file_stamps(checkpoints.glob("*")), file_stamps(SOURCE.rglob("*.py"))]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def _home_entry(config: str | Path | None, checkpoints: str | Path | None, name: str) -> Path | None:
    """The cache file of ``name`` for this area and checkpoints, or None when the area cannot be read."""
    try:
        area = load_config(config)
        key = home_key(area, Path(checkpoints) if checkpoints else default_checkpoints(area))
    except (GeoGanError, OSError):
        return None
    return area.cache_dir / "home" / f"{name}-{key}.json"


def _keep(entry: Path, text: str) -> None:
    """Write a cache entry and remove the same entry's older keys."""
    atomic_write_text(entry, text)
    stem = entry.name.rsplit("-", 1)[0]
    for old in entry.parent.glob(f"{stem}-*.json"):
        if old != entry:
            old.unlink(missing_ok=True)


def home_status(config: str | Path | None = None, checkpoints: str | Path | None = None) -> StudyStatus:
    """``study_status``, kept on disk under ``home_key`` (a problem reading the area is never kept)."""
    entry = _home_entry(config, checkpoints, "status")
    if entry is not None and entry.is_file():
        return StudyStatus(**json.loads(entry.read_text()))
    status = study_status(config, Path(checkpoints) if checkpoints else None)
    if entry is not None:
        _keep(entry, json.dumps(asdict(status)))
    return status


def home_showcase(names: list[str], config: str | None = None, checkpoints: str | None = None) -> list[ShowcaseTile]:
    """The gallery (``place.gallery``) at ``names`` as tiles, kept on disk under ``home_key``.

    Raises:
        CheckpointError: If no model is shipped or the default one is unusable (nothing is kept).
    """
    entry = _home_entry(config, checkpoints, "showcase-" + hashlib.sha256("|".join(names).encode()).hexdigest()[:8])
    if entry is not None and entry.is_file():
        return [ShowcaseTile(**tile) for tile in json.loads(entry.read_text())]
    from geogan_core.imaging import data_uris, grid
    from geogan_core.inference.generate import shared_explorer
    from geogan_core.inference.place import gallery

    tiles = [ShowcaseTile(p.name, p.query, data_uris([grid(p.images, ncol=2)])[0])
             for p in gallery(shared_explorer(config, checkpoints), names)]
    if entry is not None:
        _keep(entry, json.dumps([asdict(t) for t in tiles]))
    return tiles
