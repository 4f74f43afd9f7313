import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from geogan_core.checkpoint import export_for_inference, load_checkpoint, save_checkpoint, sha256, update_manifest
from geogan_core.data.paired import load_paired
from geogan_core.errors import CheckpointError, ConfigError
from geogan_core.inference.generate import Explorer
from geogan_core.inference.models import load_gan
from geogan_core.models.registry import ModelConfig
from geogan_core.training.loop import TrainConfig, train_gan
from geogan_core.training.losses import class_loss, diff_augment, mode_seeking
from tests.conftest import train_tiny as _train

ROOT = Path(__file__).resolve().parents[2]




class TestTrainingLoop:
    def test_writes_checkpoint_samples_and_metrics(self, trained):
        run = trained / "runs" / "modern"
        ck = load_checkpoint(run / "latest.pt", "gan")
        assert ck["epoch"] == 0 and ck["step"] > 0 and ck["G_ema"] is not None
        assert (run / "samples" / "epoch-0001.png").is_file()
        assert (run / "metrics.jsonl").read_text().count("\n") == 1
        assert not list(run.glob("*.part"))

    def test_resume_is_exact(self, tiny_area, tmp_path):
        straight = _train(tiny_area, "modern", tmp_path / "a", epochs=2)
        _train(tiny_area, "modern", tmp_path / "b", epochs=1)
        mcfg = ModelConfig("modern", in_channels=tiny_area.channels, ngf=8, ndf=8, n_classes=17)
        resumed = train_gan(tiny_area, mcfg, TrainConfig(epochs=2, batch_size=8, device="cpu"), load_paired(tiny_area),
                            tmp_path / "b", resume=True)
        a, b = load_checkpoint(straight)["G"], load_checkpoint(resumed)["G"]
        assert all(torch.equal(a[k], b[k]) for k in a)

    def test_resumes_a_run_saved_before_n_classes_existed(self, tiny_area, tmp_path):
        latest = _train(tiny_area, "paper", tmp_path / "old", epochs=1)
        ck = load_checkpoint(latest)
        del ck["model_config"]["n_classes"]  # as written by earlier versions
        save_checkpoint(latest, ck)
        mcfg = ModelConfig("paper", in_channels=tiny_area.channels, ngf=8, ndf=8)
        train_gan(tiny_area, mcfg, TrainConfig(epochs=2, batch_size=8, device="cpu"), load_paired(tiny_area),
                  tmp_path / "old", resume=True)
        assert load_checkpoint(latest)["epoch"] == 1
        ck["model_config"]["depth"] = 9  # a key this version does not know
        save_checkpoint(latest, ck)
        with pytest.raises(CheckpointError, match="bad model_config"):
            train_gan(tiny_area, mcfg, TrainConfig(epochs=3, batch_size=8, device="cpu"), load_paired(tiny_area),
                      tmp_path / "old", resume=True)

    def test_resume_refuses_other_architecture(self, tiny_area, trained, tmp_path):
        mcfg = ModelConfig("modern", in_channels=tiny_area.channels, ngf=16, ndf=8)
        with pytest.raises(CheckpointError, match="use another run folder"):
            train_gan(tiny_area, mcfg, TrainConfig(epochs=2, batch_size=8, device="cpu"), load_paired(tiny_area),
                      trained / "runs" / "modern", resume=True)


class TestConditioning:
    """The modern recipe's land-cover head, place seeking and their switches."""

    def test_head_and_place_seeking_are_trained(self, tiny_area, tmp_path):
        ck = load_checkpoint(_train(tiny_area, "modern", tmp_path / "run"), "gan")
        assert ck["model_config"]["n_classes"] == 17 and "classify.weight" in ck["D"]
        rec = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()][-1]
        assert rec["loss_ac_d"] > 0 and rec["loss_ac_g"] > 0 and rec["loss_ps"] > 0 and rec["loss_ms"] > 0

    def test_parts_switch_off(self, tiny_area, tmp_path):
        _train(tiny_area, "modern", tmp_path / "run", ac_weight=0.0, ps_weight=0.0)
        rec = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[-1])
        assert rec["loss_ac_d"] == 0 and rec["loss_ps"] == 0 and rec["loss_ms"] > 0

    def test_projected_discriminator_trains_and_ships_without_lite0(self, tiny_area, tmp_path):
        from geogan_core.training.export import export_run

        runs = [_train(tiny_area, "modern", tmp_path / f"run{i}", model={"disc": "projected"}, max_steps=2)
                for i in range(2)]
        a, b = (load_checkpoint(r, "gan") for r in runs)
        assert a["model_config"]["disc"] == "projected" and a["step"] == 2
        assert all(torch.equal(a["G"][k], b["G"][k]) for k in a["G"])  # same seed, same weights
        assert not any("_blocks" in k for k in a["D"])  # the frozen Lite0 comes from its package
        export_run("modern", tmp_path / "run0", tmp_path / "ckpt")
        G = load_gan("modern", tmp_path / "ckpt").G
        z = torch.randn(1, 100, generator=torch.Generator().manual_seed(0))
        patch = torch.rand(2, tiny_area.channels, 8, 8, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            by_place = G(z.expand(2, -1), patch)
            by_noise = G(torch.randn(2, 100), patch[:1].expand(2, -1, -1, -1))
        assert (by_place[0] - by_place[1]).abs().max() > 1e-4 and (by_noise[0] - by_noise[1]).abs().max() > 1e-4

    def test_cli_settings_reach_the_configs(self, tiny_config, tmp_path):
        from geogan_core.cli import main

        run = tmp_path / "run"
        assert main(["train", "cgan", "--config", str(tiny_config), "--max-steps", "1", "--epochs", "1",
                     "--batch-size", "8", "--width", "8", "--run-dir", str(run), "--device", "cpu",
                     "--set", "n_classes=0", "--set", "ms_weight=0.25", "--set", 'diffaug=["color"]']) == 0
        ck = load_checkpoint(run / "latest.pt", "gan")
        assert ck["model_config"]["n_classes"] == 0 and ck["train_config"]["ms_weight"] == 0.25
        assert ck["train_config"]["diffaug"] == ["color"]

    @pytest.mark.parametrize("setting, message", [("nokey=1", "unknown key"), ("ms_weight", "write key=value")])
    def test_cli_bad_settings(self, tiny_config, capsys, setting, message):
        from geogan_core.cli import main

        assert main(["train", "cgan", "--config", str(tiny_config), "--set", setting]) == 2
        assert message in capsys.readouterr().err


class TestCheckpoints:
    def test_export_is_fp16_without_optimizer_and_in_manifest(self, trained):
        ck = load_checkpoint(trained / "ckpt" / "cgan-modern.pt", "gan")
        assert "opt_G" not in ck and "G" not in ck
        assert all(v.dtype == torch.float16 for v in ck["G_ema"].values() if v.is_floating_point())
        gan = load_gan("modern", trained / "ckpt")
        assert gan.sha256 == sha256(trained / "ckpt" / "cgan-modern.pt")

    def test_truncated_file_names_it(self, trained, tmp_path):
        data = (trained / "ckpt" / "cgan-paper.pt").read_bytes()
        bad = tmp_path / "bad.pt"
        bad.write_bytes(data[: len(data) // 3])
        with pytest.raises(CheckpointError, match="bad.pt is corrupt or truncated"):
            load_checkpoint(bad)

    def test_wrong_architecture_weights(self, trained, tmp_path):
        ck = load_checkpoint(trained / "ckpt" / "cgan-paper.pt")
        ck["model_config"]["arch"] = "modern"
        ck.pop("format_version")
        save_checkpoint(tmp_path / "cgan-modern.pt", ck)
        update_manifest(tmp_path, "modern", {"file": "cgan-modern.pt"})
        with pytest.raises(CheckpointError, match="do not fit the architecture"):
            load_gan("modern", tmp_path)

    def test_hash_mismatch_and_missing_entry(self, trained, tmp_path):
        import shutil

        shutil.copytree(trained / "ckpt", tmp_path / "c")
        update_manifest(tmp_path / "c", "paper", {"sha256": "0" * 64})
        with pytest.raises(CheckpointError, match="does not match the sha256"):
            load_gan("paper", tmp_path / "c")
        with pytest.raises(CheckpointError, match="no 'modern' model"):
            load_gan("modern", tmp_path)


class TestGenerate:
    def test_seeded_and_place_dependent(self, tiny_area, trained):
        ex = Explorer(tiny_area, trained / "ckpt")
        a = ex.generate(51.5, -0.1, n=4, seed=1)
        assert a.images.shape == (4, 64, 64, 3) and a.images.dtype == np.uint8
        assert np.array_equal(a.images, ex.generate(51.5, -0.1, n=4, seed=1).images)
        # view i does not depend on n (up to float round-off of batched convolutions)
        diff = np.abs(a.images[:2].astype(int) - ex.generate(51.5, -0.1, n=2, seed=1).images)
        assert diff.max() <= 1
        assert not np.array_equal(a.images, ex.generate(51.5, -0.1, n=4, seed=2).images)
        assert not np.array_equal(a.images, ex.generate(-25.0, 133.0, n=4, seed=1).images)
        assert a.checkpoint.startswith("cgan-modern.pt@")

    def test_models_ordered_by_balanced_consistency(self, tiny_area, trained, tmp_path):
        ck = tmp_path / "ck"
        shutil.copytree(trained / "ckpt", ck)
        # the paper model calls every place rural: high plain consistency, chance when balanced
        update_manifest(ck, "paper", {"metrics": {"landcover_consistency": 0.6, "landcover_balanced": 0.5}})
        update_manifest(ck, "modern", {"metrics": {"landcover_consistency": 0.45, "landcover_balanced": 0.52}})
        assert Explorer(tiny_area, ck).available()[:2] == ["modern", "paper"]
        update_manifest(ck, "modern", {"metrics": {"landcover_consistency": 0.45}})  # an older manifest
        update_manifest(ck, "paper", {"metrics": {"landcover_consistency": 0.6}})
        assert Explorer(tiny_area, ck).available()[0] == "paper"

    def test_bad_requests(self, tiny_area, trained):
        from geogan_core.errors import CoordinateError, InvalidRequestError

        ex = Explorer(tiny_area, trained / "ckpt")
        with pytest.raises(InvalidRequestError, match="between 1 and 64"):
            ex.generate(0, 0, n=0)
        with pytest.raises(InvalidRequestError):
            ex.generate(0, 0, n=1000)
        with pytest.raises(CoordinateError):
            ex.generate(100, 0)


class TestLosses:
    def test_diff_augment_keeps_shape_and_gradient(self):
        x = torch.randn(4, 3, 16, 16, requires_grad=True)
        y = diff_augment(x, ("color", "translation", "cutout"))
        y.sum().backward()
        assert y.shape == x.shape and x.grad is not None

    def test_class_loss_ignores_missing_classes(self):
        logits = torch.tensor([[5.0, 0.0], [0.0, 5.0], [9.0, -9.0]], requires_grad=True)
        right = class_loss(logits, torch.tensor([0, 1, -1]))
        assert right < 0.01 and class_loss(logits, torch.tensor([1, 0, -1])) > 4
        none = class_loss(logits, torch.tensor([-1, -1, -1]))
        none.backward()
        assert none.item() == 0 and torch.equal(logits.grad, torch.zeros_like(logits))

    def test_mode_seeking_skips_pairs_with_equal_inputs(self):
        a, b = torch.zeros(2, 3, 8, 8), torch.ones(2, 3, 8, 8)
        same_place = torch.rand(1, 5, 4, 4).expand(2, -1, -1, -1)
        other = torch.cat([same_place[:1], torch.rand(1, 5, 4, 4)])
        assert mode_seeking(a, a, same_place, same_place).item() == 0
        # only the second pair (two places) counts
        both = mode_seeking(a, b[:1].expand(2, -1, -1, -1), same_place, other)
        assert both == mode_seeking(a[1:], b[1:], same_place[1:], other[1:])

    def test_mode_seeking_penalises_identical_images(self):
        z1, z2 = torch.randn(4, 10), torch.randn(4, 10)
        same = torch.zeros(4, 3, 8, 8)
        assert mode_seeking(same, same, z1, z2) > mode_seeking(same, torch.ones_like(same), z1, z2) * 100


@pytest.mark.slow
def test_ddp_two_cpu_processes_stay_identical(tiny_config, tmp_path):
    """torchrun with 2 gloo processes: after training steps both ranks hold the same weights."""
    script = ROOT / "tests" / "unit" / "ddp_worker.py"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(script), str(tiny_config), str(tmp_path)], env=env, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    w0, w1 = torch.load(tmp_path / "rank0.pt", weights_only=True), torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert w0.keys() == w1.keys() and all(torch.equal(w0[k], w1[k]) for k in w0)
    # the ranks were seeded differently: DDP's initial broadcast and gradient averaging made them equal
    assert any(not torch.equal(w0[k], torch.zeros_like(w0[k])) for k in w0)


def test_exporting_the_same_run_twice_gives_the_same_file(trained, tmp_path):
    src = trained / "runs" / "paper" / "latest.pt"
    export_for_inference(src, tmp_path / "a.pt")
    export_for_inference(src, tmp_path / "b.pt")
    assert sha256(tmp_path / "a.pt") == sha256(tmp_path / "b.pt")


def test_export_can_ship_a_place_strength_chosen_after_training(trained, tmp_path):
    from geogan_core.checkpoint import gan_from_checkpoint, read_manifest
    from geogan_core.training.export import export_run

    entry = export_run("modern", trained / "runs" / "modern", tmp_path, place_strength=1.2)
    assert entry["model_config"]["place_strength"] == 1.2 == read_manifest(tmp_path)["modern"]["model_config"][
        "place_strength"]
    G, _, ckpt = gan_from_checkpoint(tmp_path / entry["file"])
    assert float(G.cond_weight) == pytest.approx(1.2) and ckpt["model_config"]["place_strength"] == 1.2
    plain = gan_from_checkpoint(trained / "ckpt" / entry["file"])[0]
    assert float(plain.cond_weight) == 1.0 and torch.equal(plain.state_dict()["mapping.0.weight"],
                                                           G.state_dict()["mapping.0.weight"])  # weights as they were
    with pytest.raises(ConfigError, match="place_strength"):
        export_run("paper", trained / "runs" / "paper", tmp_path, place_strength=1.2)  # the paper cGAN has none
    with pytest.raises(ConfigError, match="place_strength"):
        export_run("modern", trained / "runs" / "modern", tmp_path, place_strength=-1)
