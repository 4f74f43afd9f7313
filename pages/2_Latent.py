"""Latent: edit the overhead condition ("more water"), move along named directions, interpolate."""

import streamlit as st

import geogan_core as gc

st.set_page_config(page_title="Latent - GeoGAN Explorer", page_icon=":control_knobs:", layout="wide")
PLACES = gc.WELL_KNOWN_PLACES
SIGMA = 3.0
MAX_N = 16
ALIKE = 6  # places that look alike from above, one real view each


@st.cache_resource(show_spinner="Loading the models...")
def get_editor() -> "gc.LatentEditor":
    return gc.LatentEditor(gc.shared_explorer())


@st.cache_data(max_entries=256, show_spinner=False)
def render(lat, lon, n, seed, arch, edits: tuple, moves: tuple, keep: bool):
    return get_editor().views(lat, lon, n, seed, arch, edits=dict(edits), moves=dict(moves), keep_others=keep)


@st.cache_resource(max_entries=128, show_spinner=False)
def alike(lat: float, lon: float, edits: tuple) -> list:
    """The places most alike from above to the (edited) condition: read only, shared by every session."""
    return gc.alike_places(get_editor().ex, lat, lon, ALIKE, dict(edits))


@st.cache_data(max_entries=32, show_spinner=False)
def interpolate(kind: str, a: tuple, b: tuple, k: int, seed: int, arch: str):
    ed = get_editor()
    if kind == "seeds":
        return ed.between_seeds(*a, seed, seed + b[0], k, arch)
    return ed.between_places(a, b, k, seed, arch)


try:
    editor = get_editor()
    channel_layers = editor.ex.stack.layer_configs
    models = [m for m in editor.ex.available() if m in ("modern", "paper")]
except gc.GeoGanError as e:
    st.error(str(e))
    st.stop()
try:  # the directions are optional: a broken file disables them, not the page
    directions, directions_error = editor.directions, None
except gc.GeoGanError as e:
    directions, directions_error = None, f"The latent directions are unavailable: {e}"
named = [n for n, k in zip(directions.names, directions.kind, strict=True) if k == "semantic"] if directions else []
pcs = [n for n, k in zip(directions.names, directions.kind, strict=True) if k == "pca"] if directions else []
edit_keys = [f"e_{n}" for n in gc.PHYSICAL_EDITS] + [f"d_{n}" for n in named + pcs]


def init_state() -> None:
    if "place" in st.session_state:
        return
    notes: list[str] = []
    q = st.query_params.to_dict()
    view, notes = gc.parse_view_params(q, ["modern"], max_n=MAX_N, default_n=8)
    sliders = {**{f"e_{k}": v for k, v in gc.parse_slider_params(q, "e_", list(gc.PHYSICAL_EDITS), 1.0, notes).items()},
               **{f"d_{k}": v for k, v in gc.parse_slider_params(q, "d_", named + pcs, SIGMA, notes).items()}}
    place = f"{view.lat:.4f}, {view.lon:.4f}" if view.lat is not None else "55.75, 37.62"
    st.session_state.update({k: 0.0 for k in edit_keys}, **sliders, place=place, seed=view.seed,
                            n=view.n, keep=q.get("keep") == "1", notes=notes)


def go_to_preset() -> None:
    preset = st.session_state.preset
    if preset in PLACES:
        st.session_state.place = f"{PLACES[preset][0]}, {PLACES[preset][1]}"


def reset() -> None:
    for k in edit_keys:
        st.session_state[k] = 0.0


init_state()
ss = st.session_state
st.title("Latent sliders")
for note in ss.notes:
    st.warning(note)
if directions_error:
    st.warning(directions_error)

with st.sidebar:
    st.selectbox("Place", ["(typed below)", *PLACES], key="preset", on_change=go_to_preset)
    st.text_input("Latitude, longitude", key="place")
    arch = st.radio("Model", models or ["modern"], help="named directions act on the modern cGAN only")
    st.number_input("Seed", 0, 2**31 - 1, step=1, key="seed")
    st.slider("Views", 1, MAX_N, key="n")
    st.button("Reset all sliders", on_click=reset)
try:
    lat, lon = gc.parse_latlon(ss.place)
except gc.GeoGanError as e:
    st.error(str(e))
    st.stop()


@st.fragment
def sliders_and_views(lat: float, lon: float, arch: str) -> None:
    """Sliders beside the views they change: moving one reruns only this part of the page."""
    left, right = st.columns([1, 2])
    with left:
        st.subheader("The ground, in physical terms")
        for name, label in gc.PHYSICAL_EDITS.items():
            st.slider(label, -1.0, 1.0, step=0.1, key=f"e_{name}")
        if directions and arch != "modern":
            st.info("Named and PCA directions act on the modern cGAN: choose it in the sidebar to use them.")
        elif directions:
            st.subheader("Named directions (scene classifier)")
            st.checkbox("Keep the others fixed (project out the other directions)", key="keep")
            for name in named:
                st.slider(f"more {name}", -SIGMA, SIGMA, step=0.5, key=f"d_{name}", help="in standard deviations")
            with st.expander("Unsupervised directions (PCA of w)"):
                for name in pcs:
                    st.slider(name, -SIGMA, SIGMA, step=0.5, key=f"d_{name}")
        elif not directions_error:
            st.info("No latent directions shipped yet: `python -m geogan_core directions`.")

    edits = tuple((k, float(ss[f"e_{k}"])) for k in gc.PHYSICAL_EDITS if ss[f"e_{k}"])
    moves = tuple((k, float(ss[f"d_{k}"])) for k in named + pcs if ss[f"d_{k}"]) if arch == "modern" else ()
    query = {"lat": f"{lat:.5f}", "lon": f"{lon:.5f}", "seed": str(ss.seed), "n": str(ss.n),
             **{f"e_{k}": f"{v:g}" for k, v in edits}, **{f"d_{k}": f"{v:g}" for k, v in moves}}
    if ss.keep:
        query["keep"] = "1"
    st.query_params.from_dict(query)

    try:
        with st.spinner("Generating..."), gc.stage("latent views"):  # for bench/load.py (GEOGAN_TIMINGS)
            base, patch = render(lat, lon, ss.n, ss.seed, arch, (), (), False)
            edited, edited_patch = render(lat, lon, ss.n, ss.seed, arch, edits, moves, ss.keep)
    except gc.GeoGanError as e:
        st.error(str(e))
        return

    with right, gc.stage("latent images sent"):
        st.subheader(f"{lat:.3f}, {lon:.3f}, seed {ss.seed}")
        st.markdown("**Overhead condition: original (top) and edited (bottom)**")
        st.image(gc.data_uris(gc.layer_images(patch, channel_layers).values()), width=72)
        st.image(gc.data_uris(gc.layer_images(edited_patch, channel_layers).values()), width=72)
        st.markdown("**Original views**")
        st.image(gc.data_uris(base), width=96)
        st.markdown("**Edited views**" + ("" if edits or moves else " (move a slider)"))
        st.image(gc.data_uris(edited), width=96)
        st.markdown("**Places that look like the " + ("edited" if edits else "original") + " condition from "
                    "above** (real photos taken elsewhere, one view each; the physical sliders change them)")
        try:
            places = alike(lat, lon, edits)
            st.image(gc.data_uris([p.views[0] for p in places]), width=96,
                     caption=[f"elsewhere: {p.region or p.pano_id}, similarity {p.similarity:.2f}" for p in places])
        except gc.GeoGanError as e:
            st.warning(f"Places that look alike are unavailable: {e}")


@st.fragment
def interpolation(lat: float, lon: float, arch: str) -> None:
    """A strip (and GIF) between two seeds or two places."""
    st.subheader("Interpolation")
    kind = st.radio("Between", ["seeds", "places"], horizontal=True,
                    format_func=lambda k: {"seeds": "two seeds at this place", "places": "two places"}[k])
    k = st.slider("Frames", 2, 16, 8)
    if kind == "seeds":
        other = int(st.number_input("Second seed offset", 1, 10_000, 1))
        a, b = (lat, lon), (other,)
    else:
        to = st.selectbox("To", list(PLACES), index=1)
        a, b = (lat, lon), PLACES[to]
    try:
        frames = interpolate(kind, a, b, k, int(ss.seed), arch)
        st.image(gc.data_uris(frames), width=96)
        st.download_button("Download GIF", lambda: gc.gif_bytes(frames), file_name="geogan_interpolation.gif",
                           mime="image/gif")
    except gc.GeoGanError as e:
        st.error(str(e))


sliders_and_views(lat, lon, arch)
interpolation(lat, lon, arch)
