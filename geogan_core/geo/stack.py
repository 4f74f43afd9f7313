"""The study area's overhead layers as one condition stack, and its land cover."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geogan_core.config import LandCoverConfig, LayerConfig, StudyArea
from geogan_core.errors import DataError
from geogan_core.geo.grid import check_latlon, patch_lonlat
from geogan_core.geo.raster import Raster, cached_layer_path

NO_LABEL = -1


@dataclass
class _ScaledLayer:
    cfg: LayerConfig
    raster: Raster
    lo: np.ndarray  # per-band value mapped to 0
    hi: np.ndarray  # per-band value mapped to 1


def _band_range(raster: Raster) -> tuple[np.ndarray, np.ndarray]:
    n, h, w = raster.shape
    if raster.dtype == np.uint8:
        return np.zeros(n, np.float32), np.full(n, 255.0, np.float32)
    step = max(7, int(np.sqrt(h * w / 1_000_000)))  # about a million pixels at most (an overview when large)
    sample = raster.read((0, h), (0, w), step).reshape(n, -1).astype(np.float64)
    if raster.nodata is not None:
        sample = np.where(sample == raster.nodata, np.nan, sample)
    lo, hi = np.nanpercentile(sample, 2, axis=1), np.nanpercentile(sample, 98, axis=1)
    return lo.astype(np.float32), np.maximum(hi, lo + 1e-6).astype(np.float32)


class OverheadStack:
    """All overhead layers of a study area, sampled on one grid around a place."""

    def __init__(self, area: StudyArea) -> None:
        """Open every layer once (plain globe images are cached as GeoTIFFs first).

        Raises:
            DataNotFoundError: If a layer file is missing.
            DataError: If a layer cannot be decoded or has too few bands.
        """
        self.area = area
        self._layers: list[_ScaledLayer] = []
        for cfg in area.layers:
            raster = Raster.open(cached_layer_path(cfg, area.cache_dir), bands=cfg.channels)
            if raster.shape[0] < cfg.channels:
                raise DataError(f"overhead layer {cfg.name!r} ({raster.path}) has "
                                f"{raster.shape[0]} band(s); kind={cfg.kind!r} needs {cfg.channels}")
            self._layers.append(_ScaledLayer(cfg, raster, *_band_range(raster)))

    @property
    def channel_names(self) -> list[str]:
        """One name per condition channel, e.g. ``summer.r``."""
        names = []
        for layer in self._layers:
            names += [f"{layer.cfg.name}.{b}" for b in "rgb"] if layer.cfg.kind == "rgb" else [layer.cfg.name]
        return names

    @property
    def reference(self) -> Raster:
        """The first layer's raster: its CRS and box are the area's own (dense maps are written in them)."""
        return self._layers[0].raster

    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """``((south, west), (north, east))`` covered by the layers together (the globe if one is global)."""
        if any(layer.raster.is_global_lonlat for layer in self._layers):
            return (-90.0, -180.0), (90.0, 180.0)
        boxes = np.array([layer.raster.bounds_wgs84() for layer in self._layers])
        west, south, east, north = boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()
        return (float(south), float(west)), (float(north), float(east))

    @property
    def layer_configs(self) -> list[LayerConfig]:
        """The configured layers, in channel order."""
        return [layer.cfg for layer in self._layers]

    def sample(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sample every channel at WGS84 points, scaled to [0, 1].

        Returns:
            ``(values, valid)``: values ``(C, *shape)`` float32 with 0 where a layer has no
            data, and the fraction of layers with data at each point.
        """
        chans, valid = [], np.zeros(np.shape(lons), np.float32)
        for layer in self._layers:
            vals, ok = layer.raster.sample(lons, lats, "bilinear")
            scaled = (vals - layer.lo.reshape(-1, *[1] * ok.ndim)) / (layer.hi - layer.lo).reshape(-1, *[1] * ok.ndim)
            chans.append(np.nan_to_num(np.clip(scaled, 0, 1), nan=0.0))
            valid += ok
        return np.concatenate(chans).astype(np.float32), valid / len(self._layers)

    def patch(self, lat: float, lon: float) -> tuple[np.ndarray, float]:
        """The overhead condition around a place.

        Args:
            lat: Latitude in degrees.
            lon: Longitude in degrees.

        Returns:
            ``(patch, coverage)``: ``(C, S, S)`` float32 in [0, 1], north up,
            ``S = patch.size_px``; and the share of layer pixels with data.

        Raises:
            CoordinateError: For coordinates that are not valid WGS84 degrees.
        """
        lons, lats = patch_lonlat(lat, lon, self.area.patch.size_px, self.area.patch.res_m)
        values, valid = self.sample(lons, lats)
        return values, float(valid.mean())

    def patches(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """Patches for many places at once: ``(N, C, S, S)`` float32."""
        s = self.area.patch.size_px
        if len(lats) == 0:
            return np.zeros((0, self.area.channels, s, s), np.float32)
        grids = [patch_lonlat(a, o, s, self.area.patch.res_m) for a, o in zip(lats, lons, strict=True)]
        glon = np.stack([g[0] for g in grids])
        glat = np.stack([g[1] for g in grids])
        return self.sample(glon, glat)[0].transpose(1, 0, 2, 3).copy()


def layer_images(patch: np.ndarray, layers: list[LayerConfig]) -> dict[str, np.ndarray]:
    """Split a ``(C, S, S)`` condition into one ``(S, S, 3)`` uint8 picture per layer."""
    out, c = {}, 0
    for layer in layers:
        part = patch[c: c + layer.channels]
        c += layer.channels
        rgb = np.repeat(part, 3, axis=0) if layer.channels == 1 else part
        out[layer.name] = (np.clip(rgb.astype(np.float32), 0, 1) * 255).round().astype(np.uint8).transpose(1, 2, 0)
    return out


@dataclass(frozen=True)
class PointLabel:
    """Land cover at a place: the class, its group, and how it was found."""

    cls: int
    group: str | None
    source: str  # "point", "neighbourhood", or the reason there is no label


class LandCover:
    """A categorical land-cover raster with the study area's class grouping."""

    def __init__(self, cfg: LandCoverConfig) -> None:
        """Open the land-cover raster (first band); without one every place has no label."""
        self.cfg = cfg
        self.raster = Raster.open(cfg.path, bands=1) if cfg.path is not None else None

    def classes_at(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """Class at each point (nearest pixel); nodata (first nodata value) outside the raster."""
        if self.raster is None:
            return np.full(np.shape(lats), self.cfg.nodata[0] if self.cfg.nodata else 255, np.int64)
        vals, ok = self.raster.sample(np.asarray(lons), np.asarray(lats), "nearest")
        out = np.where(ok, np.nan_to_num(vals[0], nan=0), self.cfg.nodata[0] if self.cfg.nodata else 255)
        return out.astype(np.int64)

    def label(self, lat: float, lon: float) -> PointLabel:
        """Land cover at a place; a water/nodata point takes the majority land class around it.

        Raises:
            CoordinateError: For coordinates that are not valid WGS84 degrees.
        """
        lat, lon = check_latlon(lat, lon)
        cls = int(self.classes_at(np.array([lat]), np.array([lon]))[0])
        group = self.cfg.group_of(cls)
        if group is not None:
            return PointLabel(cls, group, "point")
        if self.raster is None:
            return PointLabel(cls, None, "no land-cover raster")
        around = self.raster.window(lon, lat, radius=1)  # the 3x3 pixels around it, in the raster's own grid
        land = [int(c) for c in around if self.cfg.group_of(int(c)) is not None]
        if land:
            best = max(set(land), key=land.count)
            return PointLabel(best, self.cfg.group_of(best), "neighbourhood")
        reason = "nodata" if cls in self.cfg.nodata else "water"
        return PointLabel(cls, None, reason)

    def fractions(self, lat: float, lon: float, size_px: int, res_m: float) -> dict[int, float]:
        """Share of each class over a patch around a place (classes with zero share omitted)."""
        lons, lats = patch_lonlat(lat, lon, size_px, res_m)
        cls = self.classes_at(lats.ravel(), lons.ravel())
        values, counts = np.unique(cls, return_counts=True)
        return {int(v): float(c) / cls.size for v, c in zip(values, counts, strict=True)}

    def name(self, cls: int) -> str:
        """Human name of a class number."""
        return self.cfg.class_names.get(cls, f"class {cls}")
