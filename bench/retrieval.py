"""Cross-view retrieval on the validation regions (to choose) and the test regions (to report).

For each side: R@1/5/10 of the shipped embedding (a view's own place among the side's places)
beside chance; then the real views of the 8 most alike training places, scored by the judge as
if a generator had made them, for the learned memory with each key (cross-view ``view``,
``overhead``, ``both``), the crude overhead descriptor and random training places. Writes
``results/retrieval.json``; ``--sweep`` first trains the settings of ``SWEEP`` and records their
validation R@K, mean of three seeds, an ensemble's seeds following each other
(``results/retrieval-sweep.json``): how the defaults were chosen:
    .venv/bin/python bench/retrieval.py [--retrieval runs/retrieval/latest.pt] [--sweep]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from geogan_core.checkpoint import load_checkpoint
from geogan_core.config import PROJECT_ROOT, load_config
from geogan_core.errors import exit_status
from geogan_core.evaluation.judge_metrics import judge_context, real_scores
from geogan_core.evaluation.retrieval import neighbours, random_neighbours, recall_scores, score_neighbours
from geogan_core.inference.generate import Explorer
from geogan_core.models.crossview import CrossViewNet
from geogan_core.retrieval.memory import KEYS, RetrievalMemory
from geogan_core.retrieval.train import GENERATOR_MEMORY, RetrievalConfig, train_memory, view_features

SHOWN = ("auc", "auc_ci95", "paired_vs_shuffled", "paired_vs_shuffled_ci95", "kid", "precision", "recall",
         "two_sample", "nn_train_distance_vs_real", "place_distance_vs_real", "own_view_distance_median",
         "own_view_distance", "own_view_distance_ci95")


SWEEP = (GENERATOR_MEMORY, {**GENERATOR_MEMORY, "location": True}, {"members": 1, "location": False}, {"members": 1},
         {"location": False}, {})
SEEDS = (0, 1, 2)


def sweep(area, data, path: Path) -> None:
    """Train each setting of ``SWEEP`` (the rest at their defaults) with each seed; record validation R@K."""
    rows = []
    for changes in SWEEP:
        cfg = replace(RetrievalConfig(), **changes)
        feats = view_features(area, data, asdict(cfg))
        runs = [train_memory(data, feats, replace(cfg, seed=seed * cfg.members))["metrics"] for seed in SEEDS]
        mean = {k: round(float(np.mean([m["val"][k] for m in runs])), 4) for k in runs[0]["val"]}
        rows.append({"settings": changes, "val_mean": mean, "val": [m["val"] for m in runs],
                     "epoch_chosen": [m["epoch_chosen"] for m in runs]})
        print("sweep", json.dumps(rows[-1]), flush=True)
    path.write_text(json.dumps({"defaults": asdict(RetrievalConfig()), "seeds": SEEDS, "runs": rows}, indent=2)
                    + "\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--retrieval", default=str(PROJECT_ROOT / "checkpoints" / "retrieval.pt"))
    p.add_argument("--json", default=str(PROJECT_ROOT / "results" / "retrieval.json"))
    p.add_argument("--sweep", action="store_true", help="first train the SWEEP settings (results/retrieval-sweep.json)")
    args = p.parse_args()
    area = load_config()
    explorer = Explorer(area)
    data, judge = explorer.data, explorer.judge()
    if args.sweep:
        sweep(area, data, PROJECT_ROOT / "results" / "retrieval-sweep.json")
    ckpt = load_checkpoint(Path(args.retrieval), "retrieval")
    feats = view_features(area, data, ckpt["train_config"])
    net = CrossViewNet(**ckpt["net_config"])
    net.load_state_dict(ckpt["net"])
    train = np.flatnonzero(data.split_mask("train"))
    memories = {key: RetrievalMemory.build(net, data, feats, train, key) for key in KEYS}
    out = {"retrieval": Path(args.retrieval).name, "train_config": ckpt["train_config"],
           "epoch_chosen": ckpt["metrics"]["epoch_chosen"], "stand_in": "8 most alike training places, one view "
           "each (headings rotate); judge = checkpoints/judge.pt", "sides": {}}
    for side in ("val", "test"):
        ctx = judge_context(judge, data, side)
        side_out = {**recall_scores(ckpt, data, feats, side), "real": real_scores(ctx), "methods": {}}
        methods = {f"learned ({key})": neighbours(data, ctx.places, "learned", mem) for key, mem in memories.items()}
        methods["crude descriptor"] = neighbours(data, ctx.places, "crude", None)
        methods["random training places"] = random_neighbours(data, len(ctx.places))
        for name, neigh in methods.items():
            m = score_neighbours(ctx, data, neigh)
            side_out["methods"][name] = {k: m.get(k) for k in SHOWN}
            print(side, name, json.dumps(side_out["methods"][name]))
        out["sides"][side] = side_out
        print(side, "recall", side_out["recall"], "chance", side_out["chance"])
    Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    print(f"written {args.json}")


if __name__ == "__main__":
    sys.exit(exit_status(main))
