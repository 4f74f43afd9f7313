"""Features: UMAP of discriminator (and Lite0) features of real and generated views."""

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from streamlit_folium import st_folium

import geogan_core as gc

st.set_page_config(page_title="Features - GeoGAN Explorer", page_icon=":dna:", layout="wide")
st.title("What the discriminator sees")
st.caption("Each point is a view: every real Street View view and one generated view per place. Features are "
           "reduced with PCA (50) then UMAP; k-means runs on the PCA features.")
COLOUR_FIELDS = ["urban/rural", "land cover", "source", "split", "region", "cluster"]


@st.cache_resource(show_spinner="Opening the study area...")
def get_explorer() -> "gc.Explorer":
    return gc.shared_explorer()


@st.cache_resource(show_spinner="Rendering map overlays (first start only)...")
def get_background():
    return gc.render_overlays(get_explorer().area, Path(__file__).resolve().parents[1] / "static")[0]


@st.cache_data(show_spinner=False)
def get_points(feature_set: str, key: str) -> dict:
    return gc.point_table(gc.load_embedding(feature_set), get_explorer())


try:
    explorer = get_explorer()
except gc.GeoGanError as e:
    st.error(str(e))
    st.stop()

names = list(gc.FEATURE_SETS)
c1, c2 = st.columns(2)
feature_set = c1.selectbox("Features", names, format_func=lambda n: gc.FEATURE_SETS[n])
colour = c2.selectbox("Colour by", COLOUR_FIELDS)

try:
    emb = gc.load_embedding(feature_set)
except gc.GeoGanError as e:
    st.info(str(e))
    if st.button("Compute now (about 1-2 minutes on 2 CPU cores)"):
        bar = st.progress(0.0)
        try:
            gc.compute_embedding(explorer, feature_set,
                                 progress=lambda d, t, m: bar.progress(min(d / max(t, 1), 1.0), text=m))
            st.rerun()
        except gc.GeoGanError as err:
            st.error(str(err))
    st.stop()

try:
    current_key = gc.embedding_key(explorer, feature_set)
except gc.GeoGanError as e:  # a broken checkpoint: show the stored embedding, say what to fix
    current_key = None
    st.error(f"{e}. The stored embedding below cannot be checked or recomputed until this is fixed.")
if current_key is not None and emb.key != current_key:
    st.warning("This embedding was computed for other data or checkpoints; recompute it for the current ones.")
    if st.button("Recompute"):
        bar = st.progress(0.0)
        try:
            gc.compute_embedding(explorer, feature_set,
                                 progress=lambda d, t, m: bar.progress(min(d / max(t, 1), 1.0), m))
            st.rerun()
        except gc.GeoGanError as err:
            st.error(str(err))
pts = get_points(feature_set, emb.key)
fig = go.Figure()
for value in sorted(set(pts[colour])):
    m = pts[colour] == value
    fig.add_trace(go.Scattergl(
        x=pts["x"][m], y=pts["y"][m], mode="markers", name=str(value), marker={"size": 4, "opacity": 0.7},
        customdata=np.flatnonzero(m), hovertemplate="%{text}<extra></extra>",
        text=[f"{s} view, {lc}<br>{la:.2f}, {lo:.2f} ({r})" for s, lc, la, lo, r in zip(
            pts["source"][m], pts["land cover"][m], pts["lat"][m], pts["lon"][m], pts["region"][m], strict=True)]))
fig.update_layout(height=560, dragmode="lasso", legend={"itemsizing": "constant"}, margin={"t": 10, "b": 10})
event = st.plotly_chart(fig, on_select="rerun", selection_mode=("points", "box", "lasso"), key="umap",
                        width="stretch")

s = emb.scores
st.markdown(f"**Urban vs rural separation** (real views): full features silhouette {s['full']['silhouette']:.3f}, "
            f"5-NN accuracy {s['full']['knn5_accuracy']:.1%}; in the 2-D map silhouette "
            f"{s['umap_2d']['silhouette']:.3f}, 5-NN accuracy {s['umap_2d']['knn5_accuracy']:.1%}.")

points = event["selection"]["points"] if event else []
selected = sorted({int(p["customdata"]) for p in points if p.get("customdata") is not None})
if selected:
    st.subheader(f"{len(selected)} selected views")
    shown = selected[:48]
    try:
        st.image(gc.data_uris(gc.embedding_images(explorer, emb, shown)), width=64)
    except gc.GeoGanError as e:
        st.warning(f"The selected views cannot be shown: {e}")
    if note := gc.local_assets_note(Path(__file__).resolve().parents[1] / "static"):
        st.warning(note)
    fmap = gc.points_map(pts["lat"][shown], pts["lon"][shown], get_background())
    st_folium(fmap, key="sel_map", height=320, use_container_width=True, returned_objects=[])
else:
    st.caption("Click a point, or draw a box or lasso, to see the views and their places (plotly hover "
               "labels cannot show images, so a click stands in for hovering).")

st.subheader("Clusters (k-means)")
st.dataframe(emb.clusters, hide_index=True)
try:
    for c in emb.clusters:
        members = np.flatnonzero(emb.cluster == c["cluster"])[:: max(1, c["size"] // 8)][:8]
        st.image(gc.data_uris(gc.embedding_images(explorer, emb, list(members))), width=56,
                 caption=[f"cluster {c['cluster']}"] + [""] * (len(members) - 1))
except gc.GeoGanError as e:
    st.warning(f"The cluster examples cannot be shown: {e}")
