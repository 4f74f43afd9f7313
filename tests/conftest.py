"""Shared fixtures: a tiny, seeded study area written to a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from PIL import Image
from rasterio.crs import CRS

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("GEOGAN_DATA", ROOT.parent / "shared" / "data"))

# Places of the tiny area: (lat, lon, urban?) spread over many 10-degree cells.
PLACES = [(51.5, -0.1), (48.9, 2.3), (40.7, -74.0), (-33.9, 151.2), (35.7, 139.7), (-23.5, -46.6),
          (55.8, 37.6), (19.4, -99.1), (-1.3, 36.8), (30.0, 31.2), (-25.0, 133.0), (64.0, -150.0),
          (10.0, 10.0), (-15.0, -60.0), (45.0, 100.0), (60.0, 60.0)]


def write_tif(path: Path, data: np.ndarray, transform: Affine, crs: CRS | None, nodata=None) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1], count=data.shape[0],
                       dtype=data.dtype, crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(data)
    return path


def make_area(root: Path, n_places: int = len(PLACES)) -> Path:
    """Write a complete tiny study area under ``root`` and return its TOML path."""
    rng = np.random.default_rng(0)
    data = root / "data"
    (data / "photos").mkdir(parents=True)
    # a global RGB GeoTIFF (plate carree), a plain globe PNG, a regional raster in Web Mercator
    w, h = 72, 36
    rgb = rng.integers(0, 255, (3, h, w), dtype=np.uint8)
    rgb[2, :, : w // 2] = 250  # western hemisphere very blue
    write_tif(data / "rgb.tif", rgb, Affine(360 / w, 0, -180, 0, -180 / h, 90), CRS.from_epsg(4326))
    gray = np.tile(np.linspace(0, 255, w, dtype=np.uint8), (h, 1))
    Image.fromarray(gray).save(data / "gray.png")
    merc = np.full((1, 20, 20), 7, dtype=np.uint16)
    merc[0, :10] = 1000
    write_tif(data / "europe_3857.tif", merc, Affine(100_000, 0, -1_000_000, 0, -100_000, 8_000_000),
              CRS.from_epsg(3857))
    # land cover: 0.5 degree grid; urban blocks around the first few places, ocean stripe, nodata corner
    lc = np.full((1, 360, 720), 10, dtype=np.uint8)
    for i, (lat, lon) in enumerate(PLACES):
        r, c = int((90 - lat) / 0.5), int((lon + 180) / 0.5)
        lc[0, max(r - 2, 0): r + 3, max(c - 2, 0): c + 3] = 13 if i % 2 == 0 else 12
    lc[0, 200:210, :] = 0
    lc[0, :4, :4] = 255
    write_tif(data / "landcover.tif", lc, Affine(0.5, 0, -180, 0, -0.5, 90), CRS.from_epsg(4326), nodata=255)
    rows = ["image,lat,lon,pano_id,query"]
    for i, (lat, lon) in enumerate(PLACES[:n_places]):
        strip = np.zeros((32, 128, 3), np.uint8)
        for k in range(4):
            strip[:, k * 32:(k + 1) * 32] = rng.integers(0, 255, 3) if i % 2 else (200, 200, 200)
        Image.fromarray(strip).save(data / "photos" / f"p{i}.jpg")
        rows.append(f"photos/p{i}.jpg,{lat},{lon},pano{i},test place {i}")
    rows += ["photos/missing.jpg,1,1,x,missing file", "photos/p0.jpg,,,y,no coordinates",
             "photos/p0.jpg,95,10,z,bad latitude", "photos/corrupt.jpg,5,5,c,corrupt"]
    (data / "photos" / "corrupt.jpg").write_bytes(b"not a jpeg at all")
    (data / "photos.csv").write_text("\n".join(rows) + "\n")
    cfg = root / "area.toml"
    cfg.write_text(f"""
[area]
name = "tiny"
data_root = "{data}"
cache_dir = "{root / 'cache'}"
[patch]
size_px = 8
res_m = 50000.0
[[overhead]]
name = "rgb"
path = "rgb.tif"
georef = "file"
kind = "rgb"
[[overhead]]
name = "gray"
path = "gray.png"
georef = "plate_carree"
kind = "gray"
[[overhead]]
name = "merc"
path = "europe_3857.tif"
georef = "file"
kind = "gray"
[photos]
csv = "photos.csv"
views_per_image = 4
[landcover]
path = "landcover.tif"
nodata = [255]
water = [0]
default_group = "rural"
[landcover.groups]
urban = [13]
[split]
cell_deg = 10.0
fractions = [0.5, 0.25, 0.25]
seed = 0
[model]
ngf = 8
ndf = 8
[train]
epochs = 1
batch_size = 8
""")
    return cfg


@pytest.fixture(scope="session")
def tiny_config(tmp_path_factory) -> Path:
    return make_area(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def tiny_area(tiny_config):
    from geogan_core.config import load_config

    return load_config(tiny_config)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "world" / "streetview" / "metadata.csv").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"demo data missing at {SHARED_DATA}")
        pytest.skip(f"demo data not found at {SHARED_DATA}")
    return SHARED_DATA


def train_tiny(area, arch, run_dir, epochs=1, model=None, memory=None, **kw):
    """Train a width-8 GAN on a study area (a few steps) and return its latest.pt (``model``: ModelConfig keys;
    ``memory``: the retrieval memory a guided GAN or ``neighbour_p`` needs)."""
    from geogan_core.data.paired import load_paired
    from geogan_core.models.registry import ModelConfig, is_modern
    from geogan_core.training.loop import TrainConfig, train_gan

    mcfg = ModelConfig(arch, in_channels=area.channels, ngf=8, ndf=8, n_classes=17 if is_modern(arch) else 0,
                       **(model or {}))
    tcfg = TrainConfig(epochs=epochs, batch_size=8, seed=0, device="cpu", **kw)
    return train_gan(area, mcfg, tcfg, load_paired(area), run_dir, memory=memory)


@pytest.fixture(scope="session")
def trained(tiny_area, tmp_path_factory) -> Path:
    """Tiny modern, paper and ugan runs exported into ``<root>/ckpt`` (with the manifest)."""
    from geogan_core.training.export import export_run

    root = tmp_path_factory.mktemp("train")
    for arch in ("modern", "paper", "ugan"):
        train_tiny(tiny_area, arch, root / "runs" / arch)
        export_run(arch, root / "runs" / arch, root / "ckpt")
    return root


def tiny_retrieval(tiny_area, run_dir):
    """One epoch of the cross-view embedding on the tiny area with random view features: (data, features, path)."""
    from geogan_core.data.paired import load_paired
    from geogan_core.retrieval.train import RetrievalConfig, train_retrieval

    data = load_paired(tiny_area)
    feats = np.random.default_rng(0).normal(size=(len(data.view_loc), 1280)).astype(np.float32)
    return data, feats, train_retrieval(data, feats, run_dir, RetrievalConfig(epochs=1, batch_size=4))


def view_memory(tiny_area, tmp_path):
    """A retrieval memory of the tiny area keyed as the GPU plan's guided job wants, as ``pack`` stores it."""
    from geogan_core.checkpoint import load_checkpoint
    from geogan_core.models.crossview import CrossViewNet
    from geogan_core.retrieval.memory import RetrievalMemory, generator_part
    from geogan_core.training.run import pack_memory_key

    data, feats, path = tiny_retrieval(tiny_area, tmp_path / "retrieval")
    part = generator_part(load_checkpoint(path))
    net = CrossViewNet(**part["net_config"])
    net.load_state_dict(part["net"])
    memory = RetrievalMemory.build(net, data, feats, np.flatnonzero(data.split_mask("train")), pack_memory_key())
    return {"net_config": part["net_config"], "memory": memory.state()}

