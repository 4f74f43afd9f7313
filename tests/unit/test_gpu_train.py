"""bench/gpu_train.sh: the GPU run's whole path, dry-run on the CPU with a pack of the tiny area."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from geogan_core.checkpoint import load_checkpoint, read_manifest
from geogan_core.data.pack import read_pack, write_pack
from geogan_core.data.paired import load_paired
from geogan_core.inference.models import load_gan, load_judge
from geogan_core.training import gpu
from geogan_core.training.export import export_run
from geogan_core.training.judge import train_judge
from geogan_core.training.run import pack_memory_key, train_command
from tests.conftest import view_memory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pack(tiny_area, tmp_path_factory):
    path = tmp_path_factory.mktemp("gpu") / "tiny.gpk"
    write_pack(tiny_area, load_paired(tiny_area), path)
    return path


def _script(*args, out, timeout=300):
    env = {**os.environ, "PYTHON": sys.executable, "OUT": str(out)}
    return subprocess.run(["bash", "bench/gpu_train.sh", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_tiny_run_trains_exports_and_scores_every_model(pack, tmp_path):
    out = tmp_path / "out"
    t0 = time.time()
    r = _script("--tiny", "--pack", str(pack), "--checkpoints", str(tmp_path / "no-judge"), out=out)
    assert r.returncode == 0, r.stderr[-2000:]
    assert time.time() - t0 < 300
    if not torch.cuda.is_available():
        assert "no CUDA device: training on the CPU" in r.stderr
    report = json.loads((out / "report.json").read_text())
    assert set(report["models"]) == {"paper", "modern", "ugan"}  # the tiny area has no scene photos
    assert "no scene features" in report["skipped"]["scenes"]
    assert "no retrieval memory" in report["skipped"]["guided"]  # this pack was made without one
    assert report["pack"]["key"] == read_pack(pack).data.key and report["tiny"] is True
    manifest = read_manifest(out / "checkpoints")
    for name, m in report["models"].items():
        assert m["steps"] == 2 and m["images_per_s"] > 0 and not m["stopped_by_deadline"]
        assert manifest[name]["images_per_s"] == m["images_per_s"] and manifest[name]["minutes"] >= 0
        assert manifest[name]["machine"] and manifest[name]["data"]["key"] == report["pack"]["key"]
        assert load_gan(name, out / "checkpoints").G is not None
        assert (out / "logs" / name / "samples" / "epoch-0001.png").is_file()
    assert load_judge(out / "checkpoints") is not None and "trained here" in report["judge"]["source"]
    scores = json.loads((out / "scores.json").read_text())
    assert set(scores["models"]) == set(report["models"])
    assert all("auc" in m and "paired_vs_shuffled" in m and "kid" in m for m in scores["models"].values())
    assert not (out / ".runs").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_require_gpu_stops_without_one(pack, tmp_path):
    r = _script("--tiny", "--pack", str(pack), "--require-gpu", out=tmp_path / "out", timeout=120)
    assert r.returncode == 2 and "no CUDA device" in r.stderr and "Traceback" not in r.stderr


def test_a_missing_pack_is_one_line(tmp_path):
    r = _script("--pack", str(tmp_path / "none.gpk"), out=tmp_path / "out", timeout=120)
    assert r.returncode == 2 and "make one with" in r.stderr and "Traceback" not in r.stderr


def test_a_deadline_stops_cleanly_with_a_checkpoint(tiny_area, tmp_path):
    path = train_command(tiny_area, "cgan", arch="paper", epochs=50, device="cpu", run_dir=tmp_path,
                         deadline=time.time() - 1)
    ck = load_checkpoint(path)
    assert ck["step"] == 1 and ck["epoch"] == 0


def test_out_of_gpu_memory_halves_the_batch_once(pack, tmp_path, monkeypatch):
    import geogan_core.training.run as run

    real, calls = run.train_command, []

    def flaky(*args, **kw):
        calls.append(kw["batch_size"])
        if len(calls) == 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        return real(*args, **kw)

    monkeypatch.setattr(run, "train_command", flaky)
    env = {"device": "cpu", "gpu": None, "platform": "test"}
    job = gpu.Job("paper", "cgan", "paper", width=8, epochs=1, batch_size=16)
    result = gpu._run_job(job, read_pack(pack), tmp_path / "work", tmp_path / "ckpt", env, 0.0, tiny=False)
    assert calls == [16, 8] and result["batch_size"] == 8
    assert result["notes"] == ["out of GPU memory: batch halved to 8"]


def test_the_shipped_judge_is_reused_when_it_knows_the_data(pack, tmp_path):
    p = read_pack(pack)
    train_judge(p.data, tmp_path / "run", epochs=1, batch_size=8, max_steps=1)
    export_run("judge", tmp_path / "run", tmp_path / "shipped")
    (tmp_path / "out").mkdir()
    got = gpu._judge(p, tmp_path / "out", tmp_path / "shipped", tmp_path / "work", {"device": "cpu"}, tiny=True)
    assert got["source"].startswith("shipped")
    assert read_manifest(tmp_path / "out")["judge"]["sha256"] == read_manifest(tmp_path / "shipped")["judge"]["sha256"]


def test_the_plans_guided_job_trains_from_a_pack_with_a_memory(tiny_area, tmp_path):
    path = tmp_path / "m.gpk"
    write_pack(tiny_area, load_paired(tiny_area), path, memory=view_memory(tiny_area, tmp_path))
    job = next(j for j in gpu.PLAN if j.name == "guided")
    env = {"device": "cpu", "gpu": None, "platform": "test"}
    result = gpu._run_job(job, read_pack(path), tmp_path / "work", tmp_path / "ckpt", env, 0.0, tiny=True)
    assert result["steps"] == 2 and result["file"] == "cgan-guided.pt"
    assert read_manifest(tmp_path / "ckpt")["guided"]["train_config"]["retrieval_key"] == pack_memory_key()
    assert load_gan("guided", tmp_path / "ckpt").G is not None
