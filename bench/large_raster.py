"""Open and sample a GeoTIFF much larger than memory: 20,000 x 20,000 pixels, 3 bands, with overviews.

Writes the raster into a temporary folder (tiled, deflate, overviews 2..64), then, in a fresh
process, times opening it, one 32-pixel patch at full resolution and one 256 x 256 grid over
the whole raster (read through an overview), and reports that process's peak memory (the pixels
alone would take 1.2 GB if it were read whole).
    .venv/bin/python bench/large_raster.py --json bench/large_raster.json
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.windows import Window

from geogan_core.errors import exit_status
from geogan_core.geo.grid import patch_lonlat
from geogan_core.geo.raster import Raster


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it starts anew at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: Path) -> dict:
    """Open and sample ``path`` (run in a fresh process, so its peak memory is the reader's alone)."""
    before = _peak_mb()  # the imports (numpy, rasterio, GDAL)
    t0 = time.perf_counter()
    raster = Raster.open(path)
    open_s = time.perf_counter() - t0
    w, s, e, n = raster.bounds_wgs84()
    t0 = time.perf_counter()
    _, ok = raster.sample(*patch_lonlat((s + n) / 2, (w + e) / 2, 32, 1.0))
    patch_s = time.perf_counter() - t0
    glon, glat = np.meshgrid(np.linspace(w, e, 256), np.linspace(s, n, 256))
    t0 = time.perf_counter()
    raster.sample(glon, glat)
    return {"open_seconds": round(open_s, 4), "patch_32px_seconds": round(patch_s, 4),
            "patch_valid": float(ok.mean()), "grid_256_seconds": round(time.perf_counter() - t0, 3),
            "read_whole": raster.data is not None, "peak_mb_after_imports": round(before),
            "peak_mb": round(_peak_mb())}


def write(path: Path, n: int) -> None:
    """A tiled, compressed n x n x 3 GeoTIFF with overviews, written 1,000 rows at a time."""
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=3, dtype="uint8", tiled=True,
                       compress="deflate", crs=CRS.from_epsg(3035), BIGTIFF="YES",
                       transform=Affine(1.0, 0, 4_000_000, 0, -1.0, 3_100_000)) as dst:
        x = (np.arange(n) // 64).astype(np.uint8)
        for r in range(0, n, 1000):
            y = (np.arange(r, min(r + 1000, n)) // 64).astype(np.uint8)[:, None]
            dst.write(np.stack([x[None] + y, np.broadcast_to(y, (len(y), n)), x[None] - y]),
                      window=Window(0, r, n, len(y)))
        dst.build_overviews([2, 4, 8, 16, 32, 64], Resampling.average)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=20_000)
    p.add_argument("--json", default=None)
    p.add_argument("--measure", default=None, help=argparse.SUPPRESS)  # the child process
    args = p.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.tif"
        t0 = time.time()
        write(path, args.size)
        out = {"pixels": f"{args.size} x {args.size} x 3 uint8 ({args.size ** 2 * 3 / 1e9:.1f} GB raw)",
               "file_mb": round(path.stat().st_size / 1e6, 1), "write_seconds": round(time.time() - t0, 1)}
        child = subprocess.run([sys.executable, __file__, "--measure", str(path)], capture_output=True, text=True,
                               check=True)
        out.update(json.loads(child.stdout.strip().splitlines()[-1]))
    text = json.dumps(out, indent=2)
    if args.json:
        Path(args.json).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    sys.exit(exit_status(main))
