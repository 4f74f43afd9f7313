"""Baselines: the paper's table reproduced on our data, with intervals, confusions and dense maps."""

import plotly.graph_objects as go
import streamlit as st

import geogan_core as gc

st.set_page_config(page_title="Baselines - GeoGAN Explorer", page_icon=":bar_chart:", layout="wide")
st.title("Does the paper's claim hold here?")
st.caption("Urban vs rural land cover (MODIS) at held-out places, one feature vector per place and method, "
           "logistic regression fitted on train-split places only; 95% intervals from a bootstrap over whole test "
           "regions (the split is named under each table).")


@st.cache_resource(show_spinner="Opening the study area...")
def get_explorer() -> "gc.Explorer":
    return gc.shared_explorer()


@st.cache_data(ttl=60, show_spinner="Checking the study area's data and models...")
def study_problems() -> list[str]:
    return gc.home_status().problems


def progress_bar():
    bar = st.progress(0.0)
    return lambda done, total, msg: bar.progress(min(done / max(total, 1), 1.0), text=msg)


problems = study_problems()
for problem in problems:
    st.warning(problem)
if problems:
    st.caption("Recompute needs the study area's data and models: fix the problems above first. Stored results "
               "are shown as they were computed.")

try:
    result = gc.load_results("evaluate")
except gc.GeoGanError as e:
    st.info(str(e))
    result = None

if st.button("Recompute (5-10 minutes on 2 CPU cores)"):
    try:
        result = gc.run_evaluation(get_explorer(), progress=progress_bar(), folds=5)  # as the stored results
        st.success("Recomputed and saved to results/evaluate.json.")
    except gc.GeoGanError as e:
        st.error(str(e))
if result is None:
    st.stop()

by_split = {"evaluate": result}
try:
    by_split["evaluate_cells"] = gc.load_results("evaluate_cells")
except gc.GeoGanError:
    pass
st.subheader("The two splits side by side")
for name, res in by_split.items():
    st.info(f"**{gc.SPLIT_RESULTS[name].capitalize()}.** {gc.claim_statement(res)}")
st.dataframe(gc.split_rows(by_split), hide_index=True)
st.caption("The cell split (10-degree cells, no buffer, intervals over places) let a test place sit 1 km from a "
           "training place across a cell border; its numbers come from the models trained on it. The region split "
           "keeps whole regions apart: every number below is on it.")
if pairs := gc.paired_rows(result):
    st.markdown("**Paired differences** (same test places; whole regions resampled for both methods together)")
    st.dataframe(pairs, hide_index=True)
if folds := gc.fold_rows(result):
    st.markdown(f"**Every region a test region once**: the methods that need no GAN training over "
                f"{result['folds']['folds']} region folds")
    st.dataframe(folds, hide_index=True)

st.subheader("Region split: every method")
rows = gc.table_rows(result)
st.dataframe([{k: v for k, v in r.items() if k != "key"} for r in rows], hide_index=True)
st.caption(f"{result['n_test_places']} test places ({result['split']}), {result['n_train_places']} train places; "
           f"settings {result['settings']}; {result['machine']}, {result['date']}. The paper's numbers are for "
           f"a UK region and its own data: shown for reference, not comparable.")

fig = go.Figure()
fig.add_bar(name="ours", x=[r["method"] for r in rows], y=[r["accuracy"] for r in rows],
            error_y={"type": "data", "symmetric": False, "array": [r["ci_high"] - r["accuracy"] for r in rows],
                     "arrayminus": [r["accuracy"] - r["ci_low"] for r in rows]})
fig.add_bar(name="paper (UK)", x=[r["method"] for r in rows], y=[r["paper (UK, its data)"] for r in rows])
fig.update_layout(barmode="group", yaxis={"range": [0, 1], "title": "accuracy"}, height=420,
                  margin={"t": 10, "b": 10})
st.plotly_chart(fig, width="stretch")

st.subheader("Confusion matrices (first seed)")
classes = result["classes"]
cols = st.columns(4)
for i, r in enumerate(rows):
    cm = result["methods"][r["key"]]["confusion"]
    heat = go.Figure(go.Heatmap(z=cm, x=[f"pred {c}" for c in classes], y=[f"true {c}" for c in classes],
                                text=cm, texttemplate="%{text}", colorscale="Blues", showscale=False))
    heat.update_layout(title={"text": r["key"], "font": {"size": 12}}, height=220, margin={"t": 30, "b": 0})
    cols[i % 4].plotly_chart(heat, width="stretch")

st.subheader("Interpolation: sensitivity to k")
st.dataframe([{"k": k, **v} for k, v in result["k_sensitivity"].items()], hide_index=True)

st.subheader("Dense maps: urban probability for every land cell")
try:
    dense = gc.load_results("dense")
except gc.GeoGanError as e:
    dense = None
    st.info(str(e).replace("evaluate --json", "dense --json"))
if dense:
    st.caption(f"{dense['land_cells']:,} land cells at {dense['res_deg']} degrees; accuracy against MODIS over all "
               f"of them (balanced, since only {dense['urban_cells']:,} are urban).")
    cols = st.columns(len(dense["methods"]))
    for col, (name, m) in zip(cols, dense["methods"].items(), strict=True):
        col.markdown(f"**{gc.method_label(name)}**  \nbalanced accuracy {m['balanced_accuracy']:.3f}")
        try:
            col.image(gc.dense_map_image(m["file"]), width="stretch")
        except gc.GeoGanError as e:
            col.info(str(e))
