"""Rasters sampled at longitude/latitude points: held in memory, or read window by window (rasterio I/O)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from PIL import Image, UnidentifiedImageError
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import CRSError, RasterioIOError
from rasterio.warp import transform as warp_transform
from rasterio.windows import Window

from geogan_core.config import LayerConfig
from geogan_core.errors import CRSMismatchError, DataError, DataNotFoundError
from geogan_core.fileio import atomic_path, file_digest

log = logging.getLogger(__name__)
WGS84 = CRS.from_epsg(4326)
Image.MAX_IMAGE_PIXELS = 400_000_000  # global mosaics are large but trusted local files


def plate_carree_transform(width: int, height: int) -> Affine:
    """Affine transform of a W x H image of the whole globe (pixel-is-area)."""
    return Affine(360.0 / width, 0.0, -180.0, 0.0, -180.0 / height, 90.0)


def atomic_write_geotiff(path: Path, data: np.ndarray, transform: Affine, crs: CRS,
                         nodata: float | None = None) -> None:
    """Write a (bands, H, W) array as a tiled, compressed GeoTIFF with overviews via temp file + rename."""
    with atomic_path(path) as tmp, rasterio.open(
            tmp, "w", driver="GTiff", width=data.shape[2], height=data.shape[1], count=data.shape[0],
            dtype=data.dtype, crs=crs, transform=transform, nodata=nodata, tiled=True, compress="deflate") as dst:
        dst.write(data)
        factors = [f for f in (2, 4, 8, 16, 32) if min(data.shape[1:]) // f >= 8]
        if factors:
            dst.build_overviews(factors, Resampling.nearest)


def _decode_plain_image(src: Path, kind: str) -> np.ndarray:
    try:
        with Image.open(src) as im:
            im = im.convert("RGB" if kind == "rgb" else "L")
            arr = np.asarray(im)
    except (UnidentifiedImageError, OSError) as e:
        raise DataError(f"cannot decode overhead image {src}: {e}; replace the file") from e
    return arr.transpose(2, 0, 1).copy() if arr.ndim == 3 else arr[None]


def cached_layer_path(layer: LayerConfig, cache_dir: Path) -> Path:
    """Path of a layer as a GeoTIFF, converting a plain globe image once into the cache.

    Raises:
        DataNotFoundError: If the source file is missing.
        DataError: If it cannot be decoded.
    """
    src = layer.path
    if not src.is_file():
        raise DataNotFoundError(f"overhead layer {layer.name!r}: file {src} not found; "
                                f"check [[overhead]].path in the config or GEOGAN_DATA")
    if layer.georef == "file":
        return src
    key = hashlib.sha1(f"{file_digest(src)}|{layer.kind}|v1".encode()).hexdigest()
    out = cache_dir / "layers" / f"{layer.name}-{key[:12]}.tif"
    if not out.exists():
        log.info("converting %s to a cached GeoTIFF %s", src.name, out)
        data = _decode_plain_image(src, layer.kind)
        atomic_write_geotiff(out, data, plate_carree_transform(data.shape[2], data.shape[1]), WGS84)
    return out


LAZY_PIXELS = 64_000_000  # rasters larger than this (pixels per band) are read window by window


@dataclass
class Raster:
    """A raster with its georeferencing: in memory, or (when large) read window by window.

    A raster of more than ``LAZY_PIXELS`` pixels is never read whole: ``sample`` and ``window``
    read the box their points need, through the file's overviews (or decimated) when the points
    are sparser than its pixels, so a 20,000 x 20,000 GeoTIFF opens in milliseconds.

    Attributes:
        data: ``(bands, H, W)`` array (``None`` for a large raster read on demand).
        transform: Pixel-to-CRS affine transform.
        crs: The raster's coordinate reference system.
        nodata: Value marking missing pixels, if any.
        path: Where it was read from.
        shape: ``(bands, H, W)``.
        dtype: The pixel type.
    """

    data: np.ndarray | None
    transform: Affine
    crs: CRS
    nodata: float | None
    path: Path
    shape: tuple[int, int, int] = (0, 0, 0)
    dtype: np.dtype = field(default_factory=lambda: np.dtype(np.uint8))

    def __post_init__(self) -> None:
        if self.data is not None:
            self.shape, self.dtype = tuple(self.data.shape), self.data.dtype  # type: ignore[assignment]

    @classmethod
    def open(cls, path: Path, bands: int | None = None) -> Raster:
        """Open a GeoTIFF (or any GDAL raster): read it into memory unless it is large.

        Raises:
            DataNotFoundError: If the file is missing.
            DataError: If GDAL cannot read it.
            CRSMismatchError: If it has no CRS.
        """
        if not Path(path).is_file():
            raise DataNotFoundError(f"raster {path} not found")
        try:
            with rasterio.open(path) as src:
                if src.crs is None:
                    raise CRSMismatchError(f"raster {path} has no CRS; assign one (for example "
                                           f"`gdal_edit.py -a_srs EPSG:4326 {Path(path).name}`)")
                count = min(bands or src.count, src.count)
                meta = {"transform": src.transform, "crs": src.crs, "nodata": src.nodata, "path": Path(path)}
                if src.width * src.height > LAZY_PIXELS:
                    return cls(data=None, shape=(count, src.height, src.width), dtype=np.dtype(src.dtypes[0]),
                               **meta)
                return cls(data=src.read(list(range(1, count + 1))), **meta)
        except RasterioIOError as e:
            raise DataError(f"cannot read raster {path}: {e}") from e

    def read(self, rows: tuple[int, int], cols: tuple[int, int], step: int = 1) -> np.ndarray:
        """Pixels ``[r0:r1, c0:c1]`` of every band, every ``step``-th one (overviews for a large raster).

        Raises:
            DataError: If the file can no longer be read.
        """
        (r0, r1), (c0, c1) = rows, cols
        if self.data is not None:
            return self.data[:, r0:r1:step, c0:c1:step]
        out_shape = (self.shape[0], max(1, -(-(r1 - r0) // step)), max(1, -(-(c1 - c0) // step)))
        try:
            with rasterio.open(self.path) as src:
                return src.read(list(range(1, self.shape[0] + 1)), window=Window(c0, r0, c1 - c0, r1 - r0),
                                out_shape=out_shape, resampling=Resampling.nearest)
        except RasterioIOError as e:
            raise DataError(f"cannot read raster {self.path}: {e}") from e

    def _subset(self, cols: np.ndarray, rows: np.ndarray) -> tuple[Raster, int]:
        """An in-memory raster of the box the pixel coordinates need, and the decimation step used."""
        _, h, w = self.shape
        finite = np.isfinite(cols) & np.isfinite(rows)
        if not finite.any():
            return Raster(np.zeros((self.shape[0], 1, 1), self.dtype), self.transform, self.crs, self.nodata,
                          self.path), 1
        c0 = int(np.clip(np.floor(cols[finite].min()) - 1, 0, w - 1))
        c1 = int(np.clip(np.ceil(cols[finite].max()) + 2, c0 + 1, w))
        r0 = int(np.clip(np.floor(rows[finite].min()) - 1, 0, h - 1))
        r1 = int(np.clip(np.ceil(rows[finite].max()) + 2, r0 + 1, h))
        # points sparser than the pixels: read every step-th pixel (GDAL takes it from an overview)
        step = max(1, int(np.sqrt((r1 - r0) * (c1 - c0) / max(finite.sum(), 1)) / 2))
        data = self.read((r0, r1), (c0, c1), step)
        sub_t = self.transform @ Affine.translation(c0, r0) @ Affine.scale(
            (c1 - c0) / data.shape[2], (r1 - r0) / data.shape[1])
        return Raster(data, sub_t, self.crs, self.nodata, self.path), step

    def bounds_wgs84(self) -> tuple[float, float, float, float]:
        """West, south, east, north of the raster in WGS84 degrees."""
        from rasterio.transform import array_bounds
        from rasterio.warp import transform_bounds

        _, h, w = self.shape
        west, south, east, north = array_bounds(h, w, self.transform)
        return transform_bounds(self.crs, WGS84, west, south, east, north, densify_pts=21)

    @property
    def is_global_lonlat(self) -> bool:
        """True for a geographic raster spanning all 360 degrees of longitude."""
        return bool(self.crs.is_geographic and abs(self.transform.a * self.shape[2] - 360) < 1e-6)

    def _pixel_coords(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.crs.is_geographic:
            xs, ys = lons, lats
        else:
            try:
                tx, ty = warp_transform(WGS84, self.crs, lons.ravel().tolist(), lats.ravel().tolist())
            except (CRSError, ValueError) as e:
                raise CRSMismatchError(f"cannot transform WGS84 points into the CRS of {self.path}: "
                                       f"{e}") from e
            xs, ys = np.asarray(tx).reshape(lons.shape), np.asarray(ty).reshape(lats.shape)
        cols, rows = ~self.transform @ (xs, ys)
        return np.asarray(cols, dtype=np.float64), np.asarray(rows, dtype=np.float64)

    def window(self, lon: float, lat: float, radius: int = 1) -> np.ndarray:
        """First-band values of the ``(2r+1)^2`` pixels around the pixel holding a point (inside only)."""
        cols, rows = self._pixel_coords(np.array([lon]), np.array([lat]))
        c0, r0 = int(np.floor(cols[0])), int(np.floor(rows[0]))
        _, h, w = self.shape
        if self.data is None:  # read just the (2r+1)^2 box
            rows, cols = (max(r0 - radius, 0), min(r0 + radius + 1, h)), (max(c0 - radius, 0), min(c0 + radius + 1, w))
            if rows[0] >= rows[1] or cols[0] >= cols[1]:
                return np.zeros(0, self.dtype)
            return self.read(rows, cols)[0].ravel()
        out = []
        for dr in range(-radius, radius + 1):
            for dc in range(-radius, radius + 1):
                r, c = r0 + dr, c0 + dc
                if self.is_global_lonlat:
                    c %= w
                if 0 <= r < h and 0 <= c < w:
                    out.append(self.data[0, r, c])
        return np.asarray(out)

    def sample(self, lons: np.ndarray, lats: np.ndarray,
               method: str = "bilinear") -> tuple[np.ndarray, np.ndarray]:
        """Sample all bands at WGS84 points.

        Args:
            lons: Longitudes in degrees (any shape).
            lats: Latitudes in degrees (same shape).
            method: ``"bilinear"`` or ``"nearest"``.

        Returns:
            ``(values, valid)``: values ``(bands, *shape)`` as float32 (raw units; NaN where
            invalid) and a boolean mask of points inside the raster and not nodata.
        """
        lons, lats = np.asarray(lons, dtype=np.float64), np.asarray(lats, dtype=np.float64)
        if self.data is None:
            sub, _ = self._subset(*self._pixel_coords(lons, lats))
            return sub.sample(lons, lats, method)
        cols, rows = self._pixel_coords(lons, lats)
        _, h, w = self.shape
        wrap = self.is_global_lonlat
        if method == "nearest":
            c = np.floor(cols).astype(np.int64)
            r = np.floor(rows).astype(np.int64)
            if wrap:
                c %= w
            valid = (c >= 0) & (c < w) & (r >= 0) & (r < h)
            c, r = np.clip(c, 0, w - 1), np.clip(r, 0, h - 1)
            vals = self.data[:, r, c].astype(np.float32)
        else:
            fc, fr = cols - 0.5, rows - 0.5
            c0, r0 = np.floor(fc).astype(np.int64), np.floor(fr).astype(np.int64)
            tc, tr = (fc - c0).astype(np.float32), (fr - r0).astype(np.float32)
            valid = (fc >= -0.5) & (fc <= w - 0.5) & (fr >= -0.5) & (fr <= h - 0.5)
            if wrap:
                valid = (fr >= -0.5) & (fr <= h - 0.5)
                c0, c1 = c0 % w, (c0 + 1) % w
            else:
                c1 = c0 + 1
            c0, c1 = np.clip(c0, 0, w - 1), np.clip(c1, 0, w - 1)
            r1 = np.clip(r0 + 1, 0, h - 1)
            r0 = np.clip(r0, 0, h - 1)
            d = self.data
            top = d[:, r0, c0] * (1 - tc) + d[:, r0, c1] * tc
            bot = d[:, r1, c0] * (1 - tc) + d[:, r1, c1] * tc
            vals = (top * (1 - tr) + bot * tr).astype(np.float32)
            if self.nodata is not None:
                near = self.data[:, np.clip(np.rint(fr).astype(np.int64), 0, h - 1),
                                 np.clip(np.rint(fc).astype(np.int64) % w if wrap else
                                         np.rint(fc).astype(np.int64), 0, w - 1)]
                valid &= ~(near == self.nodata).any(axis=0)
        if self.nodata is not None and method == "nearest":
            valid &= ~(vals == self.nodata).any(axis=0)
        vals[:, ~valid] = np.nan
        return vals, valid
