"""Own study areas at three scales, with no demo data: the README's five commands at the defaults ``area init`` wrote.

A city (20 single photos within 30 km, portrait and rotated ones among them), a continent (60
panorama strips over Europe, land cover on the Clarke 1866 ellipsoid) and a region of 500 single
photos (``tests/own_area.py``). ``train`` runs one epoch with exactly the written defaults: the
batch ``area init`` chose must fit the training side that ``data summary`` reports.
"""

import json
import re
import time

import pytest
import torch
from PIL import Image

from geogan_core.cli import main
from geogan_core.config import load_config
from geogan_core.data.paired import load_paired
from geogan_core.data.splits import choose_batch
from tests.own_area import ROTATED, Scale, build_synthetic_area, map_page_after_a_click

SCALES = {
    "city": Scale("city", 20, 48.14, 11.58, 30.0, 40.0, single=True),
    "continent": Scale("continent", 60, 48.0, 8.0, 1800.0, 5000.0, single=False),
    "region": Scale("region", 500, 45.0, 2.0, 600.0, 1000.0, single=True),
}


def _run(capsys, *argv) -> tuple[str, str, float]:
    t0 = time.time()
    rc = main(list(argv))
    out = capsys.readouterr()
    assert rc == 0, out.err
    return out.out, out.err, time.time() - t0


@pytest.fixture
def area_env(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GEOGAN_CHECKPOINTS", str(tmp_path / "checkpoints"))
    return tmp_path


def _five_commands(scale: Scale, root, capsys) -> dict:
    """``area init`` (at the README's settings), ``data summary``, ``train`` one epoch, ``export``, ``generate``."""
    n = build_synthetic_area(root, scale)
    cfg = root / f"{scale.name}.toml"
    times = {}
    out, _, times["area init"] = _run(capsys, "area", "init", "--name", scale.name, "--overhead", str(root / "rasters"),
                                      "--photos", str(root / "photos"), "--landcover", str(root / "landcover.tif"),
                                      "--urban-classes", "13", "--views-per-image", "1" if scale.single else "4",
                                      "--out", str(cfg))
    assert f"{n} found, {n} kept" in out and "landcover landcover.tif: +proj=longlat +ellps=clrk66 +no_defs," in out
    written = {side: (int(p), int(v)) for side, p, v in re.findall(r"(train|val|test) (\d+) places / (\d+) views", out)}
    batch = int(re.search(r"^batch_size = (\d+)$", cfg.read_text(), re.M).group(1))
    assert f"batch_size = {batch}:" in out and batch == choose_batch(written["train"][1])

    out, _, times["data summary"] = _run(capsys, "data", "summary", "--config", str(cfg), "--json")
    summary = json.loads(out)
    assert summary["panoramas"] == n and summary["views"] == n * (1 if scale.single else 4)
    made = {side: (s["places"], s["views"]) for side, s in summary["splits"].items()}
    assert made == written, (made, written)  # area init computed the split data summary makes
    split = summary["split"]
    assert split["regions"] >= 10 and "location_scale" in split  # enough groups, and the scale is said

    out, err, times["train"] = _run(capsys, "train", "cgan", "--config", str(cfg), "--epochs", "1",
                                    "--run-dir", str(root / "runs" / "modern"))
    assert "training with batch" not in err  # the written batch fits: no clamp
    ck = torch.load(root / "runs" / "modern" / "latest.pt", weights_only=True, map_location="cpu")
    assert ck["train_config"]["batch_size"] == batch and ck["model_config"]["ngf"] == 32
    out, _, times["export"] = _run(capsys, "export", "modern", "--config", str(cfg), "--runs", str(root / "runs"))
    assert "modern: cgan-modern.pt" in out
    grid = root / "grid.png"
    out, _, times["generate"] = _run(capsys, "generate", "--config", str(cfg), "--lat", str(scale.lat), "--lon",
                                     str(scale.lon), "-n", "4", "--out", str(grid), "--json")
    assert json.loads(out)["n"] == 4 and Image.open(grid).size[0] > 64
    print(json.dumps({"area": scale.name, "split": made, "batch": batch,
                      "seconds": {k: round(v, 2) for k, v in times.items()}}))
    return {"config": cfg, "split": made, "batch": batch, "summary": summary}


@pytest.mark.parametrize("name", ["continent", "region"])
def test_five_commands_at_the_written_defaults(name, area_env, capsys):
    _five_commands(SCALES[name], area_env, capsys)


def test_single_photos_with_exif_only_work_everywhere(area_env, capsys, monkeypatch):
    """A city's single photos (landscape, portrait, square; some stored rotated): the photo table, the views,
    training, evaluate and the Map page."""
    scale = SCALES["city"]
    run = _five_commands(scale, area_env, capsys)
    cfg = run["config"]
    table = cfg.with_name("city.photos.csv").read_text().splitlines()
    assert len(table) == 1 + scale.n_photos and table[1].startswith("photos/IMG_0000.jpg,")
    data = load_paired(load_config(cfg))
    assert data.views128.shape == (scale.n_photos, 128, 128, 3)
    # every view is upright: sky (blue) above the ground, the rotated photos too
    rotated = [i for i in range(scale.n_photos)
               if Image.open(area_env / "photos" / f"IMG_{i:04d}.jpg").getexif().get(0x0112) == ROTATED]
    assert rotated
    order = [int(p[-8:-4]) for p in data.loc_image]
    for view, i in zip(data.views128, order, strict=True):
        v = view.astype(float)
        sky, ground = v[:10, :, 2] - v[:10, :, 1], v[-10:, :, 2] - v[-10:, :, 1]  # blue over green or grey
        assert sky.mean() > ground.mean() + 30, (i, i in rotated)

    out, _, _ = _run(capsys, "evaluate", "--config", str(cfg), "--json", str(area_env / "e.json"), "--seeds", "1")
    result = json.loads((area_env / "e.json").read_text())
    assert {"cgan_features", "overhead_only", "real_photos"} <= set(result["methods"])
    assert result["methods"]["real_photos"]["n"] == run["split"]["test"][0]

    at = map_page_after_a_click(cfg, monkeypatch, scale.lat, scale.lon)
    images = [img.caption for el in at.get("image") for img in el.proto.imgs]
    assert {"green_merc", "true_colour_laea"} <= set(images), images
