"""Map: click anywhere on Earth and see what it is like down there."""

import json
from pathlib import Path

import streamlit as st

import geogan_core as gc
from ui.click_map import click_map

STATIC = Path(__file__).resolve().parents[1] / "static"
st.set_page_config(page_title="Map - GeoGAN Explorer", page_icon=":world_map:", layout="wide")


@st.cache_resource(show_spinner=False)
def get_area() -> "gc.StudyArea":
    """The study area's config (no torch, no data: the map is drawn before the models load)."""
    return gc.load_config()


@st.cache_resource(show_spinner="Opening the study area's layers, photos and models...")
def get_explorer() -> "gc.Explorer":
    explorer = gc.shared_explorer()
    explorer.warm_up()  # data, default model and heads open once, here, under the spinner
    return explorer


@st.cache_resource(show_spinner="Rendering map overlays (first start only)...")
def get_overlays() -> list:
    overlays = gc.render_overlays(get_area(), STATIC)
    try:  # the predicted land-cover maps, when `python -m geogan_core dense` has made them
        return overlays + gc.dense_overlays(gc.load_results("dense"), STATIC)
    except gc.GeoGanError:
        return overlays


@st.cache_resource(show_spinner=False)
def get_map() -> dict:
    """The map's drawing, built once for every session, as a static file the browser fetches once."""
    return gc.map_drawing(get_overlays(), *gc.photo_places(get_area()), STATIC)


@st.cache_data(max_entries=128, show_spinner=False)
def get_votes(lat: float, lon: float, seed: int, views: bool, _generation: "gc.GenerationResult | None") -> list:
    """Every method's vote at a place: the cGAN methods use the modern cGAN's views with ``seed`` whichever
    model drew the shown ones, so the votes are kept per place and seed (``views``: whether there were any)."""
    return get_explorer().votes(lat, lon, _generation)


@st.cache_resource(max_entries=128, show_spinner=False)
def get_report(lat: float, lon: float, n: int, seed: int, model: str) -> "gc.PlaceReport":
    """One report per place for every session, read only: not pickled on each hit as ``st.cache_data`` would,
    and its photos stay slices of the shared photo cache (a pickled copy was 0.8 of its 1 MB)."""
    return gc.describe_place(get_explorer(), lat, lon, n=n, seed=seed, arch=model)


@st.cache_resource(max_entries=128, show_spinner=False)
def get_alike(lat: float, lon: float, k: int) -> list:
    """Real views of the k training places most alike from above, shared by every session (read only)."""
    return gc.alike_places(get_explorer(), lat, lon, k)


def init_state(models: list[str]) -> None:
    """Session keys (widget keys included), from the link's query parameters on arrival.

    The page keeps its URL equal to its state, so a URL naming another place than the session's
    means the user followed a link (from the home page, say): the link wins.
    """
    ss = st.session_state
    view, notes = gc.parse_view_params(st.query_params.to_dict(), models)
    here = (round(ss.lat, 5), round(ss.lon, 5)) if ss.get("lat") is not None else None
    linked = view.lat is not None and (round(view.lat, 5), round(view.lon, 5)) != here
    if "lat" not in ss or linked:
        ss.update(lat=view.lat, lon=view.lon, n=view.n, seed=view.seed, model=view.model, link_notes=notes,
                  last_click=ss.get("last_click"))
    ss.setdefault("k_alike", 4)


def next_seed() -> None:
    st.session_state.seed += 1


assets_note = gc.local_assets_note(STATIC)  # first: a drawing built later links the app's own Leaflet files
try:  # what the map needs first; the models load after it is drawn (the first page must not wait for torch)
    area = get_area()
    get_map()
    models = gc.gan_names(gc.default_checkpoints(area))
except gc.GeoGanError as e:
    st.error(str(e))
    st.stop()

init_state(models or ["modern"])
ss = st.session_state
if models and ss.model not in models:
    ss.model = models[0]
st.title("What is it like down there?")
if assets_note:
    st.warning(assets_note)
for note in ss.link_notes:
    st.warning(note)


def sidebar() -> None:
    """Generation settings and the place box (after the map: the model titles need the models' registry)."""
    with st.sidebar:
        st.header("Generation")
        if models:
            st.radio("Model", models, key="model", format_func=gc.model_title)
        else:
            st.warning("No trained model found: see the home page.")
        st.slider("Views", 1, gc.MAX_VIEWS, key="n")
        st.number_input("Seed", 0, 2**31 - 1, step=1, key="seed")
        st.button("New samples", help="next seed", on_click=next_seed)
        st.slider("Places that look alike", 1, 16, key="k_alike",
                  help="real photos of the training places whose overhead patch (and where it lies) is most alike")
        st.header("Go to a place")
        with st.form("goto", border=False):
            st.text_input("Latitude, longitude", placeholder="55.75, 37.62", key="goto")
            st.form_submit_button("Go", on_click=go_to)
        if error := ss.pop("goto_error", None):
            st.error(error)


def go_to() -> None:
    """The place box's callback: the typed place is in session state before the page (map first) reruns."""
    if ss.goto:
        try:
            ss.lat, ss.lon = gc.parse_latlon(ss.goto)
        except gc.GeoGanError as e:
            ss.goto_error = str(e)


def take_click() -> None:
    """The map's click callback: the new place is in session state before the fragment reruns (no second run)."""
    click = st.session_state.get("map")
    if click and click != ss.last_click:
        ss.last_click = click
        ss.lat, ss.lon = float(click["lat"]), float(gc.wrap_lon(float(click["lng"])))


@st.fragment
def explore() -> None:
    """The map and what is down there: a click reruns only this part of the page."""
    with gc.stage("fragment run"):  # for bench/map_latency.py (GEOGAN_TIMINGS)
        view = gc.ViewParams(lat=ss.lat, lon=ss.lon, seed=int(ss.seed), n=int(ss.n), model=ss.model)
        center = (view.lat, view.lon) if view.lat is not None else (20.0, 0.0)
        with gc.stage("map (build and serialise)"):
            marker = (view.lat, view.lon) if view.lat is not None else None
            click_map(get_map(), marker, center, height=460, key="map", on_change=take_click)
        st.caption("Click the map to choose a place. Layers: top right. Land-cover legend:")
        st.markdown(gc.legend_html(area.landcover.class_names, area.landcover.class_colors),
                    unsafe_allow_html=True)
        st.query_params.from_dict(view.to_query())
        if view.lat is None:
            st.info("Click anywhere on the map (or type coordinates in the sidebar) to generate ground-level views.")
            return
        try:
            with st.spinner("Generating views..."):
                rep = get_report(view.lat, view.lon, view.n, view.seed, view.model)
        except gc.GeoGanError as e:
            st.error(str(e))
            return
        place(view, rep)


def place(view: "gc.ViewParams", rep: "gc.PlaceReport") -> None:
    """The generated views first (what the user waits for), then the condition, the votes and real photos."""
    st.subheader(f"{rep.lat:.4f}, {rep.lon:.4f}: {rep.land_name}"
                 + (f" ({rep.land_group})" if rep.land_group else ""))
    if rep.generation is None:
        st.error(rep.generation_error or "No generated views.")
    else:
        g = rep.generation
        st.markdown(f"**{g.n} generated ground views** ({g.arch}, seed {g.seed}, "
                    f"{g.seconds * 1000:.0f} ms model time)")
        st.image(gc.data_uris(g.images), width=128)
        c1, c2 = st.columns(2)
        # downloads are made when pressed (a deferred file survives other users' reruns; see gc.data_uris)
        c1.download_button("Download grid (PNG)", lambda: gc.png_bytes(gc.grid(g.images, ncol=8)),
                           file_name=f"geogan_{g.lat:.3f}_{g.lon:.3f}_s{g.seed}.png", mime="image/png")
        settings = {**view.to_query(), "checkpoint": g.checkpoint, "land_cover": rep.land_name}
        c2.download_button("Download settings (JSON)", lambda: json.dumps(settings, indent=2),
                           file_name="geogan_view.json", mime="application/json")
    alike(rep.lat, rep.lon)
    for note in rep.notes:
        st.info(note)
    st.markdown("**Land cover around the place:** "
                + ", ".join(f"{name} {share:.0%}" for name, share in rep.fractions[:4]))
    st.markdown("**Overhead patch** (the model's condition, "
                f"{area.patch.size_px} x {area.patch.res_m / 1000:g} km pixels)")
    st.image(gc.data_uris(rep.layers.values()), caption=list(rep.layers), width=96)
    votes_and_photos(view, rep)


def alike(lat: float, lon: float) -> None:
    """Real views of the places that look most alike from above: photos taken elsewhere, labelled so."""
    st.markdown("**Places that look like this from above** (real photos taken *elsewhere*: the training "
                "places whose overhead patch, read with where it lies, is most alike; not photos of this place)")
    try:
        places = get_alike(lat, lon, int(ss.k_alike))
    except gc.GeoGanError as e:
        st.warning(f"Places that look alike are unavailable here: {e}")
        return
    for p in places:
        st.caption(f"Real photos taken elsewhere: {p.region or p.pano_id} ({p.land}), {p.distance_km:,.0f} km "
                   f"away, similarity {p.similarity:.2f}")
        st.image(gc.data_uris(p.views), width=96)


def votes_and_photos(view: "gc.ViewParams", rep: "gc.PlaceReport") -> None:
    """Each method's urban/rural vote and the nearest real photos."""
    st.markdown("**Urban or rural? Each method's vote** (classifiers fitted on the train-split places; "
                "see the Baselines page for their accuracy)")
    try:
        with st.spinner("Asking each method..."):
            votes = get_votes(view.lat, view.lon, view.seed, rep.generation is not None, rep.generation)
    except gc.GeoGanError as e:
        votes = []
        st.warning(f"The land-cover votes are unavailable: {e}")
    if votes:
        # static tables: lighter to draw than st.dataframe's grid on every click (bench/load.py)
        st.table([{"method": v.method, "vote": v.label, "confidence": f"{v.confidence:.0%}"} for v in votes],
                 hide_index=True)
        if view.model != "modern" and any(v.method.startswith("cgan") for v in votes):
            st.caption("The cGAN methods vote with the modern cGAN's views at this place (same seed, as many "
                       "as their classifiers were fitted on): those classifiers were fitted on its views.")
    else:
        st.caption("No land-cover heads shipped yet (`python -m geogan_core evaluate --save-heads`).")

    st.markdown("**Nearest real photos**")
    # formatted here: st.table shows floats with four decimals ("1,950.1000")
    st.table([{"distance (km)": f"{p.distance_km:,.1f}", "panorama": p.pano_id, "land cover": p.land,
               "split": p.split, "lat": f"{p.lat:.4f}", "lon": f"{p.lon:.4f}"} for p in rep.nearest],
             hide_index=True)
    for p in rep.nearest[:2]:
        st.image(gc.data_uris(p.views), width=128, caption=[f"{p.distance_km:,.1f} km"] + [""] * (len(p.views) - 1))


explore()
try:  # the models load now (the first visit's spinner), while the browser draws the map
    get_explorer()
except gc.GeoGanError as e:
    st.error(str(e))
    st.stop()
sidebar()
