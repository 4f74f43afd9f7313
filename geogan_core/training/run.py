"""Entry point behind ``python -m geogan_core train``: picks configs, data and run folder."""

from __future__ import annotations

import tomllib
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geogan_core.config import PROJECT_ROOT, StudyArea, require_landcover
from geogan_core.data.pack import Pack, check_pack_matches, config_data_key
from geogan_core.data.paired import PairedData, load_paired
from geogan_core.errors import CheckpointError, ConfigError
from geogan_core.models.registry import ModelConfig, is_modern, recipe, uses_memory
from geogan_core.training.loop import TrainConfig, train_gan

if TYPE_CHECKING:
    from geogan_core.retrieval.memory import RetrievalMemory


def _tables(config_text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    raw = tomllib.loads(config_text)
    return raw.get("train", {}), raw.get("model", {})


MODEL_KEYS = ("z_dim", "c_dim", "ngf", "ndf", "image_size", "n_classes", "upsample", "disc", "place_strength")


def landcover_classes(area: StudyArea, data: PairedData) -> int:
    """Outputs of the modern discriminator's land-cover head: the largest class id at a place, plus 1."""
    nodata = set(area.landcover.nodata)
    present = [int(c) for c in np.unique(data.loc_class) if c >= 0 and int(c) not in nodata]
    return max(present) + 1 if present else 0


def train_command(area: StudyArea | None, what: str, arch: str = "modern", epochs: int | None = None, seed: int = 0,
                  device: str = "auto", resume: bool = False, run_dir: Path | None = None,
                  max_steps: int = 0, batch_size: int | None = None, width: int | None = None,
                  settings: dict[str, Any] | None = None, pack: Pack | None = None,
                  deadline: float = 0.0) -> Path:
    """Train ``cgan`` (paper or modern), ``ugan``, ``scenes`` or ``judge``; returns the checkpoint path.

    The architecture's registered recipe (``models.registry.recipe``) sets defaults, ``[train]`` and
    ``[model]`` tables in the study-area TOML override it, arguments override those, and ``settings``
    (``--set key=value``) overrides any ``[train]`` or ``[model]`` key last. With a
    ``pack`` the data (and, when ``area`` is None, the study area and its tables) come from it; a
    given ``area`` must be the one the pack was made from. ``deadline`` (a ``time.time()``) stops
    a GAN cleanly at the first step past it, with its checkpoint saved.

    Raises:
        DataError: If ``area`` and ``pack`` come from different data (both data keys named).
    """
    if pack is not None and area is not None:
        check_pack_matches(pack, area, config_data_key(area))
    config_text = area.config_path.read_text() if area is not None else pack.config_text if pack else ""
    area = area if area is not None else pack.area if pack is not None else None
    if area is None:
        raise ConfigError("train needs a study area (--config) or a pack (--pack)")
    if what == "scenes":
        from geogan_core.training.scenes import train_scene_features, train_scenes

        out = run_dir or PROJECT_ROOT / "runs" / "scenes"
        if pack is not None and pack.scene_features is not None:
            return train_scene_features(pack.scene_features, pack.scene_labels, out, seed=seed,
                                        source={"pack": pack.meta["key"], "images": len(pack.scene_labels)})
        if area.scenes_root is None:
            raise ConfigError(f"{area.config_path.name} has no [scenes].root; add the scene photo folder")
        return train_scenes(area.scenes_root, out, seed=seed)
    if what == "judge":
        from geogan_core.training.judge import train_judge

        require_landcover(area, "the judge (it learns the land-cover groups)")
        return train_judge(pack.data if pack is not None else load_paired(area),
                           run_dir or PROJECT_ROOT / "runs" / "judge", seed=seed,
                           max_steps=max_steps, **({"epochs": epochs} if epochs is not None else {}))
    if what == "retrieval":
        return _train_retrieval(area, pack, run_dir, seed, epochs, max_steps)
    arch = "ugan" if what == "ugan" else arch
    train_raw, model_raw = _tables(config_text)
    shipped = recipe(arch)
    train_raw = {**{k: v for k, v in shipped.items() if k not in MODEL_KEYS}, **train_raw}
    model_raw = {**{k: v for k, v in shipped.items() if k in MODEL_KEYS}, **model_raw}
    train_keys = {f.name for f in fields(TrainConfig)}
    for key, value in (settings or {}).items():
        if key not in train_keys and key not in MODEL_KEYS:
            raise ConfigError(f"--set {key}: unknown key; valid keys: {sorted(train_keys | set(MODEL_KEYS))}")
        (train_raw if key in train_keys else model_raw)[key] = value
    tcfg = TrainConfig.from_dict(train_raw)
    overrides: dict[str, Any] = {"seed": seed, "device": device, "max_steps": max_steps, "deadline": deadline}
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
    data = pack.data if pack is not None else load_paired(area)
    if is_modern(arch):
        mkw.setdefault("n_classes", landcover_classes(area, data))
    else:
        mkw.pop("n_classes", None)
    mcfg = ModelConfig(arch=arch, in_channels=area.channels, **mkw)
    memory = None
    if uses_memory(arch) or tcfg.neighbour_p:  # the pack's memory, else the area's shipped one
        from geogan_core.checkpoint import default_checkpoints

        memory = (_pack_memory(pack, tcfg.retrieval_key) if pack is not None else
                  _memory(area, data, default_checkpoints(area) / "retrieval.pt", tcfg.retrieval_key))
    return train_gan(area, mcfg, tcfg, data, run_dir or PROJECT_ROOT / "runs" / arch, resume=resume, memory=memory)


def _train_retrieval(area: StudyArea, pack: Pack | None, run_dir: Path | None, seed: int, epochs: int | None,
                     max_steps: int) -> Path:
    """The cross-view embedding and its memory of training places (needs Lite0, so not from a pack)."""
    from geogan_core.retrieval.train import RetrievalConfig, train_retrieval, view_features

    if pack is not None:
        raise ConfigError("train retrieval reads the views' Lite0 features, which a pack does not carry; "
                          "run it with --config on the study area")
    data = load_paired(area)
    feats = view_features(area, data)
    cfg = replace(RetrievalConfig(seed=seed), **({"epochs": epochs} if epochs is not None else {}))
    return train_retrieval(data, feats, run_dir or PROJECT_ROOT / "runs" / "retrieval", cfg, max_steps=max_steps)


def pack_memory_key() -> str:
    """The memory key of the guided cGAN's recipe: a pack stores the area's memory so keyed (the GPU plan's)."""
    return str(recipe("guided")["retrieval_key"])


def memory_state(area: StudyArea, data: PairedData) -> tuple[dict[str, Any] | None, str]:
    """The area's shipped generator memory keyed by ``pack_memory_key``, as a pack stores it, and why there is none.

    Returns ``(state, "")``, or ``(None, reason)`` when the area has no usable memory.
    """
    from geogan_core.checkpoint import default_checkpoints, load_checkpoint
    from geogan_core.retrieval.memory import generator_part

    path = default_checkpoints(area) / "retrieval.pt"
    if not path.is_file():
        return None, f"there is no {path} (train retrieval, export retrieval)"
    try:
        memory = _memory(area, data, path, pack_memory_key())
    except CheckpointError as e:
        return None, str(e)
    return {"net_config": generator_part(load_checkpoint(path, "retrieval"))["net_config"],
            "memory": memory.state()}, ""


def _pack_memory(pack: Pack, key: str) -> RetrievalMemory:
    """The retrieval memory a pack carries (``pack`` stores the area's, keyed for the GPU plan).

    Raises:
        ConfigError: If the pack holds none, or one ranked by another key than ``key``.
    """
    from geogan_core.retrieval.memory import RetrievalMemory

    if pack.memory is None:
        raise ConfigError("the pack holds no retrieval memory; make checkpoints/retrieval.pt (train retrieval, "
                          "export retrieval), then the pack again")
    memory = RetrievalMemory.from_checkpoint(pack.memory, "the pack's retrieval memory")
    if key and key != memory.key:
        raise ConfigError(f"the pack's retrieval memory ranks by {memory.key!r}, not retrieval_key {key!r}; "
                          f"drop the setting or make the pack with that key")
    return memory


def _memory(area: StudyArea, data: PairedData, path: Path, key: str) -> RetrievalMemory:
    """The shipped patch-only memory a generator carries; with another ``key``, rebuilt from its net with that key."""
    from geogan_core.retrieval.memory import KEYS, RetrievalMemory, generator_part, load_memory

    memory = load_memory(path, for_generator=True)
    memory.check_data(data, str(path))  # its place indices must point at this data's photos
    if not key or key == memory.key:
        return memory
    if key not in KEYS:
        raise ConfigError(f"retrieval_key {key!r}: choose one of {KEYS}")
    from geogan_core.checkpoint import load_checkpoint
    from geogan_core.models.crossview import CrossViewNet
    from geogan_core.retrieval.train import view_features

    part = generator_part(load_checkpoint(path, "retrieval"))
    net = CrossViewNet(**part["net_config"])
    net.load_state_dict(part["net"])
    feats = view_features(area, data, part["train_config"])
    return RetrievalMemory.build(net, data, feats, memory.place, key)
