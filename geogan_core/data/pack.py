"""One file with everything training and scoring need, for a machine that has no study area.

``write_pack`` stores the paired dataset (views at 128 pixels as JPEG, or raw with ``lossless``;
the 64-pixel views are made from them on load exactly as the cache makes them), the overhead
patches in fp16 (byte-shuffled, LZMA), labels, regions, the split, the study-area config and its
text, the data key, the scene photos' Lite0 features (so the scene head trains without
Lite0) and, when given, the retrieval memory of the training places (so the retrieval-guided
cGAN trains without Lite0 or ``checkpoints/retrieval.pt``). It is a plain zip: ``read_pack``
needs numpy, Pillow and torch only (no rasterio, no land-cover package, no EfficientNet).
"""

from __future__ import annotations

import io
import json
import pickle
import platform
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geogan_core.config import StudyArea, area_from_dict
from geogan_core.data.paired import ARRAYS, VIEW_SIZES, PairedData, data_key, downscale
from geogan_core.data.splits import Split
from geogan_core.errors import DataError
from geogan_core.fileio import atomic_path
from geogan_core.progress import ProgressFn, track

PACK_VERSION = 1
_LOC_ARRAYS = tuple(k for k in ARRAYS if k not in ("patches", "views64", "views128"))  # stored as they are


@dataclass
class Pack:
    """What a pack holds: the study area it was made from, its data, and the scene features."""

    area: StudyArea
    config_text: str  # the study-area TOML (its [train] and [model] tables are the defaults)
    data: PairedData
    scene_features: np.ndarray | None  # (N, D) float32 Lite0 features of the scene photos
    scene_labels: np.ndarray | None
    meta: dict[str, Any]
    memory: dict[str, Any] | None = None  # {"net_config", "memory"}: ``RetrievalMemory.from_checkpoint`` reads it


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def _shuffle16(a: np.ndarray) -> np.ndarray:
    """fp16 as two byte planes (high bytes together): LZMA packs the patches about a third smaller."""
    return np.ascontiguousarray(np.asarray(a, np.float16).view(np.uint8).reshape(-1, 2).T)


def _unshuffle16(planes: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return np.ascontiguousarray(planes.T).view(np.float16).reshape(shape)


def _jpegs(views: np.ndarray, quality: int, progress: ProgressFn | None) -> tuple[bytes, np.ndarray]:
    from PIL import Image

    blobs = []
    for v in track(views, len(views), "encoding views", progress):
        buf = io.BytesIO()
        Image.fromarray(np.asarray(v)).save(buf, "JPEG", quality=quality)
        blobs.append(buf.getvalue())
    ends = np.cumsum([len(b) for b in blobs]).astype(np.int64)
    return b"".join(blobs), ends


def write_pack(area: StudyArea, data: PairedData, out: Path, quality: int = 80, lossless: bool = False,
               scene_features: np.ndarray | None = None, scene_labels: np.ndarray | None = None,
               memory: dict[str, Any] | None = None, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Write the pack for ``area`` and ``data`` to ``out`` (atomically); returns its summary.

    ``memory``: a retrieval memory of ``data``'s training places as ``{"net_config", "memory"}``
    (``RetrievalMemory.state()``), for the retrieval-guided cGAN.

    Raises:
        DataError: If ``out`` cannot be written, or ``quality`` is not 1..100.
    """
    if not 1 <= quality <= 100:
        raise DataError(f"--quality must be 1..100, got {quality}")
    views = data.views(128)
    meta: dict[str, Any] = {
        "version": PACK_VERSION, "study_area": area.name, "config": area.to_dict(),
        "config_text": area.config_path.read_text() if area.config_path.is_file() else "",
        "key": data.key, "arrays_key": data.arrays_key, "group_names": data.group_names,
        "channel_names": data.channel_names, "skipped": data.skipped,
        "split": {"kind": data.split.kind, "n_dropped": data.split.n_dropped,
                  "n_location_grouped": data.split.n_location_grouped,
                  "min_train_test_km": data.split.min_train_test_km,
                  "location_km": data.split.location_km, "location_why": data.split.location_why},
        "views": {"n": int(len(views)), "size": 128, "format": "raw" if lossless else "jpeg", "quality": quality},
        "patches": list(data.patches.shape), "made": time.strftime("%Y-%m-%d %H:%M:%S"), "host": platform.node(),
    }
    entries: dict[str, tuple[bytes, int]] = {
        **{f"{k}.npy": (_npy(getattr(data, k)), zipfile.ZIP_DEFLATED) for k in _LOC_ARRAYS},
        "split_codes.npy": (_npy(data.split.codes), zipfile.ZIP_DEFLATED),
        "split_regions.npy": (_npy(data.split.regions.astype(str)), zipfile.ZIP_DEFLATED),
        "patches.f16planes.npy": (_npy(_shuffle16(data.patches)), zipfile.ZIP_LZMA),
    }
    if lossless:
        entries["views128.npy"] = (_npy(views), zipfile.ZIP_LZMA)
        entries["views64.npy"] = (_npy(data.views(64)), zipfile.ZIP_LZMA)
    else:
        blob, ends = _jpegs(views, quality, progress)
        entries["views128.jpg-stream"] = (blob, zipfile.ZIP_STORED)
        entries["views128.ends.npy"] = (_npy(ends), zipfile.ZIP_DEFLATED)
    if scene_features is not None and scene_labels is not None:
        entries["scene_features.f16planes.npy"] = (_npy(_shuffle16(scene_features)), zipfile.ZIP_LZMA)
        entries["scene_labels.npy"] = (_npy(np.asarray(scene_labels, np.int64)), zipfile.ZIP_DEFLATED)
        meta["scene_features"] = list(scene_features.shape)
    if memory is not None:
        import torch

        buf = io.BytesIO()
        torch.save(memory, buf)
        entries["retrieval_memory.pt"] = (buf.getvalue(), zipfile.ZIP_DEFLATED)
        meta["retrieval_memory"] = {"key": memory["memory"]["key"], "places": int(len(memory["memory"]["place"]))}
    try:
        with atomic_path(Path(out)) as tmp, zipfile.ZipFile(tmp, "w") as z:
            z.writestr("meta.json", json.dumps(meta), zipfile.ZIP_DEFLATED)
            for name, (payload, method) in entries.items():
                z.writestr(name, payload, method)
    except OSError as e:
        raise DataError(f"cannot write the pack {out} ({e.strerror or e}); pick a writable --out") from e
    size = Path(out).stat().st_size
    return {"pack": str(out), "bytes": size, "mb": round(size / 1e6, 1), "key": data.key,
            "places": data.n_locations, "views": int(len(views)), "views_format": meta["views"]["format"],
            "quality": quality, "scene_photos": int(len(scene_labels)) if scene_labels is not None else 0,
            "retrieval_memory": meta.get("retrieval_memory")}


def read_pack(path: Path, progress: ProgressFn | None = None) -> Pack:
    """Read a pack written by :func:`write_pack`.

    Raises:
        DataError: If the file is missing, not a pack, or from another pack version.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"pack {path} not found; make one with `python -m geogan_core pack --out {path}`")
    try:
        with zipfile.ZipFile(path) as z:
            meta = json.loads(z.read("meta.json"))
            if meta.get("version") != PACK_VERSION:
                raise DataError(f"{path} is a version {meta.get('version')} pack; this version reads "
                                f"version {PACK_VERSION}: make it again with `python -m geogan_core pack`")

            def arr(name: str) -> np.ndarray:
                return np.load(io.BytesIO(z.read(name)), allow_pickle=False)

            loc = {k: arr(f"{k}.npy") for k in _LOC_ARRAYS}
            patches = _unshuffle16(arr("patches.f16planes.npy"), tuple(meta["patches"]))
            if meta["views"]["format"] == "raw":
                v128, v64 = arr("views128.npy"), arr("views64.npy")
            else:
                v128 = _decode(z.read("views128.jpg-stream"), arr("views128.ends.npy"), progress)
                v64 = np.stack([downscale(v, VIEW_SIZES[0]) for v in v128]) if len(v128) else v128[:, :64, :64]
            scenes, labels = None, None
            if "scene_features" in meta:
                scenes = _unshuffle16(arr("scene_features.f16planes.npy"), tuple(meta["scene_features"]))
                scenes, labels = scenes.astype(np.float32), arr("scene_labels.npy")
            codes, regions = arr("split_codes.npy"), arr("split_regions.npy")
            memory = None
            if "retrieval_memory" in meta:
                import torch

                try:
                    memory = torch.load(io.BytesIO(z.read("retrieval_memory.pt")), map_location="cpu",
                                        weights_only=True)
                except (RuntimeError, EOFError, pickle.UnpicklingError) as e:
                    raise DataError(f"{path} holds a damaged retrieval memory ({type(e).__name__}); make it "
                                    f"again with `python -m geogan_core pack`") from e
    except (zipfile.BadZipFile, KeyError, ValueError, json.JSONDecodeError) as e:
        raise DataError(f"{path} is not a readable pack ({e}); make it again with `python -m geogan_core pack`") from e
    area = area_from_dict(meta["config"])
    split = Split(codes=codes, regions=regions, **meta["split"])
    data = PairedData(**loc, patches=patches, views64=v64, views128=v128, group_names=meta["group_names"],
                      channel_names=meta["channel_names"], skipped=[tuple(s) for s in meta["skipped"]],
                      key=meta["key"], arrays_key=meta["arrays_key"], split=split)
    return Pack(area=area, config_text=meta["config_text"], data=data, scene_features=scenes,
                scene_labels=labels, meta=meta, memory=memory)


def _decode(blob: bytes, ends: np.ndarray, progress: ProgressFn | None) -> np.ndarray:
    from PIL import Image

    starts = np.concatenate([[0], ends[:-1]])
    out = [np.asarray(Image.open(io.BytesIO(blob[s:e])).convert("RGB"))
           for s, e in track(list(zip(starts, ends, strict=True)), len(ends), "decoding views", progress)]
    return np.stack(out) if out else np.zeros((0, 128, 128, 3), np.uint8)


def check_pack_matches(pack: Pack, area: StudyArea, config_key: str) -> None:
    """Refuse a pack made from other data than ``area`` (whose data key is ``config_key``).

    Raises:
        DataError: Naming both data keys.
    """
    if config_key != pack.data.key:
        raise DataError(f"the pack was made from other data than {area.config_path.name}: pack data key "
                        f"{pack.data.key} (study area {pack.area.name!r}), config data key {config_key} "
                        f"(study area {area.name!r}); make the pack from this config or drop --config")


def config_data_key(area: StudyArea) -> str:
    """The data key ``area`` would give its paired data, without building it (hashes its files)."""
    from geogan_core.data.paired import cache_key

    return data_key(cache_key(area), area)
