"""Train the cross-view embedding (``models.crossview``) on the training regions; choose it by R@K on validation.

One step: a batch of training places, each with its overhead patch (randomly flipped and turned:
a 5 km pixel has no heading; with ``location``, also where the place is) and the frozen Lite0
features of one of its views at random (the 128-px views read at 224 px: ``view_features``);
symmetric InfoNCE pulls each patch to its own view and away from the others. After every epoch
recall@K is measured on the validation regions (each validation view ranks all validation
places by their overhead embedding); the epoch with the best R@10 is kept. ``members`` nets are
trained so, each with its own seed, and make one ensemble. The memory of the training places
(``retrieval.memory``) is built from the kept weights and saved with them, beside the patch-only
memory that a generator carries (``GENERATOR_MEMORY``).
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from geogan_core.checkpoint import load_image_features, save_checkpoint
from geogan_core.config import StudyArea
from geogan_core.data.paired import PairedData
from geogan_core.errors import ConfigError
from geogan_core.models.crossview import CrossViewNet, info_nce, located
from geogan_core.models.features import real_view_features
from geogan_core.progress import ProgressFn, track
from geogan_core.retrieval.memory import KEYS, RetrievalMemory, embed_places, recall_at

log = logging.getLogger(__name__)
RECALL_K = (1, 5, 10)


@dataclass(frozen=True)
class RetrievalConfig:
    """Settings of ``train retrieval`` (stored in the checkpoint)."""

    # chosen on validation R@10 (bench/retrieval.py --sweep: results/retrieval-sweep.json)
    dim: int = 128
    width: int = 64
    dropout: float = 0.5
    center: int = 4
    epochs: int = 100
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.05
    location: bool = True  # the overhead tower also reads where the place is
    members: int = 5  # nets of the ensemble, seeds seed .. seed + members - 1
    seed: int = 0
    key: str = "both"  # what the memory ranks by (KEYS); chosen on validation (bench/retrieval.py)
    # the view tower's input: Lite0 reads the cached views of this size at view_px (validation R@10, 3 seeds,
    # chosen before location: results/retrieval-sweep-patch-only.json)
    view_size: int = 128
    view_px: int = 224


GENERATOR_MEMORY = {"dim": 64, "width": 32, "lr": 3e-4, "epochs": 60, "location": False, "members": 1,
                    "key": "overhead"}
"""The settings of the memory a generator carries (the guided cGAN's ``PlaceMemory``: 64-d, one
tower, the patch alone, since a generator is asked with a patch): ``train retrieval``'s settings
before it read location."""


def view_features(area: StudyArea, data: PairedData, train_config: dict[str, Any] | None = None,
                  progress: ProgressFn | None = None) -> np.ndarray:
    """The frozen Lite0 features of every view of ``data`` that a retrieval net with ``train_config`` reads.

    Computed once per dataset and cached in the study area's cache folder. ``train_config`` is a
    retrieval checkpoint's; without one, the defaults of ``RetrievalConfig``. Checkpoints from
    before ``view_size`` was a setting read the 64-px views at 64 px.
    """
    if train_config is None:
        size, px = RetrievalConfig.view_size, RetrievalConfig.view_px
    else:
        size, px = train_config.get("view_size", 64), train_config.get("view_px", 64)
    return real_view_features(area.cache_dir, data.arrays_key, data.views(size), lambda: load_image_features(px),
                              px, progress)


def augment_patches(p: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Random flips and quarter turns of overhead patches (one draw per batch)."""
    k = int(torch.randint(0, 4, (1,), generator=g))
    p = torch.rot90(p, k, dims=(2, 3))
    return p.flip(-1) if bool(torch.rand(1, generator=g) < 0.5) else p


def side_recall(net: CrossViewNet, data: PairedData, view_feats: np.ndarray, side: str = "val",
                ks: tuple[int, ...] = RECALL_K) -> dict[str, float]:
    """R@K on one side's regions: each of its views ranks every place of that side by overhead similarity."""
    places = np.flatnonzero(data.split_mask(side))
    over, emb, pos = embed_places(net, data, view_feats, places)
    return recall_at(emb @ over.T, pos, ks)


def _train_net(data: PairedData, view_feats: np.ndarray, cfg: RetrievalConfig, seed: int, max_steps: int,
               progress: ProgressFn | None) -> tuple[CrossViewNet, int, list[dict[str, Any]]]:
    """One single-tower net trained with ``seed``: the epoch with the best validation R@10, that epoch, the history."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    train = np.flatnonzero(data.split_mask("train"))
    net = CrossViewNet(data.patches.shape[1], cfg.dim, cfg.width, view_feats.shape[1], cfg.dropout, cfg.center,
                       cfg.location)
    opt = torch.optim.AdamW(net.parameters(), cfg.lr, weight_decay=cfg.weight_decay)
    patches = torch.from_numpy(data.patches[train].astype(np.float32))
    if cfg.location:  # constant planes: the flips and turns below leave them as they are
        patches = located(patches, data.loc_lat[train], data.loc_lon[train])
    feats = torch.from_numpy(np.asarray(view_feats, np.float32))
    lo, hi = np.searchsorted(data.view_loc, train), np.searchsorted(data.view_loc, train + 1)
    first, count = torch.from_numpy(lo), torch.from_numpy(hi - lo)
    batch = min(cfg.batch_size, len(train))
    best: tuple[float, int, dict[str, Any]] = (-1.0, 0, {})
    history, step = [], 0
    for epoch in track(range(cfg.epochs), cfg.epochs, f"retrieval epochs (seed {seed})", progress):
        net.train()
        order = torch.randperm(len(train), generator=g)
        for s in range(0, len(order) - batch + 1, batch):
            ids = order[s: s + batch]
            view = first[ids] + (torch.rand(len(ids), generator=g) * count[ids]).long()
            over = nn.functional.normalize(net.overhead(augment_patches(patches[ids], g)), dim=1)
            loss = info_nce(over, net.embed_views(feats[view]), net.log_scale)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if max_steps and step >= max_steps:
                break
        recall = side_recall(net, data, view_feats)
        history.append({"epoch": epoch + 1, "loss": round(loss.item(), 4), **recall})
        log.info("retrieval seed %d epoch %d: %s", seed, epoch + 1, recall)
        if recall["R@10"] > best[0]:
            best = (recall["R@10"], epoch + 1, copy.deepcopy(net.state_dict()))
        if max_steps and step >= max_steps:
            break
    net.load_state_dict(best[2])
    return net.eval(), best[1], history


def train_memory(data: PairedData, view_feats: np.ndarray, cfg: RetrievalConfig, max_steps: int = 0,
                 progress: ProgressFn | None = None) -> dict[str, Any]:
    """``cfg.members`` nets as one, its memory of the training places and its validation R@K (checkpoint parts)."""
    runs = [_train_net(data, view_feats, cfg, cfg.seed + m, max_steps, progress) for m in range(cfg.members)]
    net = CrossViewNet.ensemble([r[0] for r in runs])
    memory = RetrievalMemory.build(net, data, view_feats, np.flatnonzero(data.split_mask("train")), cfg.key)
    n_val = int(data.split_mask("val").sum())
    metrics = {"val": side_recall(net, data, view_feats),
               "chance": {f"R@{k}": round(min(k, n_val) / n_val, 4) for k in RECALL_K},
               "val_places": n_val, "epoch_chosen": [r[1] for r in runs], "history": [r[2] for r in runs]}
    return {"net": net.state_dict(), "net_config": net.config(), "train_config": asdict(cfg),
            "memory": memory.state(), "metrics": metrics}


def train_retrieval(data: PairedData, view_feats: np.ndarray, run_dir: Path, cfg: RetrievalConfig = RetrievalConfig(),
                    max_steps: int = 0, progress: ProgressFn | None = None) -> Path:
    """Train, choose each net's epoch on validation R@10, build the memories; returns ``run_dir/latest.pt``.

    The checkpoint holds the ensemble's net and memory, and under ``generator`` the patch-only
    memory a generator carries (``GENERATOR_MEMORY``; the same as the first when ``cfg`` has its settings).

    Args:
        data: The paired dataset (train split trains, val split chooses).
        view_feats: ``(N_views, 1280)`` frozen Lite0 features of every view of ``data``.
        run_dir: Where ``latest.pt`` goes.
        cfg: Settings.
        max_steps: Stop each net after this many steps (tests).
        progress: Optional progress callback.

    Raises:
        ConfigError: If the train or val split has fewer than two places, or a setting is unknown.
    """
    t0 = time.time()
    train = np.flatnonzero(data.split_mask("train"))
    if len(train) < 2 or data.split_mask("val").sum() < 2:
        raise ConfigError(f"retrieval needs at least two training and two validation places "
                          f"(has {len(train)} and {int(data.split_mask('val').sum())}); add photos or check [split]")
    if cfg.key not in KEYS:
        raise ConfigError(f"retrieval key {cfg.key!r}: choose one of {KEYS}")
    if cfg.members < 1:
        raise ConfigError(f"retrieval members must be at least 1, got {cfg.members}")
    shipped = train_memory(data, view_feats, cfg, max_steps, progress)
    gen_cfg = replace(cfg, **GENERATOR_MEMORY)
    generator = shipped if gen_cfg == cfg else train_memory(data, view_feats, gen_cfg, max_steps, progress)
    path = Path(run_dir) / "latest.pt"
    save_checkpoint(path, {"kind": "retrieval", **shipped, "generator": generator, "seed": cfg.seed,
                           "train_seconds": time.time() - t0,
                           "data": {"key": data.key, "train_places": int(len(train))}})
    return path
