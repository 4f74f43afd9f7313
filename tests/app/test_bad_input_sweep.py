"""Bad input sweep: every mistake a user can make gets a clear message, never a stack trace.

In the app a message is an ``st.error``/``st.warning``/``st.info`` that names the problem and says what
to do, with ``at.exception`` empty; in the CLI it is exit status 2 and one ``error: ...`` line. No sweep
case may leave a half-written cache or checkpoint behind. Everything runs on the tiny synthetic study
area of ``tests/conftest.py`` (copied into ``tmp_path`` when a case changes it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import streamlit_folium
from streamlit.testing.v1 import AppTest

import geogan_core.evaluation.embedding as embedding
import geogan_core.evaluation.report as report
import geogan_core.webmap.overlays as overlays
import ui.click_map
from geogan_core.checkpoint import sha256, update_manifest
from geogan_core.config import load_config
from geogan_core.data import paired
from geogan_core.errors import DataError
from geogan_core.evaluation.embedding import Embedding, embedding_key, save_embedding
from geogan_core.inference.generate import Explorer, _shared_explorer

ROOT = Path(__file__).resolve().parents[2]
PAGES = {"home": "app.py", "map": "pages/1_Map.py", "latent": "pages/2_Latent.py",
         "features": "pages/3_Features.py", "baselines": "pages/4_Baselines.py"}
ENV_KEYS = ("GEOGAN_CONFIG", "GEOGAN_CHECKPOINTS", "GEOGAN_CACHE")


# ---------------------------------------------------------------- helpers


def leftovers(*folders: Path) -> list[Path]:
    """Temporary files or folders an interrupted write leaves (``.name.XXXX.part``, ``.paired-XXXX``)."""
    return [p for folder in folders if folder.exists() for p in folder.rglob("*")
            if p.name.startswith(".") or p.name.endswith((".part", ".tmp"))]


def area_copy(tiny_config: Path, dest: Path, changes: list[tuple[str, str]] = (), copy_data: bool = False) -> Path:
    """The tiny config rewritten into ``dest`` with its own cache folder, each ``(old, new)`` text replaced."""
    text = tiny_config.read_text()
    swaps = [(f'cache_dir = "{tiny_config.parent / "cache"}"', f'cache_dir = "{dest / "cache"}"'), *changes]
    if copy_data:
        shutil.copytree(tiny_config.parent / "data", dest / "data")
        swaps.append((f'data_root = "{tiny_config.parent / "data"}"', f'data_root = "{dest / "data"}"'))
    for old, new in swaps:
        assert old in text, f"the tiny config no longer holds {old!r}"
        text = text.replace(old, new, 1)
    cfg = dest / "area.toml"
    cfg.write_text(text)
    return cfg


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m geogan_core`` with a clean GEOGAN_* environment plus ``env``."""
    base = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    return subprocess.run([sys.executable, "-m", "geogan_core", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env={**base, "OMP_NUM_THREADS": "1", **env})


def assert_cli_error(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit status 2, one ``error:`` line on stderr holding every word, no traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


def page(name: str, query: dict[str, str] | None = None) -> AppTest:
    """Run one page once (generous timeout: the test machine is slow and busy)."""
    at = AppTest.from_file(str(ROOT / PAGES[name]), default_timeout=120)
    if query:
        at.query_params.update(query)
    return at.run()


def messages(at: AppTest, *kinds: str) -> str:
    """All error/warning/info texts of a page run, joined."""
    return " | ".join(el.value for kind in (kinds or ("error", "warning", "info")) for el in getattr(at, kind))


def assert_says(at: AppTest, kind: str, *words: str) -> None:
    """One ``st.<kind>`` element holds every word, and the page raised nothing."""
    assert not at.exception, [e.value for e in at.exception]
    texts = [el.value for el in getattr(at, kind)]
    assert any(all(w in t for w in words) for t in texts), f"no {kind} holding {words}: {texts}"


# ---------------------------------------------------------------- broken checkpoints

BREAKS = {  # how cgan-modern.pt is broken -> words its message must hold
    "truncated": ("cgan-modern.pt", "does not match the sha256", "restore it from git", "export modern"),
    "truncated_resealed": ("cgan-modern.pt", "corrupt or truncated", "restore it from git", "re-export"),
    "wrong_arch": ("cgan-modern.pt", "holds a 'paper' GAN", "lists it as the 'modern' model", "export modern"),
}


def break_modern(trained: Path, dest: Path, how: str) -> Path:
    """A copy of the tiny checkpoints whose modern cGAN file is broken in one way."""
    folder = dest / "ckpt"
    shutil.copytree(trained / "ckpt", folder)
    target = folder / "cgan-modern.pt"
    if how.startswith("truncated"):
        data = target.read_bytes()
        target.write_bytes(data[: len(data) // 3])
    elif how == "wrong_arch":  # paper weights saved under the modern file name
        shutil.copy(folder / "cgan-paper.pt", target)
    if how != "truncated":  # the manifest hash matches: only loading the file finds the problem
        update_manifest(folder, "modern", {"sha256": sha256(target), "bytes": target.stat().st_size})
    return folder


# ---------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def sandbox(monkeypatch, tmp_path):
    """Pages read results, embeddings and overlays from ``tmp_path``; no GEOGAN_* variable leaks in."""
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    _shared_explorer.cache_clear()
    monkeypatch.setattr(report, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(embedding, "EMBED_DIR", tmp_path / "features")
    render = overlays.render_overlays
    monkeypatch.setattr(overlays, "render_overlays",
                        lambda area, static_dir, **kw: render(area, tmp_path / "static", width=64))
    monkeypatch.setattr(streamlit_folium, "st_folium", lambda fmap, **kw: {"last_clicked": None})
    monkeypatch.setattr(ui.click_map, "click_map", lambda *a, **kw: None)
    yield
    _shared_explorer.cache_clear()


@pytest.fixture
def tiny_app(monkeypatch, tiny_config, trained):
    """Pages on the tiny area with its healthy checkpoints."""
    monkeypatch.setenv("GEOGAN_CONFIG", str(tiny_config))
    monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(trained / "ckpt"))
    return trained / "ckpt"


# ---------------------------------------------------------------- 1. link parameters


class TestLinkParameters:
    @pytest.mark.parametrize("query,words,n", [
        ({"lat": "1e9", "lon": "10", "n": "-3"}, ["latitude 1e+09 is outside [-90, 90]", "n=-3 in the link is below 1"],
         16),
        ({"lat": "10", "lon": "nan"}, ["place was ignored", "must be finite", "lon='nan'"], 16),
    ])
    def test_map_page(self, tiny_app, query, words, n):
        at = page("map", query)
        for word in words:
            assert_says(at, "warning", word)
        assert at.sidebar.slider[0].value == n
        assert_says(at, "info", "Click anywhere")  # the bad place was not used

    @pytest.mark.parametrize("query,words,n", [
        ({"lat": "abc", "lon": "10", "n": "100000"},
         ["place was ignored: coordinates must be numbers", "n=100000 in the link is above the limit of 16"], 16),
        ({"lat": "1e9", "lon": "10", "n": "-3"}, ["latitude 1e+09 is outside", "n=-3 in the link is below 1"], 8),
        ({"lat": "10", "lon": "nan", "n": "2"}, ["must be finite"], 2),
    ])
    def test_latent_page(self, tiny_app, query, words, n):
        at = page("latent", query)
        for word in words:
            assert_says(at, "warning", word)
        assert "limit of 64" not in messages(at)  # the page's own limit, said once
        assert at.sidebar.slider[0].value == n
        assert at.sidebar.text_input(key="place").value == "55.75, 37.62"  # the default place instead


# ---------------------------------------------------------------- 2. typed coordinates


class TestTypedCoordinates:
    def test_map_page(self, tiny_app):
        at = page("map")
        for typed, words in [("10, 200", ["longitude 200 is outside [-180, 180]", "decimal degrees"]),
                             ("abc", ["two numbers", "'abc'"])]:
            at.sidebar.text_input[0].input(typed)
            next(b for b in at.sidebar.button if b.label == "Go").click().run()
            assert_says(at, "error", *words)
            assert_says(at, "info", "Click anywhere")  # the place did not change
            assert "lat" not in at.query_params

    def test_latent_page(self, tiny_app):
        at = page("latent", {"lat": "51.5", "lon": "-0.1", "n": "2"})
        assert not at.exception and not at.error
        for typed, words in [("95, 10", ["latitude 95 is outside"]), ("10, 200", ["longitude 200 is outside"]),
                             ("abc", ["two numbers"])]:
            at.sidebar.text_input(key="place").input(typed).run()
            assert_says(at, "error", *words)


# ---------------------------------------------------------------- 3. config pointing at missing files


class TestMissingFiles:
    @pytest.mark.parametrize("old,new,words", [
        ('path = "gray.png"', 'path = "nothere.png"',
         ["overhead layer 'gray'", "nothere.png not found", "[[overhead]].path"]),
        ('path = "landcover.tif"', 'path = "nolandcover.tif"',
         ["land-cover raster", "nolandcover.tif not found", "[landcover].path in area.toml"]),
        ('csv = "photos.csv"', 'csv = "nophotos.csv"', ["photo table", "nophotos.csv not found", "[photos].csv"]),
    ])
    def test_data_summary(self, tiny_config, tmp_path, old, new, words):
        cfg = area_copy(tiny_config, tmp_path, [(old, new)])
        assert_cli_error(cli("data", "summary", "--config", str(cfg)), *words)
        assert not leftovers(tmp_path / "cache")

    @pytest.mark.parametrize("setting,words", [
        ('kind = "blocks"', ["[split].kind must be one of", "regions", "cells"]),
        ("buffer_km = 20000.0", ["train side of the split is empty", "[split].buffer_km = 20000", "lower it"]),
        ('region_pattern = "in (("', ["[split].region_pattern is not a regular expression"]),
    ])
    def test_bad_split_settings(self, tiny_config, tmp_path, setting, words):
        cfg = area_copy(tiny_config, tmp_path, [("[split]\n", f"[split]\n{setting}\n")])
        proc = cli("data", "summary", "--config", str(cfg))
        # the buffer is checked once the photos are read (progress lines before it): the error is the last line
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith("error: ") and all(w in last for w in words), last

    @pytest.mark.parametrize("command", [["generate", "--lat", "51.5", "--lon", "-0.1", "-n", "2"],
                                         ["figure", "-n", "1"]])
    def test_unwritable_out(self, tiny_config, trained, tmp_path, command):
        blocker = tmp_path / "a_file"
        blocker.write_text("not a folder")
        proc = cli(*command, "--config", str(tiny_config), "--checkpoints", str(trained / "ckpt"),
                   "--out", str(blocker / "grid.png"))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith("error: cannot write") and "choose a writable --out path" in last, last

    def test_more_folds_than_regions(self, tiny_config, trained, tmp_path):
        proc = cli("evaluate", "--config", str(tiny_config), "--checkpoints", str(trained / "ckpt"), "--folds", "40",
                   "--json", str(tmp_path / "e.json"))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith("error: --folds 40 needs at least 40 regions") and "this split has" in last, last
        assert not (tmp_path / "e.json").exists()

    def test_missing_region_column_groups_by_location(self, tiny_config):
        proc = cli("data", "summary", "--json", "--config", str(tiny_config))
        assert proc.returncode == 0, proc.stderr
        split = json.loads(proc.stdout)["split"]
        assert split["grouped_by_location"] == 16 and split["kind"] == "regions"
        assert "have no [split].region_column 'region' value; they are grouped by location" in proc.stderr

    def test_missing_config_file(self, tmp_path):
        assert_cli_error(cli("data", "summary", "--config", str(tmp_path / "nope.toml")),
                         "config file", "nope.toml not found", "--config")

    def test_photo_table_not_utf8(self, tiny_config, tmp_path):
        cfg = area_copy(tiny_config, tmp_path, copy_data=True)
        csv = tmp_path / "data" / "photos.csv"
        csv.write_bytes(csv.read_bytes() + "photos/p0.jpg,1,1,x,Z\xfcrich\n".encode("latin-1"))
        assert_cli_error(cli("data", "summary", "--config", str(cfg)), "photos.csv is not UTF-8", "save it as UTF-8")
        assert not leftovers(tmp_path / "cache")

    def test_map_page_names_the_missing_layer(self, monkeypatch, tiny_config, trained, tmp_path):
        cfg = area_copy(tiny_config, tmp_path, [('path = "gray.png"', 'path = "nothere.png"')])
        monkeypatch.setenv("GEOGAN_CONFIG", str(cfg))
        monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(trained / "ckpt"))
        assert_says(page("map"), "error", "overhead layer 'gray'", "nothere.png not found", "[[overhead]].path")

    def test_interrupted_cache_build_leaves_nothing(self, tiny_config, tmp_path, monkeypatch):
        area = load_config(area_copy(tiny_config, tmp_path))
        save, calls = np.save, []

        def disk_full(*args, **kwargs):
            calls.append(args[0])
            if len(calls) == 3:
                raise OSError(28, "No space left on device")
            return save(*args, **kwargs)

        monkeypatch.setattr(np, "save", disk_full)
        with pytest.raises(DataError, match="cannot write the data cache .*No space left on device.*GEOGAN_CACHE"):
            paired.load_paired(area)
        assert len(calls) == 3 and not leftovers(tmp_path / "cache")
        assert not list((tmp_path / "cache").rglob("paired-*"))
        monkeypatch.setattr(np, "save", save)
        assert paired.load_paired(area).n_locations == 16  # the next run builds it whole


# ---------------------------------------------------------------- 4. broken checkpoints


class TestBrokenCheckpoint:
    @pytest.mark.parametrize("how", list(BREAKS))
    def test_cli_generate(self, tiny_config, trained, tmp_path, how):
        folder = break_modern(trained, tmp_path, how)
        out = tmp_path / "out" / "grid.png"
        args = ["generate", "--config", str(tiny_config), "--checkpoints", str(folder), "--lat", "51.5",
                "--lon", "-0.1", "-n", "2", "--out", str(out)]
        assert_cli_error(cli(*args), *BREAKS[how])
        assert not out.exists()
        healthy = cli(*args, "--arch", "paper")  # the other model still works
        assert healthy.returncode == 0, healthy.stderr
        assert out.is_file() and not leftovers(folder, out.parent)

    @pytest.mark.parametrize("how", list(BREAKS))
    def test_home_page(self, monkeypatch, tiny_config, trained, tmp_path, how):
        folder = break_modern(trained, tmp_path, how)
        monkeypatch.setenv("GEOGAN_CONFIG", str(tiny_config))
        monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(folder))
        at = page("home")
        assert_says(at, "warning", "model 'modern' is unusable", *BREAKS[how])
        usable = dict(zip(at.dataframe[0].value["model"], at.dataframe[0].value["usable"], strict=True))
        assert usable["modern"].startswith("no") and usable["paper"] == usable["ugan"] == "yes"
        assert not leftovers(folder)

    @pytest.mark.parametrize("how", list(BREAKS))
    def test_map_page(self, monkeypatch, tiny_config, trained, tmp_path, how):
        folder = break_modern(trained, tmp_path, how)
        monkeypatch.setenv("GEOGAN_CONFIG", str(tiny_config))
        monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(folder))
        at = page("map", {"lat": "51.5", "lon": "-0.1", "n": "2", "model": "modern"})
        assert_says(at, "error", *BREAKS[how])
        assert at.subheader[0].value.startswith("51.5000, -0.1000")  # the place is still described
        assert len(at.table[-1].value) == 4  # and its nearest real photos shown
        at.sidebar.radio[0].set_value("paper").run()  # the healthy model stays usable
        assert not at.exception and not at.error
        assert any("2 generated ground views** (paper" in m.value for m in at.markdown)
        assert not leftovers(folder)

    @pytest.mark.parametrize("how", ["truncated_resealed", "wrong_arch"])
    def test_latent_page(self, monkeypatch, tiny_config, trained, tmp_path, how):
        folder = break_modern(trained, tmp_path, how)
        monkeypatch.setenv("GEOGAN_CONFIG", str(tiny_config))
        monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(folder))
        at = page("latent", {"lat": "51.5", "lon": "-0.1", "n": "2"})
        assert_says(at, "error", *BREAKS[how])
        at.sidebar.radio[0].set_value("paper").run()
        assert not at.exception and not at.error
        assert len(at.get("image")[2].proto.imgs) == 2  # the original views, by the paper cGAN

    def test_latent_page_broken_directions(self, monkeypatch, tiny_config, trained, tmp_path):
        folder = tmp_path / "ckpt"
        shutil.copytree(trained / "ckpt", folder)
        (folder / "directions.pt").write_bytes(b"PK\x03\x04 half a file")
        update_manifest(folder, "directions", {"file": "directions.pt", "kind": "directions",
                                               "sha256": sha256(folder / "directions.pt")})
        monkeypatch.setenv("GEOGAN_CONFIG", str(tiny_config))
        monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(folder))
        at = page("latent", {"lat": "51.5", "lon": "-0.1", "n": "2"})
        assert_says(at, "warning", "latent directions are unavailable", "directions.pt is corrupt or truncated",
                    "restore it from git")
        assert not at.error and len(at.get("image")[2].proto.imgs) == 2  # the rest of the page works

    def test_features_page(self, monkeypatch, tiny_config, tiny_area, trained, tmp_path):
        ex = Explorer(tiny_area, trained / "ckpt")  # an embedding computed while the checkpoints were healthy
        n_real, n_gen = 20, 4
        save_embedding(Embedding(
            "cgan_disc", np.random.default_rng(0).normal(size=(n_real + n_gen, 2)).astype(np.float32),
            np.array(["real"] * n_real + ["generated"] * n_gen), np.concatenate([ex.data.view_loc[:n_real],
                                                                                 np.arange(n_gen)]),
            np.concatenate([np.arange(n_real), -np.ones(n_gen, int)]), np.zeros(n_real + n_gen, int),
            {"full": {"silhouette": 0.1, "knn5_accuracy": 0.7}, "umap_2d": {"silhouette": 0.1, "knn5_accuracy": 0.7}},
            [{"cluster": 0, "size": n_real + n_gen}], embedding_key(ex, "cgan_disc")), embedding.EMBED_DIR)
        folder = break_modern(trained, tmp_path, "truncated_resealed")
        monkeypatch.setenv("GEOGAN_CONFIG", str(tiny_config))
        monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(folder))
        at = page("features")
        assert_says(at, "error", *BREAKS["truncated_resealed"], "cannot be checked or recomputed")
        assert_says(at, "warning", "cluster examples cannot be shown", "cgan-modern.pt")
        assert len(at.get("plotly_chart")) == 1  # the stored embedding is still shown

    def test_baselines_page(self, monkeypatch, tiny_config, trained, tmp_path):
        folder = break_modern(trained, tmp_path, "wrong_arch")
        monkeypatch.setenv("GEOGAN_CONFIG", str(tiny_config))
        monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(folder))
        at = page("baselines")
        assert_says(at, "warning", "model 'modern' is unusable", *BREAKS["wrong_arch"])
        assert_says(at, "info", "geogan_core evaluate")  # no stored results in the sandbox: says how


# ---------------------------------------------------------------- 5. missing data root


class TestMissingDataRoot:
    WORDS = ("data root", "nowhere does not exist", "set GEOGAN_DATA")

    @pytest.mark.parametrize("name,kind", [("map", "error"), ("latent", "error"), ("features", "error"),
                                           ("baselines", "warning")])
    def test_pages(self, monkeypatch, tmp_path, name, kind):
        monkeypatch.setenv("GEOGAN_DATA", str(tmp_path / "nowhere"))
        assert_says(page(name), kind, *self.WORDS)

    def test_data_summary(self, tmp_path):
        assert_cli_error(cli("data", "summary", GEOGAN_DATA=str(tmp_path / "nowhere")), *self.WORDS)


# ---------------------------------------------------------------- 6. broken photo rows

BAD_ROWS = ["photos/p1.jpg,abc,10,q,non-numeric", "photos/p2.jpg,10,200,r,bad longitude",
            "photos/p3.jpg,nan,5,s,not a number", "photos/p4.jpg,12,,t,half a coordinate"]


class TestBrokenPhotoRows:
    @pytest.fixture
    def broken_rows(self, tiny_config, tmp_path) -> Path:
        cfg = area_copy(tiny_config, tmp_path, copy_data=True)
        csv = tmp_path / "data" / "photos.csv"
        csv.write_text(csv.read_text() + "\n".join(BAD_ROWS) + "\n")
        return cfg

    def test_data_summary_lists_reasons(self, broken_rows, tmp_path):
        proc = cli("data", "summary", "--json", "--config", str(broken_rows))
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        out = json.loads(proc.stdout)
        assert out["panoramas"] == 16 and out["skipped_rows"] == 8
        reasons = "\n".join(out["skipped"])
        for line in ["row 18: missing file photos/missing.jpg", "row 19: no lat/lon and no EXIF GPS",
                     "row 20: latitude 95 is outside", "row 21: cannot decode image photos/corrupt.jpg",
                     "row 22: lat/lon not numbers ('abc', '10')", "row 23: longitude 200 is outside",
                     "row 24: lat/lon is NaN", "row 25: lat/lon not numbers ('12', '')"]:
            assert line in reasons
        assert (tmp_path / "cache" / "tiny").is_dir() and not leftovers(tmp_path / "cache")

    def test_home_page_warns_once(self, monkeypatch, broken_rows, trained):
        monkeypatch.setenv("GEOGAN_CONFIG", str(broken_rows))
        monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(trained / "ckpt"))
        at = page("home")
        assert_says(at, "warning", "8 row(s) of the photo table", "row 18: missing file photos/missing.jpg",
                    "fix or remove them")
        assert {m.label: m.value for m in at.metric}["Panoramas"] == "16"  # the good rows are used
