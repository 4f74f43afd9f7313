"""Entry point behind ``python -m geogan_core train``: picks configs, data and run folder."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from geogan_core.config import PROJECT_ROOT, StudyArea
from geogan_core.data.paired import load_paired
from geogan_core.errors import ConfigError
from geogan_core.models.registry import ModelConfig
from geogan_core.training.loop import TrainConfig, train_gan


def _tables(area: StudyArea) -> tuple[dict[str, Any], dict[str, Any]]:
    raw = tomllib.loads(area.config_path.read_text())
    return raw.get("train", {}), raw.get("model", {})


def train_command(area: StudyArea, what: str, arch: str = "modern", epochs: int | None = None, seed: int = 0,
                  device: str = "auto", resume: bool = False, run_dir: Path | None = None,
                  max_steps: int = 0, batch_size: int | None = None, width: int | None = None) -> Path:
    """Train ``cgan`` (paper or modern), ``ugan`` or ``scenes``; returns the checkpoint path.

    ``[train]`` and ``[model]`` tables in the study-area TOML set defaults; arguments override.
    """
    if what == "scenes":
        from geogan_core.training.scenes import train_scenes

        if area.scenes_root is None:
            raise ConfigError(f"{area.config_path.name} has no [scenes].root; add the scene photo folder")
        return train_scenes(area.scenes_root, run_dir or PROJECT_ROOT / "runs" / "scenes", seed=seed)
    arch = "ugan" if what == "ugan" else arch
    train_raw, model_raw = _tables(area)
    tcfg = TrainConfig.from_dict(dict(train_raw))
    overrides: dict[str, Any] = {"seed": seed, "device": device, "max_steps": max_steps}
    if epochs is not None:
        overrides["epochs"] = epochs
    if batch_size is not None:
        overrides["batch_size"] = batch_size
    tcfg = replace(tcfg, **overrides)
    allowed = ("z_dim", "c_dim", "ngf", "ndf", "image_size")
    unknown = sorted(set(model_raw) - set(allowed))
    if unknown:
        raise ConfigError(f"{area.config_path.name}: [model] has unknown key(s) {unknown}; valid keys: {list(allowed)}")
    mkw = dict(model_raw)
    if width is not None:
        mkw.update(ngf=width, ndf=width)
    mcfg = ModelConfig(arch=arch, in_channels=area.channels, **mkw)
    data = load_paired(area)
    return train_gan(area, mcfg, tcfg, data, run_dir or PROJECT_ROOT / "runs" / arch, resume=resume)
