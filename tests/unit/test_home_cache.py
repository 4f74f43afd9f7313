"""The home page's status and gallery, kept on disk and keyed by the data and the checkpoints' hashes."""

import shutil
import subprocess
import sys

import pytest

from geogan_core.checkpoint import update_manifest
from geogan_core.config import load_config
from geogan_core.errors import CheckpointError
from geogan_core.inference import status as home

NAMES = ["Moscow", "Kansas"]


@pytest.fixture
def ckpt(trained, tmp_path):
    shutil.copytree(trained / "ckpt", tmp_path / "ckpt")
    return tmp_path / "ckpt"


@pytest.fixture
def entries(tiny_config):
    folder = load_config(tiny_config).cache_dir / "home"
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def no_recompute(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("recomputed although it was kept on disk")

    monkeypatch.setattr(home, "study_status", fail)
    monkeypatch.setattr("geogan_core.inference.place.gallery", fail)


def test_status_is_kept_and_checked_again_when_a_checkpoint_changes(tiny_config, ckpt, entries, monkeypatch):
    first = home.home_status(tiny_config, ckpt)
    assert {m["name"] for m in first.models} >= {"modern", "paper", "ugan"} and all(m["usable"] for m in first.models)
    assert len(list(entries.glob("status-*.json"))) == 1
    with monkeypatch.context() as m:
        no_recompute(m)
        assert home.home_status(tiny_config, ckpt) == first
    update_manifest(ckpt, "modern", {"metrics": {"fid_lite0": 1.0}})  # as a re-export rewrites it
    again = home.home_status(tiny_config, ckpt)
    assert next(m for m in again.models if m["name"] == "modern")["metrics"] == {"fid_lite0": 1.0}
    assert len(list(entries.glob("status-*.json"))) == 1  # the old entry is gone
    modern = ckpt / next(m["file"] for m in first.models if m["name"] == "modern")
    modern.write_bytes(modern.read_bytes()[:1000])  # replaced in place, the manifest unchanged
    broken = home.home_status(tiny_config, ckpt)
    assert any("'modern' is unusable" in p for p in broken.problems)


def test_showcase_is_kept_and_made_again_for_new_checkpoints(tiny_config, ckpt, entries, monkeypatch):
    tiles = home.home_showcase(NAMES, str(tiny_config), str(ckpt))
    assert [t.name for t in tiles] == NAMES
    assert all(t.picture.startswith("data:image/") and t.query["lat"] for t in tiles)
    assert tiles[0].picture != tiles[1].picture
    with monkeypatch.context() as m:
        no_recompute(m)
        assert home.home_showcase(NAMES, str(tiny_config), str(ckpt)) == tiles
        update_manifest(ckpt, "modern", {"epochs": 99})
        with pytest.raises(AssertionError, match="recomputed"):
            home.home_showcase(NAMES, str(tiny_config), str(ckpt))


def test_a_kept_home_page_imports_no_torch(tiny_config, ckpt, entries):
    home.home_status(tiny_config, ckpt)
    home.home_showcase(NAMES, str(tiny_config), str(ckpt))
    code = (f"import sys; from geogan_core.inference import status as s; "
            f"s.home_status({str(tiny_config)!r}, {str(ckpt)!r}); "
            f"s.home_showcase({NAMES!r}, {str(tiny_config)!r}, {str(ckpt)!r}); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"


def test_what_cannot_be_read_is_never_kept(tiny_config, tmp_path, entries):
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / "manifest.json").write_text('{"models": {}}')
    status = home.home_status(tiny_config, tmp_path / "none")
    assert any("no trained models" in p for p in status.problems)
    with pytest.raises(CheckpointError, match="no trained model"):
        home.home_showcase(NAMES, str(tiny_config), str(tmp_path / "none"))
    assert not list(entries.glob("showcase-*.json"))
    missing = home.home_status(tmp_path / "nowhere.toml")
    assert missing.problems and not missing.summary
