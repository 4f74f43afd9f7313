"""Geotagged ground photos: the photo table, EXIF GPS fallback and panorama views."""

from __future__ import annotations

import csv
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from geogan_core.errors import CoordinateError, DataError, DataNotFoundError
from geogan_core.geo.grid import check_latlon

log = logging.getLogger(__name__)
_GPS_IFD = 0x8825


@dataclass(frozen=True)
class PhotoRecord:
    """One photo (or panorama strip) and where it was taken."""

    image: Path
    lat: float
    lon: float
    pano_id: str
    extra: dict[str, str] = field(default_factory=dict)
    row: int = 0  # line in the CSV (1 is the header), for messages about this photo


@dataclass
class PhotoTable:
    """The usable rows of a photo CSV and the rows skipped, with reasons."""

    records: list[PhotoRecord]
    skipped: list[tuple[int, str]]

    def warn_skipped(self, what: str) -> None:
        """Log one summary warning for all skipped rows (count and first examples)."""
        if self.skipped:
            first = "; ".join(f"row {r}: {why}" for r, why in self.skipped[:3])
            log.warning("%s: skipped %d row(s) (%s%s)", what, len(self.skipped), first,
                        "; ..." if len(self.skipped) > 3 else "")


def _rational(v: object) -> float:
    return float(v[0]) / float(v[1]) if isinstance(v, tuple) else float(v)  # type: ignore[arg-type,index]


def exif_latlon(path: Path) -> tuple[float, float] | None:
    """Latitude/longitude from a photo's EXIF GPS tags, or None when it has none."""
    try:
        with Image.open(path) as im:
            gps = im.getexif().get_ifd(_GPS_IFD)
    except (UnidentifiedImageError, OSError):
        return None
    if not all(k in gps for k in (1, 2, 3, 4)):
        return None
    try:
        lat = sum(_rational(x) / 60**i for i, x in enumerate(gps[2]))
        lon = sum(_rational(x) / 60**i for i, x in enumerate(gps[4]))
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return (-lat if gps[1] in ("S", b"S") else lat), (-lon if gps[3] in ("W", b"W") else lon)


def _parse_coord(row: dict[str, str], image: Path) -> tuple[float, float]:
    raw_lat, raw_lon = (row.get("lat") or "").strip(), (row.get("lon") or "").strip()
    if not raw_lat and not raw_lon:
        found = exif_latlon(image) if image.is_file() else None
        if found is None:
            raise CoordinateError("no lat/lon and no EXIF GPS")
        return check_latlon(*found)
    try:
        lat, lon = float(raw_lat), float(raw_lon)
    except ValueError as e:
        raise CoordinateError(f"lat/lon not numbers ({raw_lat!r}, {raw_lon!r})") from e
    if math.isnan(lat) or math.isnan(lon):
        raise CoordinateError("lat/lon is NaN")
    return check_latlon(lat, lon)


def read_photo_table(csv_path: Path, check_files: bool = True) -> PhotoTable:
    """Read a photo CSV with columns ``image,lat,lon`` (others kept; image paths relative to it).

    Rows with missing or invalid coordinates (and, with ``check_files``, missing images) are
    skipped and listed in ``skipped``; photos without coordinates use their EXIF GPS tags.

    Raises:
        DataNotFoundError: If the CSV is missing.
        DataError: If it has no ``image`` column.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise DataNotFoundError(f"photo table {csv_path} not found; check [photos].csv in the config")
    records: list[PhotoRecord] = []
    skipped: list[tuple[int, str]] = []
    try:
        with csv_path.open(newline="", encoding="utf-8-sig") as f:
            _read_rows(csv.DictReader(f), csv_path, check_files, records, skipped)
    except UnicodeDecodeError as e:
        raise DataError(f"photo table {csv_path} is not UTF-8 text ({e.reason}); save it as UTF-8 CSV") from e
    except csv.Error as e:
        raise DataError(f"photo table {csv_path} is not a readable CSV ({e}); fix the file") from e
    return PhotoTable(records, skipped)


def _read_rows(reader: csv.DictReader[str], csv_path: Path, check_files: bool, records: list[PhotoRecord],
               skipped: list[tuple[int, str]]) -> None:
    """Fill ``records`` with the usable rows of a photo CSV and ``skipped`` with (line, reason) of the others."""
    if not reader.fieldnames or "image" not in reader.fieldnames:
        raise DataError(f"{csv_path} needs an 'image' column (and 'lat','lon'); "
                        f"found {reader.fieldnames}")
    for i, row in enumerate(reader, start=2):  # row 1 is the header
        name = (row.get("image") or "").strip()
        if not name:
            skipped.append((i, "no image path"))
            continue
        image = (csv_path.parent / name).resolve()
        if check_files and not image.is_file():
            skipped.append((i, f"missing file {name}"))
            continue
        try:
            lat, lon = _parse_coord(row, image)
        except CoordinateError as e:
            skipped.append((i, str(e)))
            continue
        pano = (row.get("pano_id") or "").strip() or image.stem
        extra = {k: v for k, v in row.items() if k not in ("image", "lat", "lon", "pano_id") and k}
        records.append(PhotoRecord(image, lat, lon, pano, extra, row=i))


def load_views(path: Path, views_per_image: int, size: int) -> np.ndarray:
    """Decode a photo into square views.

    A strip with ``views_per_image > 1`` is cut into that many equal views side by side
    (a panorama's headings); a single photo is centre-cropped to a square. A photo whose EXIF
    orientation tag says it was taken rotated (or mirrored) is turned upright first.

    Returns:
        ``(views_per_image, size, size, 3)`` uint8.

    Raises:
        DataError: If the image cannot be decoded.
    """
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im).convert("RGB")
            w, h = im.size
            boxes: list[tuple[int, int, int, int]]
            if views_per_image > 1:
                step = w / views_per_image
                boxes = [(round(k * step), 0, round((k + 1) * step), h) for k in range(views_per_image)]
            else:
                s = min(w, h)
                boxes = [((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)]
            views = [np.asarray(im.resize((size, size), Image.Resampling.BICUBIC, box=b)) for b in boxes]
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise DataError(f"cannot decode photo {path}: {e}") from e
    return np.stack(views)
