"""Train every shipped model from a pack within a time limit: the Python part of ``bench/gpu_train.sh``.

Made for a GPU machine that is lent for minutes and has only the copied working tree: it reads
the pack (no study area, no rasterio, no Lite0), trains the scene head, the paper cGAN at the
paper's scale, the default modern cGAN, the retrieval-guided cGAN (from the pack's retrieval
memory) and the unconditional GAN, each to a share of the time
left (a GAN stops cleanly at its deadline with its checkpoint saved), exports them with their
manifest entries (machine, GPU, minutes, images/s) into ``OUT/checkpoints`` and scores them with
the shipped judge at the pack's test places. ``tiny`` runs the same path for a few steps.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geogan_core.errors import ConfigError

NEEDED = ("numpy", "torch", "PIL", "tqdm", "scipy", "sklearn")


@dataclass(frozen=True)
class Job:
    """One model of the plan: what to train, at which scale, and its share of the time."""

    name: str  # the export name (paper, modern, ugan, scenes)
    what: str  # train_command's ``what``
    arch: str = "modern"
    width: int | None = None
    epochs: int | None = None
    batch_size: int | None = None
    weight: float = 1.0  # share of the time budget
    settings: dict[str, Any] = field(default_factory=dict)


# The paper: width 128, 400 epochs, batch 128 (about 1.2M images; 51.5 MB in fp16, so shipping it
# leaves under 9 MB of the 60 MB budget for everything else); the default recipe and the
# unconditional GAN at the shipped width 32 (7.4 and 3.6 MB) for 200 epochs instead of 30; the
# retrieval-guided cGAN, the recipe chosen on the validation regions (issue 23), with the largest
# share: 300 epochs instead of the CPU's 60 (it needs the pack's retrieval memory).
PLAN = (
    Job("scenes", "scenes", weight=0.0),
    Job("paper", "cgan", "paper", width=128, epochs=400, batch_size=128, weight=0.3,
        settings={"sample_every": 50, "checkpoint_every": 50, "keep_every": 1000}),
    Job("modern", "cgan", "modern", width=32, epochs=200, batch_size=64, weight=0.2,
        settings={"sample_every": 20, "checkpoint_every": 20, "keep_every": 1000}),
    Job("guided", "cgan", "guided", width=32, epochs=300, batch_size=64, weight=0.35,
        settings={"sample_every": 20, "checkpoint_every": 20, "keep_every": 1000}),
    Job("ugan", "ugan", "ugan", width=32, epochs=200, batch_size=64, weight=0.15,
        settings={"sample_every": 20, "checkpoint_every": 20, "keep_every": 1000}),
)
RESERVE_S = 90.0  # kept back from the budget for exporting and scoring


def environment(device: str) -> dict[str, Any]:
    """What this machine has: Python, packages, torch and its GPU (checked before anything is imported).

    Raises:
        ConfigError: If a needed package is missing.
    """
    missing = [m for m in NEEDED if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"missing Python packages {missing}; install their wheels on this machine "
                          f"(pip install --no-index --find-links DIR ...) or bring them with the tree")
    import torch

    cuda = torch.cuda.is_available()
    return {"python": sys.version.split()[0], "platform": platform.platform(), "torch": torch.__version__,
            "cuda": torch.version.cuda, "gpu": torch.cuda.get_device_name(0) if cuda else None,
            "device": "cuda" if cuda and device != "cpu" else "cpu", "cpu_count": os.cpu_count()}


def _images_per_s(run: Path) -> float:
    """Images per second over the run's epochs (from ``metrics.jsonl``)."""
    recs = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    secs = sum(r["seconds"] for r in recs)
    return sum(r["images_per_s"] * r["seconds"] for r in recs) / secs if secs else 0.0


def train_all(pack_path: Path, out: Path, minutes: float = 10.0, tiny: bool = False, device: str = "auto",
              require_gpu: bool = False, checkpoints: Path | None = None) -> dict[str, Any]:
    """Train, export and score every job of :data:`PLAN` from ``pack_path`` into ``out``.

    Args:
        pack_path: The pack (``python -m geogan_core pack``).
        out: Output folder: ``checkpoints/`` (with manifest), ``logs/<name>/``, ``report.json``.
        minutes: Wall-clock budget for everything; GANs stop at their share of it.
        tiny: A few steps per model (the CPU dry run).
        device: ``auto``, ``cuda`` or ``cpu``.
        require_gpu: Stop instead of falling back to the CPU when there is no GPU.
        checkpoints: Where the judge comes from (default: the project's ``checkpoints/``).

    Raises:
        ConfigError: If a package is missing, or no GPU is there and ``require_gpu`` is set.
    """
    t_start = time.time()
    env = environment(device)
    if env["device"] == "cpu" and device != "cpu":
        if require_gpu:
            raise ConfigError("no CUDA device on this machine; drop --require-gpu to train on the CPU")
        print("no CUDA device: training on the CPU (pass --require-gpu to stop instead)", file=sys.stderr)
    from geogan_core.data.pack import read_pack
    from geogan_core.models.registry import uses_memory

    pack = read_pack(pack_path)
    out = Path(out)
    work = out / ".runs"
    folder = out / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"environment": env, "pack": {"file": str(pack_path), "key": pack.data.key,
                                                           "bytes": Path(pack_path).stat().st_size},
                              "minutes_budget": minutes, "tiny": tiny, "models": {}}
    deadline_all = t_start + minutes * 60 - (0 if tiny else RESERVE_S)
    jobs = list(PLAN)
    for i, job in enumerate(jobs):
        if job.what == "scenes" and pack.scene_features is None:
            report.setdefault("skipped", {})["scenes"] = ("the pack has no scene features (its study area has no "
                                                          "[scenes].root)")
            continue
        if uses_memory(job.arch) and pack.memory is None:
            report.setdefault("skipped", {})[job.name] = ("the pack has no retrieval memory (make "
                                                          "checkpoints/retrieval.pt, then the pack again)")
            continue
        left = sum(j.weight for j in jobs[i:])
        share = (deadline_all - time.time()) * (job.weight / left if left else 0.0)
        report["models"][job.name] = _run_job(job, pack, work, folder, env, time.time() + max(share, 0.0), tiny)
    report["judge"] = _judge(pack, folder, checkpoints, work, env, tiny)
    if report["judge"].get("ok"):
        report["scores"] = _score(pack, folder, report["models"], tiny)
    report["minutes"] = round((time.time() - t_start) / 60, 2)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return report


def _run_job(job: Job, pack: Any, work: Path, folder: Path, env: dict[str, Any], deadline: float,
             tiny: bool) -> dict[str, Any]:
    """Train one job (halving the batch once on running out of GPU memory) and export it."""
    import torch

    from geogan_core.training.export import export_run
    from geogan_core.training.run import train_command

    run = work / job.name
    batch = 16 if tiny else job.batch_size
    settings = dict(job.settings)
    note: list[str] = []
    t0 = time.time()
    for attempt in range(2):
        shutil.rmtree(run, ignore_errors=True)
        try:
            train_command(None, job.what, arch=job.arch, pack=pack, run_dir=run, device=env["device"],
                          width=16 if tiny and job.what != "scenes" else job.width,
                          epochs=1 if tiny else job.epochs, batch_size=batch, max_steps=2 if tiny else 0,
                          settings=settings, deadline=0.0 if job.what == "scenes" else deadline)
            break
        except torch.cuda.OutOfMemoryError:
            if attempt or not batch:
                raise
            torch.cuda.empty_cache()
            batch //= 2
            note.append(f"out of GPU memory: batch halved to {batch}")
            print(f"{job.name}: out of GPU memory; retrying once with batch {batch}", file=sys.stderr)
    minutes = (time.time() - t0) / 60
    entry = export_run(job.name, run, folder)
    result: dict[str, Any] = {"minutes": round(minutes, 2), "file": entry["file"], "bytes": entry["bytes"],
                              "notes": note}
    if job.what != "scenes":
        logs = folder.parent / "logs" / job.name
        shutil.copytree(run / "samples", logs / "samples", dirs_exist_ok=True)
        shutil.copy2(run / "metrics.jsonl", logs / "metrics.jsonl")
        result.update(images_per_s=round(_images_per_s(run), 1), epochs=entry["epochs"], steps=entry["steps"],
                      batch_size=batch, width=entry["model_config"]["ngf"],
                      stopped_by_deadline=bool(job.epochs and entry["epochs"] < job.epochs and not tiny))
    from geogan_core.checkpoint import update_manifest

    update_manifest(folder, job.name, {"machine": env["gpu"] or f"CPU ({env['platform']})",
                                       "minutes": result["minutes"], "images_per_s": result.get("images_per_s")})
    return result


def _judge(pack: Any, folder: Path, checkpoints: Path | None, work: Path, env: dict[str, Any],
           tiny: bool) -> dict[str, Any]:
    """Bring the shipped judge into ``folder`` when it was trained on the pack's data, else train one."""
    from geogan_core.checkpoint import default_checkpoints, read_manifest, update_manifest
    from geogan_core.training.export import export_run
    from geogan_core.training.run import train_command

    src = Path(checkpoints) if checkpoints else default_checkpoints()
    shipped = read_manifest(src).get("judge")
    if shipped and shipped.get("data", {}).get("key") == pack.data.key and (src / shipped["file"]).is_file():
        shutil.copy2(src / shipped["file"], folder / shipped["file"])
        update_manifest(folder, "judge", shipped)
        return {"ok": True, "source": f"shipped {src / shipped['file']}"}
    train_command(None, "judge", pack=pack, run_dir=work / "judge", epochs=1 if tiny else None,
                  max_steps=2 if tiny else 0, device=env["device"])
    export_run("judge", work / "judge", folder)
    why = "no shipped judge" if not shipped else "the shipped judge was trained on other data"
    return {"ok": True, "source": f"trained here ({why}): not comparable with the shipped judge's numbers"}


def _score(pack: Any, folder: Path, models: dict[str, Any], tiny: bool) -> dict[str, Any]:
    """Judge scores of the new generators at the pack's test places."""
    from geogan_core.checkpoint import gan_from_checkpoint, judge_from_checkpoint
    from geogan_core.evaluation.judge_metrics import score_generators

    judge, _ = judge_from_checkpoint(folder / "judge.pt")
    gens = {name: gan_from_checkpoint(folder / m["file"])[0] for name, m in models.items() if "images_per_s" in m}
    scores = score_generators(pack.data, judge, gens, per_place=2 if tiny else 4)
    (folder.parent / "scores.json").write_text(json.dumps(scores, indent=2) + "\n")
    return {name: {k: m.get(k) for k in ("auc", "auc_ci95", "paired_vs_shuffled", "kid", "precision", "recall")}
            for name, m in scores["models"].items()}
