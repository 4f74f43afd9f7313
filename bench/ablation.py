"""Ablation of the modern cGAN: train it with one part removed at a time, score each the same way.

    .venv/bin/python bench/ablation.py --epochs 8 --json results/ablation.json

Every variant is the default modern recipe (``configs/world.toml``) with one ``--set`` override,
trained for the same number of epochs with the same seed into ``runs/ablation/<variant>`` (an
interrupted sweep resumes where it stopped), exported to a temporary folder and scored by the
same land-cover consistency / diversity / FID code as ``python -m geogan_core metrics`` on the
held-out test places. "Without EMA" scores the full run's raw generator instead of its EMA copy.
Short runs rank the parts; they are not the shipped models' figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from geogan_core.checkpoint import load_checkpoint, save_checkpoint
from geogan_core.config import PROJECT_ROOT, load_config
from geogan_core.errors import exit_status
from geogan_core.evaluation.gan_metrics import gan_metrics
from geogan_core.inference.generate import Explorer
from geogan_core.training.export import export_run
from geogan_core.training.run import train_command

FULL = "modern (all parts)"
NO_EMA = "without EMA (same run, raw generator)"
# name -> --set overrides of the modern recipe: the full recipe, then one part removed (or weakened) at a time
VARIANTS: dict[str, dict[str, Any]] = {
    FULL: {},
    "without place seeking": {"ps_weight": 0.0},
    "without mode seeking": {"ms_weight": 0.0},
    "mode seeking weight 0.3": {"ms_weight": 0.3},
    "without land-cover head": {"n_classes": 0},
    "without colour augmentation": {"diffaug": ["translation", "cutout"]},
    NO_EMA: {},
}


def slug(name: str) -> str:
    """Folder name of a variant."""
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-").replace("--", "-")


def run_variant(name: str, epochs: int, seed: int, config: str | None, runs: Path) -> dict[str, Any]:
    """Train (or resume) one variant and score it on the test places."""
    settings = VARIANTS[name]
    area = load_config(config)
    run_dir = runs / slug(FULL if name == NO_EMA else name)
    latest = train_command(area, "cgan", arch="modern", epochs=epochs, seed=seed, resume=True, run_dir=run_dir,
                           settings=settings)
    with tempfile.TemporaryDirectory(prefix="ablation-") as tmp:
        if name == NO_EMA:  # a copy of the run without its EMA generator: export falls back to G
            ckpt = load_checkpoint(latest)
            save_checkpoint(Path(tmp) / "raw" / "latest.pt", {**ckpt, "G_ema": None})
            latest = Path(tmp) / "raw" / "latest.pt"
        entry = export_run("modern", latest.parent, Path(tmp))
        metrics = gan_metrics(Explorer(area, checkpoints=Path(tmp)), ["modern"], seed=seed, update_manifest=False)
    return {"settings": settings, "epochs": entry["epochs"], "train_seconds": entry["train_seconds"],
            "machine": entry["machine"], **metrics["models"]["modern"], "real": metrics["real"],
            "constant_baseline": metrics["constant_baseline"], "split": metrics["split"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", default=None, help="study-area TOML (default configs/world.toml)")
    parser.add_argument("--runs", type=Path, default=PROJECT_ROOT / "runs" / "ablation")
    parser.add_argument("--only", nargs="+", choices=list(VARIANTS), help="run these variants only")
    parser.add_argument("--json", type=Path, default=PROJECT_ROOT / "results" / "ablation.json")
    args = parser.parse_args(argv)

    out: dict[str, Any] = json.loads(args.json.read_text()) if args.json.is_file() else {}
    if out.get("epochs") != args.epochs or out.get("seed") != args.seed:
        out = {"epochs": args.epochs, "seed": args.seed, "variants": {}}
    for name in args.only or VARIANTS:
        t0 = time.time()
        out["variants"][name] = result = run_variant(name, args.epochs, args.seed, args.config, args.runs)
        out["date"], out["split"] = time.strftime("%Y-%m-%d"), result["split"]
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
        lo, hi = result["landcover_consistency_ci95"]
        print(f"{name:38s} consistency {result['landcover_consistency']:.3f} [{lo:.3f}, {hi:.3f}]  "
              f"diversity {result['diversity_vs_real']:.2f}x real  place distance "
              f"{result['place_distance_vs_real']:.2f}x real  FID {result['fid_lite0']:.0f}  "
              f"({time.time() - t0:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(exit_status(main))
