"""Map page latency in a real browser: cold page load and click-to-first-generated-image.

    .venv/bin/python bench/map_latency.py --clicks 20 --json out.json

Starts the real app (app.py) with the same harness as the browser tests
(tests/e2e/harness.py: ``streamlit run`` on a free 127.0.0.1 port, Debian's chromium
with host resolution limited to this machine) and measures

* cold load: from starting the server process to the Map page's Leaflet map being
  visible (the browser is launched before the server, so its start-up is not counted;
  map overlays cached under static/overlays are reused if present), and to the models
  being loaded (they load after the map is drawn; the sidebar's model choice appears then;
  the clicks start after it);
* for K clicks at K land places spread over the world: from the mouse click to the first
  generated image of the NEW place being loaded and displayed (the subheader must show
  the clicked place and the image's URL must be one not shown before the click);
* where each click's time goes: the server's stage timers (``GEOGAN_TIMINGS``, see
  ``geogan_core.timing``: script or fragment runs, map serialisation, patch, generation,
  votes, nearest photos, image encoding) that started after the click, and on the browser's
  side the time before the server's first run started (the component's send, the
  websocket) and after its generated-views part ended (transfer, layout and image decode).

Only 127.0.0.1 is contacted; the script fails if the page requested anything else.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from geogan_core.errors import exit_status

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests" / "e2e"))

from harness import (  # noqa: E402
    CHROMIUM,
    STREAMLIT_PROBE_RE,
    chromium_page,
    generated_images,
    pick_map_point,
    read_place,
    streamlit_app,
    wait_for_map,
    wait_for_new_images,
    wait_for_place,
)

# Land places spread over the continents (away from the big photo clusters where possible).
PLACES = [
    (23.0, 10.0),  # Sahara, Algeria
    (-24.0, 133.0),  # central Australia
    (62.0, 100.0),  # central Siberia
    (40.0, -100.0),  # Great Plains, USA
    (-5.0, -62.0),  # Amazonas, Brazil
    (47.0, 68.0),  # Kazakhstan
    (-2.0, 23.0),  # Congo basin
    (33.0, 88.0),  # Tibet
    (24.0, -103.0),  # Durango, Mexico
    (-31.0, 22.0),  # Karoo, South Africa
    (23.0, 45.0),  # Saudi Arabia
    (65.0, 17.0),  # Lapland, Sweden
    (-38.0, -67.0),  # Patagonia, Argentina
    (56.0, -115.0),  # Alberta, Canada
    (22.0, 79.0),  # Madhya Pradesh, India
    (46.0, 103.0),  # Mongolia
    (12.0, 0.0),  # Burkina Faso
    (32.0, 55.0),  # Iran
    (-12.0, -47.0),  # Tocantins, Brazil
    (64.0, -150.0),  # interior Alaska
    (35.0, 105.0),  # Gansu, China
    (-20.0, 17.0),  # Namibia
    (8.0, 38.0),  # Ethiopian highlands
    (49.0, 32.0),  # Ukraine
]


def places(k: int) -> list[tuple[float, float]]:
    """``k`` places: the list above, shifted by a degree on each further pass."""
    return [(PLACES[i % len(PLACES)][0] + i // len(PLACES), PLACES[i % len(PLACES)][1] + i // len(PLACES))
            for i in range(k)]


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default), ``q`` in 0..100."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def machine() -> str:
    """CPU, memory, load and browser of this machine, in words."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
        mem = f", {mem_kb / 2**20:.0f} GiB RAM"
    except (OSError, TypeError):
        mem = ""
    load = ", load average {:.2f}/{:.2f}/{:.2f} at start".format(*os.getloadavg())
    try:
        chromium = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=20,
                                  check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        chromium = "chromium (version unknown)"
    return f"{os.cpu_count()} CPUs ({cpu}){mem}{load}; {platform.system()} {platform.release()}; {chromium}"


def stages_since(timings: Path, start: float, end: float) -> dict[str, float]:
    """Seconds per server stage that started in ``[start, end]`` (wall clock), summed by name."""
    out: dict[str, float] = {}
    if not timings.is_file():
        return out
    for line in timings.read_text().splitlines():
        rec = json.loads(line)
        if start <= rec["start"] <= end:
            out[rec["stage"]] = round(out.get(rec["stage"], 0.0) + rec["seconds"], 4)
    return out


def breakdown(timings: Path, click_wall: float, shown_wall: float, next_click: float) -> dict[str, float]:
    """One click's time by stage: the server's timers, and the browser's share before and after them.

    Stages count when they start between this click and the next one (the votes and photos are
    computed after the views are shown); read once every run has ended (a timer is written at its end).
    """
    stages = stages_since(timings, click_wall, next_click)
    recs = [json.loads(line) for line in timings.read_text().splitlines()] if timings.is_file() else []
    runs = [r for r in recs if r["stage"] == "fragment run" and click_wall <= r["start"] <= shown_wall]
    if runs:
        first = min(r["start"] for r in runs)
        stages["browser: click to server run start"] = round(first - click_wall, 4)
        gen = [r for r in recs if r["stage"] == "image encoding" and first <= r["start"] <= shown_wall]
        if gen:  # the generated views' encoding ends just before they are sent
            sent = gen[0]["start"] + gen[0]["seconds"]
            stages["browser: views sent to views shown"] = round(shown_wall - sent, 4)
    return stages


def run(clicks: int, log_dir: Path, timeout_ms: float) -> dict:
    """Start the app and a browser, load the Map page and click ``clicks`` places."""
    overlays_cached = any((REPO_ROOT / "static" / "overlays").glob("*/*"))
    result: dict = {"machine": machine(), "overlays_cached_at_start": overlays_cached}
    timings = log_dir / "timings.jsonl"
    with chromium_page(default_timeout_ms=timeout_ms) as page:
        page.goto("about:blank")  # the browser is up before the server starts
        with streamlit_app("app.py", log_dir / "streamlit.log", env={"GEOGAN_TIMINGS": str(timings)}) as server:
            healthy = time.monotonic()
            page.goto(f"{server.base_url}/Map", wait_until="domcontentloaded")
            wait_for_map(page, timeout_ms=timeout_ms)
            map_visible = time.monotonic()
            result["cold_load_s"] = round(map_visible - server.started_at, 3)
            result["server_healthy_s"] = round(healthy - server.started_at, 3)
            # the models load after the map is drawn; the sidebar's model choice comes once they are in
            page.get_by_role("radiogroup").first.wait_for(state="visible", timeout=timeout_ms)
            result["models_ready_s"] = round(time.monotonic() - server.started_at, 3)

            times: list[float] = []
            details: list[dict] = []
            walls: list[float] = []
            for lat, lon in places(clicks):
                before = generated_images(page)
                old_srcs = [img["src"] for img in before["imgs"]] if before else []
                click = pick_map_point(page, lat, lon)
                click_wall = time.time()
                page.mouse.click(click.x, click.y)
                wait_for_place(page, click.lat, click.lon, tol_deg=0.01, timeout_ms=timeout_ms)
                shown_at = wait_for_new_images(page, old_srcs, count=1, timeout_ms=timeout_ms)["shown_at"]
                seconds = shown_at - click_wall  # the page's own clock: when the image was first shown
                times.append(seconds)
                walls.append(click_wall)
                shown = read_place(page)
                details.append({"target": [lat, lon], "lat": round(click.lat, 4), "lon": round(click.lon, 4),
                                "shift_px": click.shift_px, "place": shown[2] if shown else None,
                                "s": round(seconds, 3)})
                print(f"  click {len(times):2d}: {click.lat:8.3f} {click.lon:9.3f}  {seconds:6.3f}s  "
                      f"{shown[2] if shown else '?'}", flush=True)
            time.sleep(2.0)  # the last click's votes and photos: its run's timer is written when it ends
            for i, d in enumerate(details):
                d["stages_s"] = breakdown(timings, walls[i], walls[i] + times[i],
                                          walls[i + 1] if i + 1 < len(walls) else time.time())

            result["click_to_image_s"] = {
                "median": round(statistics.median(times), 3),
                "p95": round(percentile(times, 95), 3),
                "n": len(times),
                "all": [round(t, 3) for t in times],
            }
            result["clicks"] = details
            names = sorted({k for d in details for k in d["stages_s"]})
            result["stages_median_s"] = {k: round(statistics.median(d["stages_s"].get(k, 0.0) for d in details), 4)
                                         for k in names}
            result["external_requests"] = list(page.external_requests)
            result["console_errors"] = [e["text"] for e in page.console_error_details
                                        if not STREAMLIT_PROBE_RE.match(e["url"])]
    return result


def save_result(result: dict, path: Path | None) -> None:
    """Write a benchmark's result as JSON when a path was given (the browser benchmarks share it)."""
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"  written to {path}")


def finish(result: dict, path: Path | None) -> int:
    """Save the result; 1 (with a message) when the page requested a host other than 127.0.0.1, else 0."""
    save_result(result, path)
    if result["external_requests"]:
        print(f"ERROR: requests left 127.0.0.1: {result['external_requests']}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=20, help="places to click (default 20)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for any one step")
    args = parser.parse_args(argv)
    if args.clicks < 1:
        parser.error("--clicks must be at least 1")

    with tempfile.TemporaryDirectory(prefix="map-latency-") as tmp:
        result = run(args.clicks, Path(tmp), args.timeout * 1000)

    c = result["click_to_image_s"]
    print(f"\nMap page latency ({result['machine']})")
    print(f"  {'cold load (server start -> map visible)':44s} {result['cold_load_s']:7.2f} s"
          f"  (overlays cached: {result['overlays_cached_at_start']})")
    print(f"  {'server start -> models loaded (sidebar)':44s} {result['models_ready_s']:7.2f} s")
    print(f"  {'click -> first new generated image, median':44s} {c['median']:7.2f} s  (n={c['n']})")
    print(f"  {'click -> first new generated image, p95':44s} {c['p95']:7.2f} s")
    print(f"  {'click -> first new generated image, min/max':44s} {min(c['all']):7.2f} / {max(c['all']):.2f} s")
    print("  median per stage (server timers; browser shares before and after them):")
    for name, s in result["stages_median_s"].items():
        print(f"    {name:42s} {1000 * s:7.1f} ms")
    if finish(result, args.json):
        return 1
    if result["console_errors"]:
        print(f"warning: browser console errors: {result['console_errors']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(exit_status(main))
