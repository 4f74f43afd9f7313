"""Command line: ``python -m geogan_core {data,train,generate} ...``.

Every user error is a ``GeoGanError``: printed on one line, exit status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

from geogan_core.config import PROJECT_ROOT, StudyArea, load_config, require_landcover
from geogan_core.errors import ConfigError, exit_status
from geogan_core.fileio import atomic_write_text

log = logging.getLogger("geogan_core")


CHECKPOINTS_HELP = "checkpoint folder (default: $GEOGAN_CHECKPOINTS, else checkpoints/)"


def _checkpoints(args: argparse.Namespace, area: StudyArea | None = None) -> Path:
    """The ``--checkpoints`` folder, else ``GEOGAN_CHECKPOINTS``, else the area's (``[area].checkpoints``)."""
    from geogan_core.checkpoint import default_checkpoints

    return Path(args.checkpoints) if args.checkpoints else default_checkpoints(area)


def _area(args: argparse.Namespace) -> StudyArea:
    """The study area of ``--config``; ``--split cells`` swaps in the 10-degree cell split without a buffer.

    That is the split every result before the region split used: it stays available so that old and
    new numbers can be measured side by side.
    """
    area = load_config(args.config)
    if getattr(args, "split", None) == "cells":
        area = dataclasses.replace(area, split=dataclasses.replace(area.split, kind="cells", buffer_km=0.0))
    elif getattr(args, "split", None) == "regions":
        area = dataclasses.replace(area, split=dataclasses.replace(area.split, kind="regions"))
    return area


def _explorer(args: argparse.Namespace) -> Any:
    """The Explorer of ``--config`` with ``--checkpoints`` (else the area's own checkpoints folder)."""
    from geogan_core.inference.generate import Explorer

    return Explorer(_area(args), checkpoints=Path(args.checkpoints) if args.checkpoints else None)


def _emit(result: dict[str, Any], json_path: str | None) -> None:
    """Print a result as JSON and, when asked, also write it to a file."""
    text = json.dumps(result, indent=2)
    if json_path:
        atomic_write_text(Path(json_path), text + "\n")
    print(text)


def _cmd_data_summary(args: argparse.Namespace) -> int:
    from geogan_core.data.summary import data_summary

    t0 = time.time()
    summary = data_summary(_area(args))
    summary["seconds"] = round(time.time() - t0, 3)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for key, value in summary.items():
            print(f"{key:>20}: {value}")
    return 0


def _cmd_data_preview(args: argparse.Namespace) -> int:
    from geogan_core.data.summary import preview_image
    from geogan_core.imaging import write_png

    write_png(preview_image(_area(args), args.lat, args.lon, args.k), Path(args.out))
    print(args.out)
    return 0


def _settings(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` strings to a dict; values are TOML (``0.5``, ``false``, ``["color"]``) or plain text."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {pair!r}: write key=value, for example --set ms_weight=0.5")
        try:
            out[key.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = value
    return out


def _cmd_pack(args: argparse.Namespace) -> int:
    from geogan_core.data.pack import write_pack
    from geogan_core.data.paired import load_paired
    from geogan_core.training.run import memory_state

    area = _area(args)
    feats, labels = None, None
    if area.scenes_root is not None and not args.no_scenes:
        from geogan_core.training.scenes import scene_features

        feats, labels = scene_features(area.scenes_root)
    data = load_paired(area)
    memory, why = memory_state(area, data)
    if memory is None:
        print(f"note: the pack gets no retrieval memory, so train-all will skip the guided cGAN: {why}",
              file=sys.stderr)
    summary = write_pack(area, data, Path(args.out), quality=args.quality, lossless=args.lossless,
                         scene_features=feats, scene_labels=labels, memory=memory)
    print(json.dumps(summary))
    return 0


def _cmd_train_all(args: argparse.Namespace) -> int:
    from geogan_core.training.gpu import train_all

    report = train_all(Path(args.pack), Path(args.out), minutes=args.minutes, tiny=args.tiny, device=args.device,
                       require_gpu=args.require_gpu, checkpoints=Path(args.checkpoints) if args.checkpoints else None)
    for name, m in report["models"].items():
        speed = f", {m['images_per_s']:.0f} images/s, {m['epochs']} epochs" if "images_per_s" in m else ""
        print(f"{name}: {m['minutes']:.2f} min{speed} -> {Path(args.out) / 'checkpoints' / m['file']}")
    for name, s in report.get("scores", {}).items():
        print(f"{name}: judge AUC {s['auc']}  paired-vs-shuffled {s['paired_vs_shuffled']}  KID {s['kid']}")
    print(f"all done in {report['minutes']:.2f} min; report: {Path(args.out) / 'report.json'}")
    return 0


def _cmd_area_init(args: argparse.Namespace) -> int:
    from geogan_core.data.area_init import init_area

    report = init_area(args.name, [Path(p) for p in args.overhead], Path(args.photos), Path(args.out),
                       landcover=Path(args.landcover) if args.landcover else None, urban_classes=args.urban_classes,
                       patch_px=args.patch_px, patch_res_m=args.patch_res_m, views_per_image=args.views_per_image)
    s = report.summary()
    for r in s["overhead"]:
        print(f"overhead  {Path(r['file']).name}: {r['crs']}, {r['size'][0]}x{r['size'][1]} px, {r['bands']} band(s) "
              f"{r['dtype']}, {r['res_m']:g} m/px, nodata {r['nodata']}, bounds {r['bounds_wgs84']}")
    if s["landcover"]:
        lc = s["landcover"]
        print(f"landcover {Path(lc['file']).name}: {lc['crs']}, {lc['res_m']:g} m/px")
    skipped = ", ".join(f"{n} {why}" for why, n in s["skipped"].items()) or "none"
    print(f"photos    {s['photos_found']} found, {s['photos_kept']} kept; skipped: {skipped}")
    print(f"patch     {s['patch']['size_px']} px at {s['patch']['res_m']:g} m")
    for note in s["notes"]:
        print(f"note      {note}")
    print(f"wrote     {s['config']} and {s['photo_table']}")
    print(f"next      python -m geogan_core data summary --config {args.out}")
    return 0


def _train_inputs(args: argparse.Namespace) -> tuple[StudyArea | None, Any]:
    """The study area and pack of ``train``: with ``--pack`` the area is the pack's unless ``--config`` names one."""
    if not args.pack:
        return _area(args), None
    from geogan_core.data.pack import read_pack

    if args.split:
        raise ConfigError("--split does not apply with --pack: the pack carries the split it was made with")
    return (_area(args) if args.config else None), read_pack(Path(args.pack))


def _cmd_train(args: argparse.Namespace) -> int:
    from geogan_core.training.run import train_command

    area, pack = _train_inputs(args)
    path = train_command(area, pack=pack, what=args.what, arch=args.arch, epochs=args.epochs,
                         seed=args.seed, device=args.device, resume=args.resume,
                         run_dir=Path(args.run_dir) if args.run_dir else None, max_steps=args.max_steps,
                         batch_size=args.batch_size, width=args.width, settings=_settings(args.set),
                         deadline=time.time() + args.minutes * 60 if args.minutes else 0.0)
    print(path)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from geogan_core.training.export import export_run

    folder = _checkpoints(args, load_config(args.config) if args.config else None)
    for name in args.names:
        entry = export_run(name, Path(args.runs) / name, folder, args.place_strength)
        print(f"{name}: {entry['file']} {entry['bytes'] / 1e6:.1f} MB sha256 {entry['sha256'][:12]}")
    return 0


def _cmd_metrics(args: argparse.Namespace) -> int:
    from geogan_core.evaluation.gan_metrics import gan_metrics

    explorer = _explorer(args)
    require_landcover(explorer.area, "metrics (land-cover consistency)")
    result = gan_metrics(explorer, names=args.names or explorer.available(), per_place=args.per_place, seed=args.seed,
                         update_manifest=not args.no_manifest, side=args.side)
    _emit(result, args.json)
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from geogan_core.evaluation.evaluate import run_evaluation, save_heads

    explorer = _explorer(args)
    require_landcover(explorer.area, "evaluate (urban vs rural)")
    if args.save_heads:
        print(save_heads(explorer, k=args.k, n_views=args.views))
    result = run_evaluation(explorer, Path(args.json), k=args.k, n_views=args.views, seeds=args.seeds,
                            test_photos=Path(args.test_photos) if args.test_photos else None, folds=args.folds)
    for name, m in result["methods"].items():
        print(f"{name:>22}: accuracy {m['accuracy']:.3f} [{m['ci95'][0]:.3f}, {m['ci95'][1]:.3f}]  "
              f"balanced {m['balanced_accuracy']:.3f}  n={m['n']}")
    return 0


def _cmd_dense(args: argparse.Namespace) -> int:
    from geogan_core.evaluation.dense import dense_maps

    explorer = _explorer(args)
    require_landcover(explorer.area, "dense (urban probability maps)")
    result = dense_maps(explorer, res_deg=args.res, n_views=args.views, rebuild=args.rebuild,
                        folder=Path(args.json).parent / "dense" if args.json else None)
    _emit(result, args.json)
    return 0


def _cmd_directions(args: argparse.Namespace) -> int:
    from geogan_core.evaluation.directions import fit_directions

    explorer = _explorer(args)
    result = fit_directions(explorer, samples=args.samples, check=args.check, seed=args.seed)
    _emit(result, args.json)
    return 0


def _cmd_features(args: argparse.Namespace) -> int:
    from geogan_core.evaluation.embedding import FEATURE_SETS, ensure_embedding

    explorer = _explorer(args)
    out = {}
    for name in args.set or list(FEATURE_SETS):
        emb = ensure_embedding(explorer, name, k=args.k)
        out[name] = emb.scores
        print(f"{name}: {json.dumps(emb.scores)}")
    if args.json:
        atomic_write_text(Path(args.json), json.dumps(out, indent=2) + "\n")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from geogan_core.evaluation.report import markdown_report, write_bench_section

    if args.readme:
        write_bench_section(Path(args.readme), Path(args.bench))
        print(f"benchmark table written to {args.readme}")
        return 0
    print(markdown_report(_checkpoints(args), Path(args.bench)))
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from geogan_core.evaluation.bench import run_benchmarks

    result = run_benchmarks(_explorer(args),
                            repeats=args.repeats, dense_res=args.dense_res)
    _emit(result, args.json)
    return 0


def _cmd_figure(args: argparse.Namespace) -> int:
    from geogan_core.imaging import write_png
    from geogan_core.inference.place import places_figure

    write_png(places_figure(_explorer(args), n=args.n, seed=args.seed),
              Path(args.out))
    print(args.out)
    return 0


def _cmd_retrieve(args: argparse.Namespace) -> int:
    from geogan_core.inference.alike import alike_places

    explorer = _explorer(args)
    t0 = time.time()
    places = alike_places(explorer, args.lat, args.lon, args.k)
    memory = explorer.retrieval
    result = {"lat": args.lat, "lon": args.lon, "k": args.k, "key": memory.key,
              "memory_places": len(memory), "seconds": round(time.time() - t0, 3),
              "places": [p.to_dict() for p in places],
              "note": "real photos of training places elsewhere that look alike from above, not of this place"}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for p in places:
            print(f"{p.rank:>3}. {p.lat:9.4f} {p.lon:10.4f}  {p.distance_km:9,.0f} km away  similarity "
                  f"{p.similarity:+.3f}  {p.region} ({p.land}, {p.pano_id})")
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from geogan_core.imaging import grid, write_png

    explorer = _explorer(args)
    result = explorer.generate(args.lat, args.lon, n=args.n, seed=args.seed, arch=args.arch)
    write_png(grid(result.images, ncol=min(8, args.n)), Path(args.out))
    if args.json:
        out: dict[str, Any] = {"lat": result.lat, "lon": result.lon, "n": result.n, "seed": result.seed,
                               "checkpoint": result.checkpoint, "seconds": round(result.seconds, 4),
                               "arch": result.arch, "out": str(args.out)}
        print(json.dumps(out))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    p = argparse.ArgumentParser(prog="python -m geogan_core", description=__doc__.splitlines()[0])
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True)

    def with_config(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--config", default=None, help="study-area TOML (default configs/world.toml)")
        sp.add_argument("--split", choices=("regions", "cells"), default=None,
                        help="override [split].kind; cells = 10-degree cells with no buffer (the old split)")
        return sp

    data = sub.add_parser("data", help="inspect the study area's data").add_subparsers(dest="data_cmd", required=True)
    s = with_config(data.add_parser("summary", help="counts and sanity checks"))
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(fn=_cmd_data_summary)
    s = with_config(data.add_parser("preview", help="PNG of the overhead patch and nearest real views"))
    s.add_argument("--lat", type=float, required=True)
    s.add_argument("--lon", type=float, required=True)
    s.add_argument("-k", type=int, default=3, help="nearest panoramas to show")
    s.add_argument("--out", default="preview.png")
    s.set_defaults(fn=_cmd_data_preview)

    t = with_config(sub.add_parser("train", help="train a GAN, the scene classifier or the judge"))
    t.add_argument("what", choices=["cgan", "ugan", "scenes", "judge", "retrieval"],
                   help="judge: the from-scratch land-cover CNN that scores generated views; retrieval: the "
                        "cross-view embedding and memory of training places")
    t.add_argument("--arch", default="modern",
                   help="cgan architecture: a registered name, e.g. paper, modern or guided (retrieval-guided: "
                        "needs checkpoints/retrieval.pt)")
    t.add_argument("--epochs", type=int, default=None)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--batch-size", type=int, default=None)
    t.add_argument("--width", type=int, default=None, help="ngf = ndf (default: [model] in the config, else 64)")
    t.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    t.add_argument("--resume", action="store_true", help="continue from RUN_DIR/latest.pt")
    t.add_argument("--run-dir", default=None, help="default runs/<arch> (runs/ugan, runs/scenes, runs/judge)")
    t.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke tests)")
    t.add_argument("--minutes", type=float, default=0.0,
                   help="stop cleanly (checkpoint saved) after this many minutes: runs at equal CPU time")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a [train] or [model] setting, e.g. --set ms_weight=0.5 --set n_classes=0")
    t.add_argument("--pack", default=None,
                   help="train from this pack (python -m geogan_core pack) instead of the study area's files")
    t.set_defaults(fn=_cmd_train)

    ta = sub.add_parser("train-all", help="train, export and score every shipped model from a pack (GPU script)")
    ta.add_argument("--pack", default=str(PROJECT_ROOT / "runs" / "world.gpk"), help="default runs/world.gpk")
    ta.add_argument("--out", required=True, help="output folder ($OUT on the GPU machine)")
    ta.add_argument("--minutes", type=float, default=10.0, help="wall-clock budget for everything")
    ta.add_argument("--tiny", action="store_true", help="a few steps per model: the CPU dry run")
    ta.add_argument("--device", choices=["auto", "cuda", "cpu"], default="auto")
    ta.add_argument("--require-gpu", action="store_true", help="stop when there is no GPU instead of using the CPU")
    ta.add_argument("--checkpoints", default=None, help="where the judge comes from; " + CHECKPOINTS_HELP)
    ta.set_defaults(fn=_cmd_train_all)

    area = sub.add_parser("area", help="set up a study area of your own").add_subparsers(dest="area_cmd",
                                                                                         required=True)
    ai = area.add_parser("init", help="write a study-area TOML from GeoTIFFs and geotagged photos")
    ai.add_argument("--name", required=True, help="the area's name (its cache and checkpoints folders)")
    ai.add_argument("--overhead", nargs="+", required=True, help="GeoTIFFs (files or folders), any CRS")
    ai.add_argument("--photos", required=True, help="a CSV (image,lat,lon) or a folder of JPEGs with EXIF GPS")
    ai.add_argument("--landcover", default=None, help="categorical land-cover GeoTIFF (any CRS)")
    ai.add_argument("--urban-classes", type=int, nargs="+", default=None, help="land-cover classes called urban")
    ai.add_argument("--patch-px", type=int, default=None, help="patch size in pixels (default 32)")
    ai.add_argument("--patch-res-m", type=float, default=None,
                    help="metres per patch pixel (default: the coarsest raster's resolution)")
    ai.add_argument("--views-per-image", type=int, default=1, help="1 for photos, 4 for 4-view panorama strips")
    ai.add_argument("--out", required=True, help="the TOML to write (its photo table goes beside it)")
    ai.set_defaults(fn=_cmd_area_init)

    pk = with_config(sub.add_parser("pack", help="one file with everything training and scoring need (for a GPU)"))
    pk.add_argument("--out", required=True, help="the pack file to write, e.g. runs/world.gpk")
    pk.add_argument("--quality", type=int, default=80, help="JPEG quality of the 128-pixel views")
    pk.add_argument("--lossless", action="store_true", help="raw views instead of JPEG (bit-identical batches)")
    pk.add_argument("--no-scenes", action="store_true", help="leave out the scene photos' features")
    pk.set_defaults(fn=_cmd_pack)

    e = sub.add_parser("export", help="copy trained runs into checkpoints/ (fp16) and the manifest")
    e.add_argument("--config", default=None, help="study-area TOML: export into its checkpoints folder")
    e.add_argument("names", nargs="+", metavar="NAME",
                   help="a registered GAN (modern, paper, ugan, guided, ...), scenes, judge or retrieval")
    e.add_argument("--runs", default=str(PROJECT_ROOT / "runs"), help="folder holding <name>/latest.pt")
    e.add_argument("--place-strength", type=float, default=None,
                   help="a GAN's place strength to ship instead of its run's (bench/place_strength.py chooses it)")
    e.add_argument("--checkpoints", default=None, help=CHECKPOINTS_HELP)
    e.set_defaults(fn=_cmd_export)

    m = with_config(sub.add_parser("metrics", help="FID/KID, land-cover consistency, diversity of the GANs"))
    m.add_argument("--names", nargs="+", default=None, help="GANs to score (default: every GAN in the manifest)")
    m.add_argument("--per-place", type=int, default=4, help="generated views per held-out place")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--json", default=None, help="also write the results to this file")
    m.add_argument("--no-manifest", action="store_true", help="do not record the metrics in the manifest")
    m.add_argument("--side", choices=["test", "val"], default="test",
                   help="val: score the validation regions, to choose models (never recorded in the manifest)")
    m.add_argument("--checkpoints", default=None, help=CHECKPOINTS_HELP)
    m.set_defaults(fn=_cmd_metrics)

    v = with_config(sub.add_parser("evaluate", help="urban vs rural: the paper's methods with 95%% intervals"))
    v.add_argument("--json", required=True, help="write the results here")
    v.add_argument("--test-photos", default=None, help="CSV (columns of metadata.csv) of other test places")
    v.add_argument("-k", type=int, default=8, help="neighbours for the interpolation methods")
    v.add_argument("--views", type=int, default=4, help="generated views per place")
    v.add_argument("--seeds", type=int, default=5, help="generation seeds for the GAN methods")
    v.add_argument("--folds", type=int, default=0,
                   help="also score the methods that need no GAN training over K region folds")
    v.add_argument("--save-heads", action="store_true",
                   help="also fit the per-click land-cover heads on the train split into checkpoints/")
    v.add_argument("--checkpoints", default=None, help=CHECKPOINTS_HELP)
    v.set_defaults(fn=_cmd_evaluate)

    d = with_config(sub.add_parser("dense", help="urban probability for every land cell, as GeoTIFFs"))
    d.add_argument("--res", type=float, default=0.5, help="cell size in degrees")
    d.add_argument("--views", type=int, default=1, help="generated views per cell for cgan_features")
    d.add_argument("--rebuild", action="store_true", help="ignore the cache")
    d.add_argument("--json", default=None, help="also write the summary to this file")
    d.add_argument("--checkpoints", default=None, help=CHECKPOINTS_HELP)
    d.set_defaults(fn=_cmd_dense)

    r = with_config(sub.add_parser("directions", help="fit named and PCA latent directions (modern cGAN)"))
    r.add_argument("--samples", type=int, default=2000)
    r.add_argument("--check", type=int, default=200, help="samples for the slider-effect table")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--json", default=None)
    r.add_argument("--checkpoints", default=None, help=CHECKPOINTS_HELP)
    r.set_defaults(fn=_cmd_directions)

    f = with_config(sub.add_parser("features", help="UMAP of discriminator and Lite0 features (for the Features page)"))
    f.add_argument("--set", action="append", choices=["cgan_disc", "ugan_disc", "lite0"], help="default: all three")
    f.add_argument("-k", type=int, default=8, help="k-means clusters")
    f.add_argument("--json", default=None, help="also write the separation numbers here")
    f.add_argument("--checkpoints", default=None, help=CHECKPOINTS_HELP)
    f.set_defaults(fn=_cmd_features)

    rp = sub.add_parser("report", help="markdown tables of the stored results (for the README)")
    rp.add_argument("--checkpoints", default=None, help=CHECKPOINTS_HELP)
    rp.add_argument("--bench", default=str(PROJECT_ROOT / "bench"), help="folder of the benchmark JSON files")
    rp.add_argument("--readme", default=None, help="only rewrite the benchmark table between its markers here")
    rp.set_defaults(fn=_cmd_report)

    b = with_config(sub.add_parser("bench", help="generation, training, dense-map and UMAP speed"))
    b.add_argument("--json", default=None, help="also write the figures to this file")
    b.add_argument("--repeats", type=int, default=20)
    b.add_argument("--dense-res", type=float, default=2.0, help="cell size (degrees) of the timed dense map")
    b.add_argument("--checkpoints", default=None, help=CHECKPOINTS_HELP)
    b.set_defaults(fn=_cmd_bench)

    g = with_config(sub.add_parser("generate", help="write a grid of generated views at a place"))
    g.add_argument("--lat", type=float, required=True)
    g.add_argument("--lon", type=float, required=True)
    g.add_argument("-n", type=int, default=16)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--arch", default="modern", help="a shipped cGAN of the manifest: modern, paper, guided, ...")
    g.add_argument("--out", default="grid.png")
    g.add_argument("--json", action="store_true", help="also print a JSON line")
    g.add_argument("--checkpoints", default=None, help=CHECKPOINTS_HELP)
    g.set_defaults(fn=_cmd_generate)

    rv = with_config(sub.add_parser("retrieve", help="the training places most alike from above (real photos)"))
    rv.add_argument("--lat", type=float, required=True)
    rv.add_argument("--lon", type=float, required=True)
    rv.add_argument("-k", type=int, default=8, help="how many places")
    rv.add_argument("--json", action="store_true", help="print one JSON object")
    rv.add_argument("--checkpoints", default=None, help=CHECKPOINTS_HELP)
    rv.set_defaults(fn=_cmd_retrieve)

    fg = with_config(sub.add_parser("figure", help="generated views at eight well-known places, every shipped cGAN"))
    fg.add_argument("--out", default="docs/places.png")
    fg.add_argument("-n", type=int, default=8, help="views (noises) per place and model")
    fg.add_argument("--seed", type=int, default=0)
    fg.add_argument("--checkpoints", default=None, help=CHECKPOINTS_HELP)
    fg.set_defaults(fn=_cmd_figure)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    return exit_status(lambda: args.fn(args))
