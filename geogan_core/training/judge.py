"""Train the independent judge (``models.judge``) on real views of the training regions.

The epoch is chosen by the land-cover score on the validation regions' real views (place-level
ROC AUC with two groups, balanced accuracy otherwise); the test regions are left to ``metrics``,
which reports the judge's own AUC on their real views beside what it says of generated ones.
"""

from __future__ import annotations

import copy
import logging
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from geogan_core.checkpoint import save_checkpoint
from geogan_core.data.paired import PairedData
from geogan_core.errors import ConfigError
from geogan_core.models.extract import judge_probs, uint8_to_tensor
from geogan_core.models.judge import Judge
from geogan_core.progress import ProgressFn, track
from geogan_core.training.loop import machine_name

log = logging.getLogger(__name__)


def val_score(prob: np.ndarray, labels: np.ndarray) -> float:
    """The score that picks the epoch: ROC AUC of the second group with two groups, else balanced accuracy."""
    if prob.shape[1] == 2 and len(np.unique(labels)) == 2:
        return float(roc_auc_score(labels == 1, prob[:, 1]))
    return float(balanced_accuracy_score(labels, prob.argmax(1)))


def _augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Flips and shifts of up to 4 pixels (reflected): the judge must not learn pixel positions."""
    flip = torch.rand(len(x), generator=g) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    dx, dy = (int(v) for v in torch.randint(-4, 5, (2,), generator=g))
    pad = F.pad(x, (4, 4, 4, 4), mode="reflect")
    return pad[..., 4 + dy: 4 + dy + x.shape[-2], 4 + dx: 4 + dx + x.shape[-1]]


def _views(data: PairedData, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices of one split's labelled views and their place's label."""
    idx = np.flatnonzero(data.view_mask(split) & (data.loc_label[data.view_loc] >= 0))
    return idx, data.loc_label[data.view_loc[idx]].astype(np.int64)


def _by_place(prob: np.ndarray, view_loc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Places and the mean of their views' probabilities."""
    places, inv = np.unique(view_loc, return_inverse=True)
    sums = np.zeros((len(places), prob.shape[1]))
    np.add.at(sums, inv, prob)
    return places, sums / np.bincount(inv)[:, None]


def train_judge(data: PairedData, run_dir: Path, seed: int = 0, epochs: int = 30, batch_size: int = 128,
                width: int = 32, lr: float = 2e-3, max_steps: int = 0,
                progress: ProgressFn | None = None) -> Path:
    """Train the judge on the train split's real 64-pixel views; returns ``run_dir/latest.pt``.

    Raises:
        ConfigError: If a split has no labelled views or only one land-cover group.
    """
    t0 = time.time()
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    tr, y_tr = _views(data, "train")
    va, _ = _views(data, "val")
    n_classes = len(data.group_names)
    if len(np.unique(y_tr)) < 2 or not len(va):
        raise ConfigError("the judge needs labelled training views of at least two land-cover groups and "
                          "labelled validation views; check [landcover] and [split]")
    views = data.views(64)
    x_tr = uint8_to_tensor(views[tr])
    y = torch.from_numpy(y_tr)
    weight = torch.tensor(len(y_tr) / (n_classes * np.maximum(np.bincount(y_tr, minlength=n_classes), 1)),
                          dtype=torch.float32)  # class-balanced: the rarer group counts as much
    judge = Judge(n_classes, width)
    opt = torch.optim.AdamW(judge.parameters(), lr, weight_decay=5e-4)
    steps_per_epoch = max(len(tr) // batch_size, 1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=epochs * steps_per_epoch)
    val_labels = data.loc_label[np.unique(data.view_loc[va])]
    best, history, step = (-1.0, 0, None), [], 0
    for epoch in track(range(epochs), epochs, "judge epochs", progress):
        judge.train()
        order = torch.randperm(len(tr), generator=g)
        for s in range(steps_per_epoch):
            ids = order[s * batch_size: (s + 1) * batch_size]
            loss = F.cross_entropy(judge(_augment(x_tr[ids], g)), y[ids], weight=weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if max_steps and step >= max_steps:
                break
        _, prob = _by_place(judge_probs(judge, views[va])[0], data.view_loc[va])
        value = val_score(prob, val_labels)
        history.append({"epoch": epoch + 1, "val": round(value, 4), "loss": round(loss.item(), 4)})
        log.info("judge epoch %d: val %.3f", epoch + 1, value)
        if value > best[0]:
            best = (value, epoch + 1, copy.deepcopy(judge.state_dict()))
        if max_steps and step >= max_steps:
            break
    judge.load_state_dict(best[2])
    metrics = {"val": round(best[0], 4), "epoch_chosen": best[1], "history": history}
    path = Path(run_dir) / "latest.pt"
    save_checkpoint(path, {"kind": "judge", "judge": judge.state_dict(), "n_classes": n_classes, "width": width,
                           "group_names": list(data.group_names), "metrics": metrics, "seed": seed,
                           "train_seconds": time.time() - t0, "machine": machine_name(torch.device("cpu")),
                           "data": {"key": data.key, "train_views": int(len(tr))}})
    return path
