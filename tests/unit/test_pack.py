"""The pack: one file that trains and scores like the study area it was made from."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from geogan_core.checkpoint import load_checkpoint
from geogan_core.data.pack import config_data_key, read_pack, write_pack
from geogan_core.data.paired import load_paired
from geogan_core.errors import DataError
from geogan_core.training.run import train_command
from tests.conftest import make_area, tiny_retrieval, view_memory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lossless(tiny_area, tmp_path_factory):
    path = tmp_path_factory.mktemp("pack") / "tiny.gpk"
    write_pack(tiny_area, load_paired(tiny_area), path, lossless=True)
    return path


def test_round_trip_keeps_everything(tiny_area, lossless):
    data, pack = load_paired(tiny_area), read_pack(lossless)
    assert pack.area == tiny_area and pack.data.key == data.key == config_data_key(tiny_area)
    for name in ("loc_lat", "loc_lon", "loc_label", "loc_class", "loc_region_raw", "view_loc", "patches"):
        assert np.array_equal(getattr(pack.data, name), getattr(data, name)), name
    assert pack.data.patches.dtype == np.float16
    assert np.array_equal(pack.data.views(64), data.views(64)) and np.array_equal(pack.data.views(128), data.views(128))
    assert np.array_equal(pack.data.split.codes, data.split.codes)
    assert pack.data.split.summary() == data.split.summary()
    assert "[train]" in pack.config_text


def test_jpeg_views_are_close(tiny_area, tmp_path):
    data = load_paired(tiny_area)
    assert write_pack(tiny_area, data, tmp_path / "jpeg.gpk", quality=90)["views_format"] == "jpeg"
    pack = read_pack(tmp_path / "jpeg.gpk")
    for size in (64, 128):
        err = np.abs(pack.data.views(size).astype(int) - data.views(size).astype(int)).mean()
        assert 0 < err < 6, (size, err)


def _losses(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_training_from_the_pack_is_the_same_as_from_the_area(tiny_area, lossless, tmp_path):
    kw = dict(what="cgan", arch="modern", epochs=2, seed=3, device="cpu", max_steps=3)
    a = train_command(tiny_area, run_dir=tmp_path / "area", **kw)
    b = train_command(None, pack=read_pack(lossless), run_dir=tmp_path / "pack", **kw)
    ga, gb = load_checkpoint(a)["G"], load_checkpoint(b)["G"]
    assert all(torch.equal(ga[k], gb[k]) for k in ga)
    la, lb = _losses(tmp_path / "area"), _losses(tmp_path / "pack")
    assert [r["loss_d"] for r in la] == [r["loss_d"] for r in lb]
    assert load_checkpoint(b)["config"] == tiny_area.to_dict() and load_checkpoint(b)["data"]["key"] == \
        load_paired(tiny_area).key


def test_pack_from_other_data_is_refused_naming_both_keys(lossless, tmp_path):
    other = make_area(tmp_path / "other", n_places=12)
    from geogan_core.config import load_config

    area = load_config(other)
    with pytest.raises(DataError, match=f"pack data key {read_pack(lossless).data.key}.*config data key "
                                        f"{config_data_key(area)}"):
        train_command(area, "cgan", pack=read_pack(lossless), run_dir=tmp_path / "run", max_steps=1, device="cpu")


def test_bad_packs_say_what_to_do(lossless, tmp_path):
    with pytest.raises(DataError, match="not found; make one"):
        read_pack(tmp_path / "none.gpk")
    (tmp_path / "junk.gpk").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable pack"):
        read_pack(tmp_path / "junk.gpk")
    old = tmp_path / "old.gpk"
    with zipfile.ZipFile(lossless) as src, zipfile.ZipFile(old, "w") as dst:
        for item in src.infolist():
            payload = src.read(item)
            if item.filename == "meta.json":
                payload = json.dumps({**json.loads(payload), "version": 0}).encode()
            dst.writestr(item, payload)
    with pytest.raises(DataError, match="version 0 pack"):
        read_pack(old)


def test_reading_a_pack_needs_no_rasterio(lossless):
    code = ("import sys; sys.modules['rasterio'] = None\n"
            "from geogan_core.data.pack import read_pack\n"
            f"p = read_pack({str(lossless)!r}); print(p.data.n_locations)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == read_pack(lossless).data.n_locations


def test_cli_pack_and_train_from_it(tiny_config, tmp_path):
    from geogan_core.cli import main

    pack = tmp_path / "cli.gpk"
    assert main(["pack", "--config", str(tiny_config), "--out", str(pack)]) == 0
    assert main(["train", "cgan", "--pack", str(pack), "--max-steps", "1", "--device", "cpu",
                 "--run-dir", str(tmp_path / "run")]) == 0
    assert (tmp_path / "run" / "latest.pt").is_file()
    assert main(["train", "cgan", "--pack", str(pack), "--split", "cells", "--run-dir", str(tmp_path / "x")]) == 2
    (tmp_path / "a-file").write_text("x")
    assert main(["pack", "--config", str(tiny_config), "--out", str(tmp_path / "a-file" / "p.gpk")]) == 2


def test_the_guided_cgan_trains_from_the_packs_memory_alone(tiny_area, lossless, tmp_path):
    from geogan_core.errors import ConfigError

    state = view_memory(tiny_area, tmp_path)
    summary = write_pack(tiny_area, load_paired(tiny_area), tmp_path / "m.gpk", lossless=True, memory=state)
    assert summary["retrieval_memory"] == {"key": "view", "places": len(state["memory"]["place"])}
    pack = read_pack(tmp_path / "m.gpk")
    assert torch.equal(pack.memory["memory"]["module"]["keys"], state["memory"]["module"]["keys"])
    kw = dict(what="cgan", arch="guided", epochs=1, device="cpu", max_steps=1, batch_size=8, width=8)
    ck = load_checkpoint(train_command(None, pack=pack, run_dir=tmp_path / "g", **kw))
    assert torch.equal(ck["G"]["memory.keys"], state["memory"]["module"]["keys"])
    with pytest.raises(ConfigError, match="ranks by 'view', not retrieval_key 'overhead'"):
        train_command(None, pack=pack, run_dir=tmp_path / "k", settings={"retrieval_key": "overhead"}, **kw)
    with pytest.raises(ConfigError, match="the pack holds no retrieval memory"):
        train_command(None, pack=read_pack(lossless), run_dir=tmp_path / "n", **kw)
    damaged = tmp_path / "damaged.gpk"
    with zipfile.ZipFile(tmp_path / "m.gpk") as zi, zipfile.ZipFile(damaged, "w") as zo:
        for item in zi.infolist():
            zo.writestr(item, b"not a torch file" if item.filename == "retrieval_memory.pt" else zi.read(item))
    with pytest.raises(DataError, match="damaged retrieval memory .*make it again with `python -m geogan_core pack`"):
        read_pack(damaged)


def test_pack_takes_the_areas_memory_keyed_for_the_plan_and_refuses_other_data(tiny_area, tmp_path, monkeypatch):
    from geogan_core.training.export import export_run
    from geogan_core.training.run import memory_state, pack_memory_key

    data, _, _ = tiny_retrieval(tiny_area, tmp_path / "runs" / "retrieval")
    export_run("retrieval", tmp_path / "runs" / "retrieval", tmp_path / "ckpt")
    monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(tmp_path / "ckpt"))
    state, why = memory_state(tiny_area, data)  # rekeyed from the shipped "overhead" key
    assert state["memory"]["key"] == pack_memory_key() == "view" and why == ""
    assert state["memory"]["data_key"] == data.key
    monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(ROOT / "checkpoints"))  # the world's memory: other data
    state, why = memory_state(tiny_area, data)
    assert state is None and "built from other data" in why
    monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(tmp_path / "none"))
    state, why = memory_state(tiny_area, data)
    assert state is None and "retrieval.pt" in why and "train retrieval" in why


def test_pack_command_says_in_one_line_why_it_carries_no_memory(tiny_config, tmp_path, monkeypatch, capsys):
    from geogan_core.cli import main

    monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(ROOT / "checkpoints"))  # the world's memory: other data
    assert main(["pack", "--config", str(tiny_config), "--out", str(tmp_path / "tiny.gpk")]) == 0
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "no retrieval memory" in notes[0] and "guided" in notes[0] and "Warning" not in err
    assert read_pack(tmp_path / "tiny.gpk").memory is None
