"""Places that look like this from above: real views of the most alike training places (retrieval).

The memory compares the overhead patch read with where it lies (``models.crossview.located``):
where a place is counts beside how it looks from above (validation R@10 0.272 with it, 0.207 without:
``results/retrieval-sweep.json``).

Always real photos taken elsewhere, labelled so: where no photo is near, they are the honest
answer to "what is it like down there?", beside the generated views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from geogan_core.errors import InvalidRequestError
from geogan_core.geo.grid import check_latlon, haversine_km
from geogan_core.inference.generate import Explorer, shared_explorer
from geogan_core.inference.latent import edit_condition

MIN_COVERAGE = 0.5  # below this share of overhead pixels with data, the patch says too little to retrieve by


@dataclass
class AlikePlace:
    """A training place whose overhead patch is among the most alike, with its real views."""

    rank: int
    lat: float
    lon: float
    distance_km: float  # from the place asked about
    similarity: float  # cosine in the cross-view embedding, -1..1
    pano_id: str
    region: str
    land: str
    views: np.ndarray  # (V, 128, 128, 3) uint8: real photos taken at this other place

    def to_dict(self) -> dict[str, Any]:
        """Plain values (no views), for JSON."""
        return {"rank": self.rank, "lat": round(self.lat, 5), "lon": round(self.lon, 5),
                "distance_km": round(self.distance_km, 1), "similarity": round(self.similarity, 4),
                "pano_id": self.pano_id, "region": self.region, "land": self.land}


def alike_places(explorer: Explorer, lat: float, lon: float, k: int = 8,
                 edits: dict[str, float] | None = None) -> list[AlikePlace]:
    """The ``k`` training places most alike from above, best first.

    Args:
        explorer: The study area's explorer (its retrieval memory and photos).
        lat: Latitude in degrees.
        lon: Longitude in degrees.
        k: How many places (1 .. the training places in the memory).
        edits: Physical edits of the overhead condition (``PHYSICAL_EDITS``: "more water", ...): the
            places most alike to the edited patch (the Latent page's sliders).

    Raises:
        CoordinateError: For coordinates that are not valid WGS84 degrees.
        InvalidRequestError: For a bad ``k``, or a place where the overhead layers have no data.
        CheckpointError: If the retrieval memory is missing, corrupt or built from other data.
    """
    lat, lon = check_latlon(lat, lon)
    memory = explorer.retrieval
    patch, coverage = explorer.patch(lat, lon)
    if coverage < MIN_COVERAGE:
        raise InvalidRequestError(f"the overhead layers have data for only {coverage:.0%} of the patch here "
                                  f"(nodata): choose a place inside the layers to find places that look alike")
    if edits:
        patch = edit_condition(patch, explorer.stack.channel_names, edits)
    pos, sim = memory.search(patch, k, lat=lat, lon=lon)
    data = explorer.data
    out = []
    for rank, (p, s) in enumerate(zip(pos[0], sim[0], strict=True), 1):
        i = int(memory.place[p])
        lab = int(data.loc_label[i])
        out.append(AlikePlace(rank, float(data.loc_lat[i]), float(data.loc_lon[i]),
                              float(haversine_km(lat, lon, data.loc_lat[i], data.loc_lon[i])), float(s),
                              str(data.loc_pano[i]), str(data.loc_region[i]),
                              data.group_names[lab] if lab >= 0 else "no label", data.place_views(i)))
    return out


def retrieve(lat: float, lon: float, k: int = 8, explorer: Explorer | None = None) -> list[AlikePlace]:
    """``alike_places`` with the shared explorer of the default study area (or the one given)."""
    return alike_places(explorer or shared_explorer(), lat, lon, k)
