"""Everything the Map page shows about one place, gathered in one call."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from geogan_core.data.splits import split_name
from geogan_core.errors import CheckpointError, GeoGanError
from geogan_core.geo.grid import check_latlon
from geogan_core.geo.stack import layer_images
from geogan_core.imaging import grid
from geogan_core.inference.generate import Explorer, GenerationResult, check_count
from geogan_core.inference.params import ViewParams
from geogan_core.timing import stage

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
    with stage("patch"):
        patch, coverage = explorer.patch(lat, lon)
    generation, error = None, None
    try:
        with stage("generation"):
            generation = explorer.generate(lat, lon, n=n, seed=seed, arch=arch)
    except GeoGanError as e:
        error = str(e)
    data = explorer.data
    with stage("nearest photos"):
        idx, dist = data.nearest(lat, lon, k)
    nearest = []
    for i, d in zip(idx, dist, strict=True):
        lab = int(data.loc_label[i])
        nearest.append(NearbyPhoto(
            float(data.loc_lat[i]), float(data.loc_lon[i]), float(d), str(data.loc_pano[i]),
            data.group_names[lab] if lab >= 0 else "no label", split_name(int(data.loc_split[i])),
            data.place_views(int(i))))
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


WELL_KNOWN_PLACES: dict[str, tuple[float, float]] = {
    "Moscow": (55.75, 37.62), "Tokyo": (35.68, 139.69), "Paris": (48.86, 2.35), "Kansas": (38.5, -98.0),
    "Australian outback": (-25.0, 133.0), "Amazon (Manaus)": (-3.1, -60.0), "Sahara (Niger)": (16.0, 8.0),
    "Swiss Alps": (46.6, 8.0),
}
"""Places anyone can judge generated views at: three cities and five very different landscapes."""


@dataclass
class GalleryPlace:
    """Generated views at one well-known place, with the Map page link that reopens them."""

    name: str
    lat: float
    lon: float
    images: np.ndarray  # (n, 64, 64, 3) uint8
    query: dict[str, str]  # the Map page's query parameters for this place


def gallery(explorer: Explorer, names: list[str], n: int = 4, seed: int = 0) -> list[GalleryPlace]:
    """Generated views at some of ``WELL_KNOWN_PLACES`` with the app's default model.

    Raises:
        CheckpointError: If no model is shipped or the default one is unusable.
    """
    models = explorer.available()
    if not models:
        raise CheckpointError("no trained model in the manifest; see the home page's model status")
    out = []
    for name in names:
        lat, lon = WELL_KNOWN_PLACES[name]
        g = explorer.generate(lat, lon, n=n, seed=seed, arch=models[0])
        query = ViewParams(lat=lat, lon=lon, seed=seed, n=16, model=models[0]).to_query()
        out.append(GalleryPlace(name, lat, lon, g.images, query))
    return out


def places_figure(explorer: Explorer, names: list[str] | None = None, n: int = 8, seed: int = 0) -> np.ndarray:
    """One picture to judge the models by eye: ``n`` generated views per place for every shipped cGAN.

    A row per place, a block per model (the app's default model first), each labelled; generated
    views only, never real photos (they may be committed).

    Raises:
        CheckpointError: If no cGAN is shipped.
    """
    from PIL import Image, ImageDraw

    names = names or list(WELL_KNOWN_PLACES)
    models = [m for m in explorer.available() if m != "ugan"]
    if not models:
        raise CheckpointError("no cGAN in the manifest; train and export one first")
    label_w, head_h, pad = 150, 18, 2
    blocks = [grid(np.stack([im for p in names for im in
                             explorer.generate(*WELL_KNOWN_PLACES[p], n=n, seed=seed, arch=m).images]), ncol=n, pad=pad)
              for m in models]
    h = blocks[0].shape[0]
    row_h = (h - pad) // len(names)
    canvas = Image.new("RGB", (label_w + sum(b.shape[1] + 8 for b in blocks), head_h + h), "white")
    draw = ImageDraw.Draw(canvas)
    x = label_w
    for m, b in zip(models, blocks, strict=True):
        canvas.paste(Image.fromarray(b), (x, head_h))
        draw.text((x + 4, 3), f"{m} cGAN ({explorer.gan(m).label}), {n} noises, seed {seed}", fill=(0, 0, 0))
        x += b.shape[1] + 8
    for i, p in enumerate(names):
        draw.text((4, head_h + pad + i * row_h + row_h // 2 - 6), p, fill=(0, 0, 0))
    return np.asarray(canvas)
