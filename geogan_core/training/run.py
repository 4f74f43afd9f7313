"""Entry point behind ``python -m geogan_core train``: picks configs, data and run folder."""

from __future__ import annotations

import tomllib
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from geogan_core.config import PROJECT_ROOT, StudyArea
from geogan_core.data.paired import PairedData, load_paired
from geogan_core.errors import ConfigError
from geogan_core.models.registry import ModelConfig
from geogan_core.training.loop import TrainConfig, train_gan


def _tables(area: StudyArea) -> tuple[dict[str, Any], dict[str, Any]]:
    raw = tomllib.loads(area.config_path.read_text())
    return raw.get("train", {}), raw.get("model", {})


MODEL_KEYS = ("z_dim", "c_dim", "ngf", "ndf", "image_size", "n_classes")


def landcover_classes(area: StudyArea, data: PairedData) -> int:
    """Outputs of the modern discriminator's land-cover head: the largest class id at a place, plus 1."""
    nodata = set(area.landcover.nodata)
    present = [int(c) for c in np.unique(data.loc_class) if c >= 0 and int(c) not in nodata]
    return max(present) + 1 if present else 0


def train_command(area: StudyArea, what: str, arch: str = "modern", epochs: int | None = None, seed: int = 0,
                  device: str = "auto", resume: bool = False, run_dir: Path | None = None,
                  max_steps: int = 0, batch_size: int | None = None, width: int | None = None,
                  settings: dict[str, Any] | None = None) -> Path:
    """Train ``cgan`` (paper or modern), ``ugan`` or ``scenes``; returns the checkpoint path.

    ``[train]`` and ``[model]`` tables in the study-area TOML set defaults; arguments override, and
    ``settings`` (``--set key=value``) overrides any ``[train]`` or ``[model]`` key last.
    """
    if what == "scenes":
        from geogan_core.training.scenes import train_scenes

        if area.scenes_root is None:
            raise ConfigError(f"{area.config_path.name} has no [scenes].root; add the scene photo folder")
        return train_scenes(area.scenes_root, run_dir or PROJECT_ROOT / "runs" / "scenes", seed=seed)
    arch = "ugan" if what == "ugan" else arch
    train_raw, model_raw = _tables(area)
    train_raw, model_raw = dict(train_raw), dict(model_raw)
    train_keys = {f.name for f in fields(TrainConfig)}
    for key, value in (settings or {}).items():
        if key not in train_keys and key not in MODEL_KEYS:
            raise ConfigError(f"--set {key}: unknown key; valid keys: {sorted(train_keys | set(MODEL_KEYS))}")
        (train_raw if key in train_keys else model_raw)[key] = value
    tcfg = TrainConfig.from_dict(train_raw)
    overrides: dict[str, Any] = {"seed": seed, "device": device, "max_steps": max_steps}
    if epochs is not None:
        overrides["epochs"] = epochs
    if batch_size is not None:
        overrides["batch_size"] = batch_size
    tcfg = replace(tcfg, **overrides)
    unknown = sorted(set(model_raw) - set(MODEL_KEYS))
    if unknown:
        raise ConfigError(f"{area.config_path.name}: [model] has unknown key(s) {unknown}; "
                          f"valid keys: {list(MODEL_KEYS)}")
    mkw = dict(model_raw)
    if width is not None:
        mkw.update(ngf=width, ndf=width)
    data = load_paired(area)
    if arch == "modern":
        mkw.setdefault("n_classes", landcover_classes(area, data))
    else:
        mkw.pop("n_classes", None)
    mcfg = ModelConfig(arch=arch, in_channels=area.channels, **mkw)
    return train_gan(area, mcfg, tcfg, data, run_dir or PROJECT_ROOT / "runs" / arch, resume=resume)
