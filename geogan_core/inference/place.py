"""Everything the Map page shows about one place, gathered in one call."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from geogan_core.data.splits import split_name
from geogan_core.errors import GeoGanError
from geogan_core.geo.grid import check_latlon
from geogan_core.geo.stack import layer_images
from geogan_core.inference.generate import Explorer, GenerationResult, check_count

FAR_KM = 300.0


@dataclass
class NearbyPhoto:
    """A real panorama near the place."""

    lat: float
    lon: float
    distance_km: float
    pano_id: str
    land: str
    split: str
    views: np.ndarray  # (V, 128, 128, 3) uint8


@dataclass
class PlaceReport:
    """What is known and generated at a place."""

    lat: float
    lon: float
    land_class: int
    land_name: str
    land_group: str | None
    land_source: str
    fractions: list[tuple[str, float]]
    layers: dict[str, np.ndarray]
    coverage: float
    generation: GenerationResult | None
    generation_error: str | None
    nearest: list[NearbyPhoto]
    notes: list[str] = field(default_factory=list)


def describe_place(explorer: Explorer, lat: float, lon: float, n: int = 16, seed: int = 0, arch: str = "modern",
                   k: int = 4) -> PlaceReport:
    """Land cover, overhead patch, generated views and nearest real photos at a place.

    A missing or broken model does not hide the rest: its message lands in ``generation_error``.

    Raises:
        CoordinateError: For coordinates that are not valid WGS84 degrees.
        InvalidRequestError: For ``n`` outside 1..MAX_VIEWS.
    """
    lat, lon = check_latlon(lat, lon)
    n = check_count(n)
    area = explorer.area
    label = explorer.land(lat, lon)
    lc = explorer.landcover
    shares = lc.fractions(lat, lon, area.patch.size_px, area.patch.res_m)
    fractions = sorted(((lc.name(c), f) for c, f in shares.items()), key=lambda t: -t[1])
    patch, coverage = explorer.patch(lat, lon)
    generation, error = None, None
    try:
        generation = explorer.generate(lat, lon, n=n, seed=seed, arch=arch)
    except GeoGanError as e:
        error = str(e)
    data = explorer.data
    idx, dist = data.nearest(lat, lon, k)
    nearest = []
    for i, d in zip(idx, dist, strict=True):
        lab = int(data.loc_label[i])
        nearest.append(NearbyPhoto(
            float(data.loc_lat[i]), float(data.loc_lon[i]), float(d), str(data.loc_pano[i]),
            data.group_names[lab] if lab >= 0 else "no label", split_name(int(data.loc_split[i])),
            np.asarray(data.views128[data.view_loc == i])))
    notes = []
    if label.group is None:
        notes.append(f"This point is {label.source} in the land-cover map ({lc.name(label.cls)}), with no land "
                     f"around it: the models learned from street views on land, so the views below are a guess.")
    elif label.source == "neighbourhood":
        notes.append(f"The point itself is water or has no data; land cover is taken from the cells around it "
                     f"({lc.name(label.cls)}).")
    if nearest and nearest[0].distance_km > FAR_KM:
        notes.append(f"The nearest real photo is {nearest[0].distance_km:,.0f} km away: the model has little "
                     f"support here, so treat the views as its best guess.")
    if coverage < 1:
        notes.append(f"Only {coverage:.0%} of the overhead layer pixels have data here.")
    return PlaceReport(lat, lon, label.cls, lc.name(label.cls), label.group, label.source, fractions,
                       layer_images(patch, explorer.stack.layer_configs), coverage, generation, error, nearest, notes)
