"""Ship trained runs: compact fp16 copies in ``checkpoints/`` plus their manifest entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geogan_core.checkpoint import export_for_inference, load_checkpoint, sha256, update_manifest
from geogan_core.errors import UnknownNameError
from geogan_core.models.registry import ARCHS

FILES = {**{name: arch.file for name, arch in ARCHS.items()},
         "scenes": "scenes.pt", "judge": "judge.pt", "retrieval": "retrieval.pt"}


def export_run(name: str, run_dir: Path, folder: Path) -> dict[str, Any]:
    """Export ``run_dir/latest.pt`` as model ``name`` and record it in the manifest.

    Returns:
        The manifest entry written.

    Raises:
        UnknownNameError: If ``name`` is not a registered GAN, scenes, judge or retrieval.
    """
    if name not in FILES:
        raise UnknownNameError(f"cannot export {name!r}: choose one of {sorted(FILES)}")
    src = Path(run_dir) / "latest.pt"
    ckpt = load_checkpoint(src)
    dst = Path(folder) / FILES[name]
    export_for_inference(src, dst)
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
