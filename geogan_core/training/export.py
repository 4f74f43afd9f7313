"""Ship trained runs: compact fp16 copies in ``checkpoints/`` plus their manifest entries."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from geogan_core.checkpoint import export_for_inference, load_checkpoint, model_config_of, sha256, update_manifest
from geogan_core.errors import ConfigError, UnknownNameError
from geogan_core.models.registry import ARCHS

FILES = {**{name: arch.file for name, arch in ARCHS.items()},
         "scenes": "scenes.pt", "judge": "judge.pt", "retrieval": "retrieval.pt"}


def export_run(name: str, run_dir: Path, folder: Path, place_strength: float | None = None) -> dict[str, Any]:
    """Export ``run_dir/latest.pt`` as model ``name`` and record it in the manifest.

    ``place_strength``: a GAN's place strength to ship instead of its run's (``ModelConfig``;
    chosen on the validation regions after training, ``bench/place_strength.py``).

    Returns:
        The manifest entry written.

    Raises:
        UnknownNameError: If ``name`` is not a registered GAN, scenes, judge or retrieval.
        ConfigError: If a place strength is given for a model that has none.
    """
    if name not in FILES:
        raise UnknownNameError(f"cannot export {name!r}: choose one of {sorted(FILES)}")
    src = Path(run_dir) / "latest.pt"
    ckpt = load_checkpoint(src)
    dst = Path(folder) / FILES[name]
    extra = {}
    if place_strength is not None:
        if ckpt["kind"] != "gan":
            raise ConfigError(f"--place-strength is a GAN's setting; {src} holds a {ckpt['kind']} model")
        cfg = replace(model_config_of(ckpt, src), place_strength=float(place_strength))  # checks it
        extra = {"model_config": ckpt["model_config"] | {"place_strength": cfg.place_strength}}
        ckpt.update(extra)
    export_for_inference(src, dst, extra)
    entry: dict[str, Any] = {
        "file": dst.name, "sha256": sha256(dst), "bytes": dst.stat().st_size, "kind": ckpt["kind"],
        "storage": "fp16", "train_seconds": round(float(ckpt.get("train_seconds", 0)), 1),
        "machine": ckpt.get("machine", "unknown"), "data": ckpt.get("data", {}),
    }
    if ckpt["kind"] == "gan":
        entry.update(arch=ckpt["arch"], model_config=ckpt["model_config"], epochs=ckpt["epoch"] + 1,
                     steps=ckpt["step"], seed=ckpt["train_config"]["seed"], train_config=ckpt["train_config"],
                     study_area=ckpt["config"]["name"])
    else:
        summary = {k: v for k, v in ckpt.get("metrics", {}).items() if k != "history"}  # the checkpoint keeps it
        entry.update(seed=ckpt.get("seed"), metrics=summary)
    update_manifest(folder, name, entry)
    return entry
