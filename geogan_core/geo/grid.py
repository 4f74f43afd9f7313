"""Sampling grids around a place: ground distances to longitude/latitude.

A patch is laid out in an azimuthal equidistant frame centred on the place, so
it has the same ground size everywhere, wraps across the antimeridian and stays
well defined at the poles.
"""

from __future__ import annotations

import math

import numpy as np

from geogan_core.errors import CoordinateError

EARTH_RADIUS_M = 6_371_008.8


def check_latlon(lat: float, lon: float) -> tuple[float, float]:
    """Validate a WGS84 coordinate.

    Args:
        lat: Latitude in degrees.
        lon: Longitude in degrees.

    Returns:
        ``(lat, lon)`` as floats.

    Raises:
        CoordinateError: If either is not a finite number or out of range.
    """
    try:
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError) as e:
        raise CoordinateError(f"coordinates must be numbers, got lat={lat!r}, lon={lon!r}") from e
    if not (math.isfinite(lat_f) and math.isfinite(lon_f)):
        raise CoordinateError(f"coordinates must be finite, got lat={lat!r}, lon={lon!r}")
    if not -90 <= lat_f <= 90:
        raise CoordinateError(f"latitude {lat_f:g} is outside [-90, 90]; use decimal degrees")
    if not -180 <= lon_f <= 180:
        raise CoordinateError(f"longitude {lon_f:g} is outside [-180, 180]; use decimal degrees")
    return lat_f, lon_f


def wrap_lon(lon: np.ndarray) -> np.ndarray:
    """Wrap longitudes into [-180, 180)."""
    return (np.asarray(lon) + 180.0) % 360.0 - 180.0


def patch_lonlat(lat: float, lon: float, size_px: int, res_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude of the pixel centres of a north-up patch around a place.

    Args:
        lat: Centre latitude in degrees.
        lon: Centre longitude in degrees.
        size_px: Patch width and height in pixels.
        res_m: Ground size of one pixel in metres.

    Returns:
        ``(lons, lats)``, each ``size_px x size_px``; row 0 is the northern edge.
    """
    lat, lon = check_latlon(lat, lon)
    offsets = (np.arange(size_px) - (size_px - 1) / 2.0) * res_m
    dx, dy = np.meshgrid(offsets, -offsets)  # east, north; row 0 is north
    dist = np.hypot(dx, dy) / EARTH_RADIUS_M
    bearing = np.arctan2(dx, dy)
    phi0, lam0 = math.radians(lat), math.radians(lon)
    sin_phi = np.sin(phi0) * np.cos(dist) + np.cos(phi0) * np.sin(dist) * np.cos(bearing)
    phi = np.arcsin(np.clip(sin_phi, -1.0, 1.0))
    lam = lam0 + np.arctan2(np.sin(bearing) * np.sin(dist) * np.cos(phi0),
                            np.cos(dist) - np.sin(phi0) * sin_phi)
    return wrap_lon(np.degrees(lam)), np.degrees(phi)


def haversine_km(lat1: float, lon1: float, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km from one point to many."""
    p1, p2 = math.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlam = np.radians(np.asarray(lon2) - lon1)
    a = np.sin(dphi / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M / 1000.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
