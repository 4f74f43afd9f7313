"""GeoGAN Explorer: home page (what the app is, the study area, data and model status)."""

import streamlit as st

import geogan_core as gc

st.set_page_config(page_title="GeoGAN Explorer", page_icon=":earth_africa:", layout="wide")


@st.cache_data(ttl=60, show_spinner="Checking the study area's data and models...")
def load_status() -> "gc.inference.status.StudyStatus":  # type: ignore[name-defined]
    return gc.study_status()


st.title("GeoGAN Explorer")
st.markdown(
    "**What is it like down there?** Given overhead imagery of any place, a conditional GAN generates "
    "ground-level views of it, and the discriminator's features help map land cover where ground photos are "
    "sparse. This reproduces and extends *Deng, Zhu & Newsam (SIGSPATIAL 2018)* on real, worldwide data: "
    "Street View panoramas, NASA overhead layers and MODIS land cover."
)

status = load_status()
st.subheader(f"Study area: {status.name or 'not loaded'}")
st.caption(f"Config: `{status.config}`")
for problem in status.problems:
    st.warning(problem)

if status.summary:
    s = status.summary
    cols = st.columns(5)
    cols[0].metric("Panoramas", f"{s['panoramas']:,}")
    cols[1].metric("Ground views", f"{s['views']:,}")
    cols[2].metric("Labelled places", f"{s['labelled_locations']:,}")
    cols[3].metric("Overhead layers", len(s["overhead_layers"]))
    cols[4].metric("Condition", " x ".join(str(v) for v in s["condition_shape"]))
    st.markdown("**Land cover at the photo places** (MODIS MCD12C1 2019, grouped): "
                + ", ".join(f"{k}: {v:,}" for k, v in s["label_counts"].items()))
    sp = s["split"]
    st.markdown(f"**Split** ({s['split_rule']}): "
                + ", ".join(f"{k}: {v['places']} places in {sp['sides'][k]['regions']} regions"
                            for k, v in s["splits"].items())
                + f"; {sp['dropped_by_buffer']} training places dropped by the buffer, the nearest training place "
                  f"is {sp['min_train_test_km']:,.0f} km from any test place.")
    with st.expander("Overhead layers"):
        st.table([{k: layer[k] for k in ("name", "kind", "channels", "file")} for layer in s["overhead_layers"]])
else:
    st.info("The study area's data could not be read: see the message above. The demo data lives in "
            "`../shared/data`; set `GEOGAN_DATA` to point elsewhere.")

st.subheader("Models")
if status.models:
    st.dataframe(
        [{"model": m["name"], "file": m["file"], "present": m["present"],
          "usable": "yes" if m["usable"] else "no: see the warning above", "epochs": m["epochs"],
          "FID (Lite0)": m["metrics"].get("fid_lite0"), "land-cover consistency": m["metrics"].get(
              "landcover_consistency"), "diversity vs real": m["metrics"].get("diversity_vs_real"),
          "held-out accuracy": m["metrics"].get("heldout_accuracy"), "trained on": m["machine"]}
         for m in status.models],
        hide_index=True,
    )
else:
    st.info("No trained models yet: see the message above.")

st.subheader("Pages")
st.markdown(
    "- **Map**: click anywhere on Earth to see the overhead patch, generated ground views, the nearest real "
    "photos and the land cover.\n"
    "- **Latent**: sliders that edit the overhead condition (more water, more night lights) and latent "
    "directions named by a scene classifier.\n"
    "- **Features**: UMAP of discriminator features of real and generated views.\n"
    "- **Baselines**: the paper's table reproduced on this data, with confidence intervals."
)
