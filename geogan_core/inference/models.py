"""The shipped checkpoints: ``checkpoints/manifest.json`` and loading models from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from geogan_core.checkpoint import (
    MANIFEST,
    gan_from_checkpoint,
    judge_from_checkpoint,
    load_checkpoint,
    read_manifest,
    scene_classifier_from_checkpoint,
    sha256,
)
from geogan_core.errors import CheckpointError, GeoGanError
from geogan_core.models.registry import ARCHS

GAN_ARCHS = tuple(ARCHS)  # every registered GAN; its manifest entry has the same name
_REMAKE = {"directions": "python -m geogan_core directions",
           "landcover_heads": "python -m geogan_core evaluate --save-heads --json results/evaluate.json",
           "judge": "python -m geogan_core train judge && python -m geogan_core export judge",
           "retrieval": "python -m geogan_core train retrieval && python -m geogan_core export retrieval"}


@dataclass
class LoadedGAN:
    """A generator/discriminator pair with where it came from."""

    name: str
    G: nn.Module
    D: nn.Module
    path: Path
    sha256: str
    checkpoint: dict[str, Any]

    @property
    def label(self) -> str:
        """``file@sha256-prefix``: identifies the weights in outputs and downloads."""
        return f"{self.path.name}@{self.sha256[:12]}"


def model_title(name: str) -> str:
    """A GAN's title for people (``modern`` -> "modern cGAN"); other names as they are."""
    return ARCHS[name].title if name in ARCHS else name


def remake_command(name: str) -> str:
    """The command that writes manifest entry ``name`` again."""
    return _REMAKE.get(name, f"python -m geogan_core export {name}")


def _entry_path(folder: Path, name: str) -> tuple[Path, dict[str, Any]]:
    manifest = read_manifest(folder)
    if name not in manifest:
        have = sorted(manifest) or "none"
        raise CheckpointError(f"no {name!r} model in {Path(folder) / MANIFEST} (available: {have}); "
                              f"train it with `python -m geogan_core train` and export it")
    entry = manifest[name]
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
        raise CheckpointError(f"the {name!r} entry of {Path(folder) / MANIFEST} names no file; restore the "
                              f"manifest from git or write the model again (`{remake_command(name)}`)")
    return Path(folder) / entry["file"], entry


def verified_path(folder: Path, name: str) -> tuple[Path, str]:
    """Path of a manifest entry's file and its sha256, checked against the manifest.

    Raises:
        CheckpointError: If it is not listed, or its hash differs from the manifest.
    """
    path, entry = _entry_path(folder, name)
    digest = sha256(path) if path.is_file() else ""
    if path.is_file() and entry.get("sha256") and digest != entry["sha256"]:
        raise CheckpointError(f"{path} does not match the sha256 in {MANIFEST}; it is corrupt or was "
                              f"replaced: restore it from git (`git checkout -- checkpoints/{path.name}`) or "
                              f"re-export it (`{remake_command(name)}`)")
    return path, digest


def load_listed(folder: Path, name: str, kind: str) -> dict[str, Any]:
    """Load a (non-GAN) checkpoint listed in the manifest, hash-checked."""
    return load_checkpoint(verified_path(folder, name)[0], kind)


def load_gan(name: str, folder: Path) -> LoadedGAN:
    """Load a GAN listed in the manifest (``paper``, ``modern`` or ``ugan``).

    Raises:
        CheckpointError: If it is missing, corrupt, or its hash differs from the manifest.
    """
    path, digest = verified_path(folder, name)
    G, D, ckpt = gan_from_checkpoint(path)
    arch = ckpt["model_config"].get("arch")
    if name in GAN_ARCHS and arch != name:
        raise CheckpointError(f"{path} holds a {arch!r} GAN but {MANIFEST} lists it as the {name!r} model; "
                              f"the file was replaced: restore it from git or re-export it "
                              f"(`python -m geogan_core export {name}`)")
    return LoadedGAN(name, G, D, path, digest, ckpt)


def load_judge(folder: Path) -> nn.Module | None:
    """The from-scratch land-cover judge listed in the manifest, hash-checked; None when none is listed.

    Raises:
        CheckpointError: If it is listed but missing, corrupt or changed.
    """
    if "judge" not in read_manifest(folder):
        return None
    return judge_from_checkpoint(verified_path(folder, "judge")[0])[0]


def check_listed(folder: Path, name: str) -> str | None:
    """Load one manifest entry as the app would; the problem as a message, or None when it is usable."""
    try:
        entry = read_manifest(folder).get(name, {})
        if name in GAN_ARCHS:
            load_gan(name, folder)
        else:
            path = verified_path(folder, name)[0]
            load_checkpoint(path, entry.get("kind"))
    except GeoGanError as e:
        return str(e)
    return None


def load_scene_head(folder: Path) -> tuple[nn.Module, list[str]]:
    """The scene classifier head and its class names."""
    head, classes, _ = scene_classifier_from_checkpoint(verified_path(folder, "scenes")[0])
    return head, classes
