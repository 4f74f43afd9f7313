"""Compare cGAN recipes trained at equal CPU time, on the validation regions, by the judge.

Each run folder (``train cgan --arch modern|guided|exemplar|paper --minutes M --run-dir runs/NAME
--set ...``) is exported into a scratch checkpoints folder beside the shipped judge and scored
with ``metrics --side val`` (the test regions are never looked at here); the shipped modern model
is scored the same way as the baseline (and the shipped paper or unconditional model for runs of
those), and retrieval as the control: the real views of the training places most alike from
above (the shipped retrieval memory) stand in for generated views. Beside the judge's AUC,
paired-vs-shuffled, KID, precision and recall it keeps the two-sample accuracy, the
nearest-neighbour distance to training views (copies score far below 1x real) and, for the
exemplar cGAN, the distance from each view to the real view it edited.
Writes ``results/recipes.json`` (``--json``):
    .venv/bin/python bench/recipes.py runs/modern-mm runs/guided
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from geogan_core.checkpoint import load_checkpoint, read_manifest, update_manifest
from geogan_core.config import PROJECT_ROOT, load_config
from geogan_core.errors import exit_status
from geogan_core.evaluation.gan_metrics import gan_metrics
from geogan_core.evaluation.judge_metrics import judge_context
from geogan_core.evaluation.retrieval import neighbours, score_neighbours
from geogan_core.inference.generate import Explorer
from geogan_core.models.registry import ModelConfig
from geogan_core.training.export import export_run
from geogan_core.training.loop import TrainConfig

PER_PLACE = 4  # views per place, as gan_metrics scores generators
SCHEDULE = ("epochs", "deadline", "checkpoint_every", "sample_every", "keep_every", "max_steps")  # not the recipe
KEYS = ("auc", "auc_ci95", "paired_vs_shuffled", "paired_vs_shuffled_ci95", "kid", "precision", "recall",
        "two_sample", "nn_train_distance_vs_real", "exemplar_distance_vs_real", "diversity_vs_real",
        "place_distance_vs_real")
CONTROL = "retrieval control (real views of alike places)"


def score(area, folder: Path, side: str, name: str = "modern") -> dict:
    """Judge and Lite0 scores of GAN ``name`` in ``folder`` at one side's places."""
    result = gan_metrics(Explorer(area, checkpoints=folder), [name], side=side, update_manifest=False)
    m = result["models"][name]
    return {"judge": {k: m["judge"].get(k) for k in KEYS},
            "lite0": {k: m.get(k) for k in ("fid_lite0", "landcover_auc", "landcover_auc_ci95",
                                            "diversity_vs_real", "place_distance_vs_real")}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="run folders holding latest.pt")
    p.add_argument("--side", choices=["val", "test"], default="val")
    p.add_argument("--json", default=str(PROJECT_ROOT / "results" / "recipes.json"))
    p.add_argument("--keep", action="store_true",
                   help="keep the recipes already in --json (scored with the same judge) and add these")
    args = p.parse_args()
    area = load_config()
    shipped = PROJECT_ROOT / "checkpoints"
    manifest = read_manifest(shipped)
    judge = manifest["judge"]
    # the shipped model of each plain architecture the runs train (the modern one always) is its baseline
    archs = ["modern"] + sorted({load_checkpoint(Path(r) / "latest.pt")["arch"] for r in args.runs}
                                & {"paper", "ugan"} & set(manifest))
    out = {"side": args.side, "judge": judge["sha256"][:12],
           "recipes": {f"shipped {arch}": {"train_minutes": round(manifest[arch]["train_seconds"] / 60, 1),
                                           "epochs": manifest[arch]["epochs"], "settings": {},
                                           **score(area, shipped, args.side, arch)} for arch in archs}}
    if args.keep and Path(args.json).is_file():
        old = json.loads(Path(args.json).read_text())
        if (old["side"], old["judge"]) != (out["side"], out["judge"]):
            raise SystemExit(f"{args.json} was scored on {old['side']} with judge {old['judge']}: not comparable")
        out["recipes"].update({k: v for k, v in old["recipes"].items() if k not in out["recipes"]})
    explorer = Explorer(area, shipped)
    ctx = judge_context(explorer.judge(), explorer.data, args.side)
    neigh = neighbours(explorer.data, ctx.places, "learned", explorer.retrieval)
    control = score_neighbours(ctx, explorer.data, neigh, per_place=PER_PLACE)
    out["recipes"][CONTROL] = {"settings": {"retrieval": read_manifest(shipped)["retrieval"]["sha256"][:12]},
                               "judge": {k: control.get(k) for k in KEYS}}
    for run in map(Path, args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            arch = load_checkpoint(run / "latest.pt")["arch"]
            export_run(arch, run, folder)
            shutil.copy2(shipped / judge["file"], folder / judge["file"])
            update_manifest(folder, "judge", judge)
            ck = load_checkpoint(run / "latest.pt")
            entry = manifest[arch if arch in archs else "modern"]  # settings: what differs from its baseline
            base = {**asdict(TrainConfig()), **entry["train_config"]}  # keys added since take their defaults
            settings = {k: v for k, v in ck["train_config"].items() if base.get(k) != v and k not in SCHEDULE}
            shape = {**ModelConfig("modern", 1).to_dict(), **entry["model_config"]}  # keys added since: defaults
            settings.update({k: v for k, v in ck["model_config"].items() if shape.get(k) != v})
            out["recipes"][run.name] = {"train_minutes": round(ck["train_seconds"] / 60, 1), "epochs": ck["epoch"] + 1,
                                        "settings": settings, **score(area, folder, args.side, arch)}
        print(run.name, json.dumps(out["recipes"][run.name]["judge"]))
    Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    print(f"written {args.json}")


if __name__ == "__main__":
    sys.exit(exit_status(main))
