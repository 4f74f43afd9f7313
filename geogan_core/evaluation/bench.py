"""Benchmarks behind ``python -m geogan_core bench``: generation and training speed, side by side."""

from __future__ import annotations

import platform
import statistics
import time
from typing import Any

import torch

from geogan_core.data.paired import load_paired
from geogan_core.inference.generate import Explorer, latents
from geogan_core.models.registry import ModelConfig
from geogan_core.progress import track
from geogan_core.training.loop import GanTrainer, TrainConfig, machine_name


def _median_seconds(fn: Any, repeats: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def machine() -> str:
    """A one-line description of this machine (CPU, or the GPU when there is one)."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return f"{machine_name(device)}, Python {platform.python_version()}"


def run_benchmarks(explorer: Explorer, repeats: int = 20, train_steps: int = 8) -> dict[str, Any]:
    """Measure generation time (1/16/64 views) per shipped GAN and training throughput per architecture.

    Generation: model time only (condition encoder + generator), median and p95 over ``repeats``.
    Training: images/s over ``train_steps`` steps of batch 64 on the real training views, after one
    warm-up step, for each architecture in the same process (ratios are comparable).
    """
    out: dict[str, Any] = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "generation_ms": {},
                           "training_images_per_s": {}}
    patch, _ = explorer.patch(38.0, -97.0)
    for name in explorer.available():
        gan = explorer.gan(name)
        for n in (1, 16, 64):
            z = latents(n, 0, gan.G.z_dim)
            med, p95 = _median_seconds(lambda z=z, name=name: explorer.render(name, z, patch), repeats)
            out["generation_ms"][f"{name}/{n}"] = {"median": round(med * 1000, 2), "p95": round(p95 * 1000, 2)}
    data = load_paired(explorer.area)
    for name in track(("paper", "modern", "ugan"), 3, "training throughput"):
        ref = explorer.gan(name).checkpoint["model_config"] if name in explorer.available() else None
        cfg = ModelConfig(**ref) if ref else ModelConfig(name, in_channels=explorer.area.channels, ngf=32, ndf=32)
        trainer = GanTrainer(explorer.area, cfg, TrainConfig(batch_size=64, device="cpu"), data,
                             explorer.area.cache_dir / "bench-run")
        batches = trainer.batches.epoch(0, 0, 64)[: train_steps + 1]
        trainer.train_step(*batches[0])
        t0 = time.perf_counter()
        for real, p in batches[1:]:
            trainer.train_step(real, p)
        seconds = time.perf_counter() - t0
        out["training_images_per_s"][name] = round(64 * (len(batches) - 1) / seconds, 1)
        out["training_images_per_s"][f"{name}_width"] = cfg.ngf
    return out
