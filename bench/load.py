"""Load test at the server: simulated sessions that speak Streamlit's protocol, one real browser beside them.

    .venv/bin/python bench/load.py --sessions 1 5 10 20 --seconds 60 --think 0 --json bench/load.json
    .venv/bin/python bench/load.py --processes 2 --sessions 20 --think 2 --json bench/load-proxy.json
    .venv/bin/python bench/load.py --check-browser 20 --json bench/load-check.json

Starts the real app (app.py) once with the browser tests' harness (tests/e2e/harness.py:
``streamlit run`` on a free 127.0.0.1 port), or ``--processes N`` of them behind nginx with session
affinity (bench/proxy.py), opens the Map and Latent pages once to warm it up, and then measures
each ``--sessions`` count in turn for ``--seconds``:

* the simulated sessions (bench/streamlit_client.py: the websocket stream and the ``BackMsg`` /
  ``ForwardMsg`` classes of the ``streamlit`` package, all in this process's event loop): odd
  ones click land places on the Map page (the click component's value, key "map"; every click a
  place no session clicked before), even ones move the Latent page's edit sliders one step
  (those in its columns, not in a collapsed expander; bouncing at the ends). Each step times the
  first generated image message (the Map's "N generated ground views", the Latent page's "Edited
  views") and the end of the run, and checks that the value reached the script (the Map's
  subheader names the clicked place; the Latent query string holds the slider's new value);
* one headless Chromium session beside them (a process of its own, Playwright), clicking Map
  places as a person does: mouse click to the new place's first image on screen.

Steps follow each other as soon as the run ended (a closed loop) or ``--think`` seconds apart
(people looking at each result). The window starts when every session has its page open, or
``--warm-up`` seconds of load later (the caches of place reports and renders fill first). A step
begun before the end of the window is finished; every wait is bounded by ``--timeout``. Errors: a
step that failed or timed out, a check that failed, an exception or error alert on the page, for
the browser also a failed local request or any request to another host. For each count it reports,
over the steps begun in the window, p50/p95 per action, the errors, the CPU seconds of the server,
of this generator and of the browser, the server's memory (summed RSS of its processes, from /proc)
when every session had its page open ("open"), at the window's start ("warm": the same without a
warm-up), halfway ("mid"), at its end ("end") and its peak, each also as its heap alone
(``RssAnon``: RSS also counts the pages of mapped files that were read, such as the photo cache's
views), and the server's stage timers (``GEOGAN_TIMINGS``).

``--check-browser K`` checks the generator against the browser, side by side: K clicks each,
alternating, every click a new place. In the browser a script logs the websocket's messages, so each
click is split in three: to the frontend's request, to the generated views' message (what the
generator times: they should match), and to the first view on screen (drawing, which the generator
cannot see). It reports the medians and the difference between the two views' messages.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

from geogan_core.errors import exit_status

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests" / "e2e"))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from harness import (  # noqa: E402
    STREAMLIT_PROBE_RE,
    chromium_page,
    generated_images,
    pick_map_point,
    streamlit_app,
    wait_for_map,
    wait_for_new_images,
    wait_for_place,
)
from map_latency import PLACES, machine, percentile, save_result  # noqa: E402
from proxy import apps_behind_proxy  # noqa: E402
from streamlit_client import ProtocolError, Session, json_state, slider_state  # noqa: E402

GENERATED = r"^\*\*\d+ generated ground views"  # the markdown above the Map page's generated views
EDITED = r"^\*\*Edited views"  # the markdown above the Latent page's edited views
LATENT_PLACES = [(55.75, 37.62), (-25.0, 133.0), (38.5, -98.0), (16.0, 8.0), (-3.1, -60.0), (46.6, 8.0)]
SAMPLE_EVERY_S = 2.0
MAX_STEPS = 100_000  # per session and window: the deadline ends a window long before


def load_place(session: int, step: int) -> tuple[float, float]:
    """A land place for a session's step, never the same twice: a base place of ``map_latency.PLACES``
    moved up to 2 degrees along a low-discrepancy sequence (so no click hits another's cached report)."""
    k = session * 10_007 + step
    lat, lon = PLACES[k % len(PLACES)]
    return (round(lat + 4 * ((k * 0.6180339887) % 1) - 2, 4), round(lon + 4 * ((k * 0.4142135624) % 1) - 2, 4))


# --- the server's processes in /proc: memory and CPU ---


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process now on the machine."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the command name may hold spaces or ")"
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_pids(pids: list[int]) -> list[int]:
    """``pids`` and all their descendants."""
    tree, todo, out = _children(), list(pids), []
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


def tree_rss_mib(pids: list[int], kind: str = "VmRSS") -> float:
    """Summed RSS (MiB) of ``pids`` and all their descendants: all of it (``VmRSS``) or one part of it
    (``RssAnon``: the heap; ``RssFile``: mapped files, such as the photo cache's memory-mapped views)."""
    total_kb = 0
    for p in tree_pids(pids):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(f"{kind}:"):
                    total_kb += int(line.split()[1])
                    break
    return round(total_kb / 1024, 1)


def tree_cpu_s(pids: list[int]) -> float:
    """CPU seconds so far of ``pids`` and their descendants (those still alive)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for p in tree_pids(pids):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (all but idle and iowait, /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU seconds of this process (the generator's event loop and its /proc sampling)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def stage_stats(timings: Path, start: float, end: float) -> dict[str, dict]:
    """The server's stage timers (``GEOGAN_TIMINGS``) that began in ``[start, end]``: n, p50, p95 per stage."""
    per: dict[str, list[float]] = {}
    if timings.is_file():
        for line in timings.read_text().splitlines():
            rec = json.loads(line)
            if start <= rec["start"] <= end:
                per.setdefault(rec["stage"], []).append(rec["seconds"])
    return {k: {"n": len(v), "p50": round(percentile(v, 50), 4), "p95": round(percentile(v, 95), 4),
                "total_s": round(sum(v), 2)} for k, v in sorted(per.items())}


def stats(xs: list[float]) -> dict:
    """n, p50, p95, min and max of some seconds."""
    if not xs:
        return {"n": 0}
    return {"n": len(xs), "p50": round(percentile(xs, 50), 3), "p95": round(percentile(xs, 95), 3),
            "min": round(min(xs), 3), "max": round(max(xs), 3)}


# --- the simulated sessions (this process, one event loop) ---


async def map_step(s: Session, target: tuple[float, float]) -> dict:
    """Click ``target`` on the Map page: the click component's value, as the map's frontend sends it."""
    widget = s.find("component_instance", key="map")
    lat, lon = target
    run = await s.change(widget, json_state(widget.id, {"lat": lat, "lng": lon, "at": int(time.time() * 1000)}),
                         image_after=GENERATED)
    shown = f"{lat:.4f}, {lon:.4f}: "
    if not any(t.startswith(shown) for t in run.texts):
        run.errors.append(f"the page did not show the clicked place {shown!r}")
    if run.first_image_s is None:
        run.errors.append("no generated image came")
    return {"first_image_s": run.first_image_s, "end_s": run.end_s, "errors": run.errors, "what": shown[:-2]}


async def latent_step(s: Session, k: int, directions: dict[str, int]) -> dict:
    """Move the ``k``-th edit slider (cyclically) one step, bouncing at the ends."""
    sliders = sorted((w for w in s.widgets.values() if w.kind == "slider" and w.path[0] == 0
                      and s.inside(w, "column") and not s.inside(w, "expandable")), key=lambda w: w.path)
    if not sliders:
        raise ProtocolError("no edit sliders in the Latent page's columns")
    w = sliders[k % len(sliders)]
    value, sign = s.value(w), directions.get(w.id, 1)
    if not w.proto.min <= value + sign * w.proto.step <= w.proto.max:
        sign = -sign
    directions[w.id] = sign
    new = round(value + sign * w.proto.step, 9)
    run = await s.change(w, slider_state(w.id, new), image_after=EDITED)
    in_url = f"{w.key}={new:g}" in s.query_string.split("&")
    if in_url != (new != 0):
        run.errors.append(f"the page's query string {s.query_string!r} does not say {w.key}={new:g}")
    if run.first_image_s is None:
        run.errors.append("no edited image came")
    return {"first_image_s": run.first_image_s, "end_s": run.end_s, "errors": run.errors,
            "what": f"{w.label} {value:g} -> {new:g}"}


async def simulated_session(index: int, base_url: str, ready: asyncio.Queue, go: asyncio.Event,
                            deadline: list[float], think_s: float, timeout_s: float) -> dict:
    """One simulated session: open its page, report ready, then step until the deadline."""
    kind = "map" if index % 2 else "latent"
    result: dict = {"session": index, "kind": kind, "steps": [], "errors": []}
    s = Session(base_url, timeout_s)
    directions: dict[str, int] = {}
    try:
        if kind == "map":
            await s.open("Map")
        else:
            lat, lon = LATENT_PLACES[(index // 2 - 1) % len(LATENT_PLACES)]
            await s.open("Latent", f"lat={lat}&lon={lon}&seed={index // 2 - 1}", image_after=EDITED)
    except (ProtocolError, OSError) as e:
        result["errors"].append(f"opening the {kind} page: {e}")
    await ready.put(index)
    if result["errors"]:
        await s.close()
        return result
    await go.wait()
    for k in range(MAX_STEPS):
        if time.time() >= deadline[0]:
            break
        try:
            started = time.time()
            step = await (map_step(s, load_place(index, k)) if kind == "map" else latent_step(s, k, directions))
            result["steps"].append({"started": started, **{key: step[key] for key in ("first_image_s", "end_s",
                                                                                       "what")}})
            result["errors"] += [f"step {k + 1} ({step['what']}): {e}" for e in step["errors"]]
        except (ProtocolError, KeyError, OSError) as e:
            result["errors"].append(f"step {k + 1}: {type(e).__name__}: {e}")
            break  # the session's state is unknown: it stops, its error counts
        if think_s > 0:
            await asyncio.sleep(max(0.0, min(think_s, deadline[0] - time.time())))
    await s.close()
    return result


# --- the browser beside them (a process of its own: Playwright's sync API) ---


def browser_click(page, target: tuple[float, float], timeout_ms: float) -> dict:
    """Click ``target`` on the map in Chromium; time the click to the new place's first image on screen."""
    before = generated_images(page)
    old_srcs = [img["src"] for img in before["imgs"]] if before else []
    click = pick_map_point(page, *target)
    start = time.time()
    page.mouse.click(click.x, click.y)
    wait_for_place(page, click.lat, click.lon, tol_deg=0.01, timeout_ms=timeout_ms)
    shown = wait_for_new_images(page, old_srcs, count=1, timeout_ms=timeout_ms)["shown_at"]
    return {"s": round(shown - start, 3), "what": f"{click.lat:.3f}, {click.lon:.3f}", "clicked_at": start,
            "shown_at": shown}


def browser_session(base_url: str, go, deadline, think_s: float, timeout_s: float, out) -> None:
    """One Chromium session on the Map page: ready, then clicks until the deadline (or ``go`` says how many)."""
    result: dict = {"steps": [], "errors": []}
    timeout_ms = timeout_s * 1000
    ready_sent = False
    try:
        with chromium_page(default_timeout_ms=timeout_ms) as page:
            page.goto(f"{base_url}/Map", wait_until="domcontentloaded")
            wait_for_map(page, timeout_ms=timeout_ms)
            out.put(("ready", None))
            ready_sent = True
            if not go.wait(timeout=3600):
                raise TimeoutError("never started")
            for k in range(MAX_STEPS):
                if time.time() >= deadline.value:
                    break
                try:
                    step = browser_click(page, load_place(999, k), timeout_ms)
                    result["steps"].append({"s": step["s"], "what": step["what"], "started": step["clicked_at"]})
                except Exception as exc:
                    result["errors"].append(f"step {k + 1}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
                    page.goto(f"{base_url}/Map", wait_until="domcontentloaded")
                    wait_for_map(page, timeout_ms=timeout_ms)
                if page.locator('[data-testid="stException"]').count():
                    result["errors"].append(f"step {k + 1}: an exception on the page")
                if think_s > 0 and time.time() < deadline.value:
                    page.wait_for_timeout(1000 * min(think_s, max(0.0, deadline.value - time.time())))
            result["errors"] += [f"request to another host: {u}" for u in page.external_requests]
            result["errors"] += [f"failed local request: {f}" for f in page.failed_requests
                                 if not (f.startswith("net::ERR_ABORTED") or STREAMLIT_PROBE_RE.match(f.split()[-1]))]
    except Exception as exc:
        result["errors"].append(f"browser session: {type(exc).__name__}: {exc}\n{traceback.format_exc()[-1000:]}")
        if not ready_sent:
            out.put(("ready", None))
    out.put(("done", result))


@contextlib.contextmanager
def browser_beside(base_url: str, think_s: float, timeout_s: float) -> Iterator[tuple]:
    """A Chromium session process that has its Map page open: yields (go, deadline, out, pid)."""
    ctx = mp.get_context("spawn")
    go, deadline, out = ctx.Event(), ctx.Value("d", 0.0), ctx.Queue()
    proc = ctx.Process(target=browser_session, args=(base_url, go, deadline, think_s, timeout_s, out),
                       name="chromium-session")
    proc.start()
    try:
        what, _ = out.get(timeout=timeout_s + 60)
        assert what == "ready"
        yield go, deadline, out, proc.pid
    finally:
        proc.join(timeout=timeout_s + 30)
        if proc.is_alive():
            proc.kill()


# --- one point of the curve ---


async def _point(base_url: str, sessions: int, seconds: float, think_s: float, timeout_s: float,
                 server_pids: list[int], timings: Path, browser: tuple | None, warm_up_s: float = 0.0) -> dict:
    """``sessions`` simulated sessions (and the browser, if any) for ``warm_up_s`` and then ``seconds``; the
    second part measured (steps that began in it, CPU, memory), and the memory when the pages were open."""
    ready: asyncio.Queue = asyncio.Queue()
    go, deadline = asyncio.Event(), [math.inf]
    tasks = [asyncio.create_task(simulated_session(i, base_url, ready, go, deadline, think_s, timeout_s))
             for i in range(1, sessions + 1)]
    for _ in range(sessions):
        await asyncio.wait_for(ready.get(), 2 * timeout_s + 60)
    memory = {"open": tree_rss_mib(server_pids), "open_anon": tree_rss_mib(server_pids, "RssAnon")}
    browser_pids = [browser[3]] if browser else []
    start = time.time() + warm_up_s
    deadline[0] = start + seconds
    if browser:
        browser[1].value = deadline[0]
        browser[0].set()
    go.set()
    peak = memory["open"]
    while time.time() < start:  # the warm-up
        await asyncio.sleep(min(SAMPLE_EVERY_S, max(0.05, start - time.time())))
        peak = max(peak, tree_rss_mib(server_pids))
    memory["warm"], memory["warm_anon"] = tree_rss_mib(server_pids), tree_rss_mib(server_pids, "RssAnon")
    cpu0 = (tree_cpu_s(server_pids), own_cpu_s(), tree_cpu_s(browser_pids), machine_busy_s())
    per_process0 = [tree_cpu_s([p]) for p in server_pids]
    while time.time() < deadline[0]:
        await asyncio.sleep(min(SAMPLE_EVERY_S, max(0.05, deadline[0] - time.time())))
        rss = tree_rss_mib(server_pids)
        peak = max(peak, rss)
        if "mid" not in memory and time.time() >= start + seconds / 2:
            memory["mid"], memory["mid_anon"] = rss, tree_rss_mib(server_pids, "RssAnon")
    memory["end"], memory["end_anon"] = tree_rss_mib(server_pids), tree_rss_mib(server_pids, "RssAnon")
    cpu1 = (tree_cpu_s(server_pids), own_cpu_s(), tree_cpu_s(browser_pids), machine_busy_s())
    per_process = [round(tree_cpu_s([p]) - c, 1) for p, c in zip(server_pids, per_process0, strict=True)]
    window = time.time() - start
    results = await asyncio.wait_for(asyncio.gather(*tasks), 2 * timeout_s + 60)  # steps in flight finish
    memory["peak"] = max(peak, tree_rss_mib(server_pids))
    server, generator, chromium, busy = (b - a for a, b in zip(cpu0, cpu1, strict=True))
    cpu = {"window_s": round(window, 1), "available": round(window * (os.cpu_count() or 1), 1),
           "server": round(server, 1), "generator": round(generator, 1), "browser": round(chromium, 1),
           "rest": round(busy - server - generator - chromium, 1), "server_by_process": per_process}
    return {"sessions": sessions, "results": results, "memory_mib": memory, "cpu_s": cpu, "warm_up_s": warm_up_s,
            "window_start": start, "server_stages_s": stage_stats(timings, start, start + window)}


def summarize_point(point: dict, browser_result: dict | None) -> dict:
    """Per action, over the steps that began in the window: p50/p95 of the first image and of the run's end;
    the errors (warm-up included)."""
    out = {k: point[k] for k in ("sessions", "memory_mib", "cpu_s", "server_stages_s", "warm_up_s")}
    errors: list[str] = []
    for kind, action in (("map", "click"), ("latent", "slider")):
        steps = [st for r in point["results"] if r["kind"] == kind for st in r["steps"]
                 if st["started"] >= point["window_start"]]
        out[f"{action}_first_image_s"] = stats([st["first_image_s"] for st in steps if st["first_image_s"]])
        out[f"{action}_end_s"] = stats([st["end_s"] for st in steps if st["end_s"]])
    for r in point["results"]:
        errors += [f"session {r['session']} ({r['kind']}): {e}" for e in r["errors"]]
    if browser_result is not None:
        out["browser_click_s"] = stats([st["s"] for st in browser_result["steps"]
                                        if st["started"] >= point["window_start"]])
        errors += [f"browser: {e}" for e in browser_result["errors"]]
    out["errors"] = errors
    return out


def run(sessions: list[int], seconds: float, think_s: float, timeout_s: float, processes: int, browser: bool,
        log_dir: Path, warm_up_s: float = 0.0) -> dict:
    """Start the app (or ``processes`` of them behind nginx), warm it up, and measure every count."""
    result: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "seconds": seconds, "think_s": think_s, "timeout_s": timeout_s, "processes": processes,
                    "browser_beside": browser, "points": []}
    timings = log_dir / "timings.jsonl"
    env = {"GEOGAN_TIMINGS": str(timings)}
    with apps_behind_proxy(processes, log_dir, env) if processes > 1 else streamlit_app(
            "app.py", log_dir / "streamlit.log", env=env) as server:
        base_url = server.base_url
        pids = server.pids if processes > 1 else [server.proc.pid]
        for warm in range(max(1, processes)):  # every process opens its pages once
            asyncio.run(_warm_up(base_url, timeout_s, warm))
        for n in sessions:
            print(f"{n} simulated session(s){' and a browser' if browser else ''}, {seconds:g} s, think "
                  f"{think_s:g} s ...", flush=True)
            with browser_beside(base_url, think_s, timeout_s) if browser else contextlib.nullcontext() as b:
                point = asyncio.run(_point(base_url, n, seconds, think_s, timeout_s, pids, timings, b, warm_up_s))
                browser_result = b[2].get(timeout=2 * timeout_s + 60)[1] if b else None
            summary = summarize_point(point, browser_result)
            result["points"].append(summary)
            print_point(summary)
        result["server_alive_after"] = all(p.poll() is None for p in (server.procs if processes > 1
                                                                        else [server.proc]))
    return result


async def _warm_up(base_url: str, timeout_s: float, k: int) -> None:
    """Open the Map page and click once, open the Latent page: the first runs load models and caches."""
    s = Session(base_url, timeout_s)
    await s.open("Map")
    await map_step(s, load_place(10_000 + k, 0))
    await s.close()
    s = Session(base_url, timeout_s)
    await s.open("Latent", image_after=EDITED)
    await s.close()


def print_point(p: dict) -> None:
    """One count's summary on the terminal."""
    def lat(v: dict) -> str:
        return f"{v['p50']:6.2f} / {v['p95']:6.2f} s (n={v['n']})" if v.get("n") else "      - /      - s"

    print(f"  click: first image {lat(p['click_first_image_s'])}, end {lat(p['click_end_s'])}")
    print(f"  slider: first image {lat(p['slider_first_image_s'])}, end {lat(p['slider_end_s'])}")
    if "browser_click_s" in p:
        print(f"  browser click: {lat(p['browser_click_s'])}")
    cpu, mem = p["cpu_s"], p["memory_mib"]
    print(f"  errors {len(p['errors'])}; CPU s server {cpu['server']}, generator {cpu['generator']}, browser "
          f"{cpu['browser']}, rest {cpu['rest']} of {cpu['available']}; memory pages open {mem['open']}, warm "
          f"{mem['warm']}, mid "
          f"{mem.get('mid')}, end {mem['end']}, peak {mem['peak']} MiB (heap: {mem['warm_anon']}, "
          f"{mem.get('mid_anon')}, {mem['end_anon']})")
    for name, st in p["server_stages_s"].items():
        print(f"    server {name:28s} p50 {st['p50']:7.3f}  p95 {st['p95']:7.3f} s  (n={st['n']})")
    for e in p["errors"][:10]:
        print(f"  ERROR {e}")


# --- the generator against the browser, side by side ---

# In the page: the wall-clock time (ms) of every websocket message Streamlit's frontend sends ("out") and
# receives ("in"), and for a received one whether it holds the Map's "generated ground views" text or an image
# (a data URI): the first image after that text is the generated views' message, as the generator times it.
_WS_LOG_JS = """(() => {
  const log = [], text = new TextDecoder("latin1"), now = () => performance.timeOrigin + performance.now();
  window.__wsLog = log;
  class Logged extends window.WebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (ev) => {
        const s = ev.data instanceof ArrayBuffer ? text.decode(ev.data) : "";
        log.push({t: now(), dir: "in", views: s.includes("generated ground views"), image: s.includes("data:image/")});
        if (log.length > 1000) log.shift();
      });
    }
    send(data) { log.push({t: now(), dir: "out"}); return super.send(data); }
  }
  window.WebSocket = Logged;
})();"""


def browser_message_times(log: list[dict], clicked_at: float) -> tuple[float, float]:
    """From the page's websocket log: seconds from a click to the frontend's request, and to the views' message.

    Raises:
        ProtocolError: If the log has no request or no generated views' message after the click.
    """
    sent = next((e["t"] / 1000 for e in log if e["dir"] == "out" and e["t"] / 1000 >= clicked_at), None)
    if sent is None:
        raise ProtocolError("the page sent nothing after the click")
    armed, image = False, None
    for e in log:
        if e["dir"] == "in" and e["t"] / 1000 >= sent:
            armed = armed or e["views"]
            if armed and e["image"] and not e["views"]:
                image = e["t"] / 1000
                break
    if image is None:
        raise ProtocolError("no generated views' message after the click")
    return sent - clicked_at, image - clicked_at


def server_marks(timings: Path, since: float) -> tuple[float, float]:
    """Seconds from ``since`` (wall clock) to the server's next fragment run start, and to the end of that run's
    first image encoding (the generated views, just before they are sent)."""
    recs = [json.loads(line) for line in timings.read_text().splitlines()]
    start = min(r["start"] for r in recs if r["stage"] == "fragment run" and r["start"] >= since)
    encoded = min(r["start"] + r["seconds"] for r in recs if r["stage"] == "image encoding" and r["start"] >= start)
    return start - since, encoded - since


def check_browser(clicks: int, timeout_s: float, log_dir: Path) -> dict:
    """On a quiet server: ``clicks`` Map clicks by the browser and by a simulated session, alternating.

    For the browser: click to the frontend's request, to the views' message, to the first view on screen; for
    both, the server's stage timers: to the fragment run's start and to the views' encoding.
    """
    result: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "clicks": clicks}
    generator: list[float] = []
    times: dict[str, list[float]] = {k: [] for k in ("request", "message", "screen", "run", "encoded", "g_run",
                                                     "g_encoded")}
    timings = log_dir / "timings.jsonl"
    # Playwright's sync API holds this thread's event loop: the simulated session runs in a loop of its own
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="generator", daemon=True)
    thread.start()

    def in_loop(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(2 * timeout_s)

    with streamlit_app("app.py", log_dir / "streamlit.log", env={"GEOGAN_TIMINGS": str(timings)}) as server, \
            chromium_page(default_timeout_ms=timeout_s * 1000) as page:
        in_loop(_warm_up(server.base_url, timeout_s, 0))
        page.add_init_script(_WS_LOG_JS)
        page.goto(f"{server.base_url}/Map", wait_until="domcontentloaded")
        wait_for_map(page, timeout_ms=timeout_s * 1000)
        s = Session(server.base_url, timeout_s)
        in_loop(s.open("Map"))
        for k in range(clicks):
            click = browser_click(page, load_place(2000, k), timeout_s * 1000)
            request, message = browser_message_times(page.evaluate("() => window.__wsLog"), click["clicked_at"])
            for name, v in (("request", request), ("message", message), ("screen", click["s"])):
                times[name].append(v)
            time.sleep(1.0)  # the votes of the click before end: a quiet server for the next
            sent = time.time()
            step = in_loop(map_step(s, load_place(2001, k)))
            if step["errors"]:
                raise ProtocolError(f"click {k + 1}: {step['errors']}")
            generator.append(step["first_image_s"])
            time.sleep(1.0)  # every stage timer of both clicks is written
            for (run, encoded), (a, b) in ((server_marks(timings, click["clicked_at"]), ("run", "encoded")),
                                           (server_marks(timings, sent), ("g_run", "g_encoded"))):
                times[a].append(run)
                times[b].append(encoded)
            print(f"  click {k + 1:2d}: browser request {request:.3f} s, server run {times['run'][-1]:.3f} s, views "
                  f"encoded {times['encoded'][-1]:.3f} s, views' message {message:.3f} s, on screen {click['s']:.3f} "
                  f"s; generator: server run {times['g_run'][-1]:.3f} s, views encoded {times['g_encoded'][-1]:.3f} "
                  f"s, views' message {generator[-1]:.3f} s", flush=True)
        in_loop(s.close())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    result["browser_request_s"], result["browser_message_s"] = stats(times["request"]), stats(times["message"])
    result["browser_server_run_s"], result["browser_views_encoded_s"] = stats(times["run"]), stats(times["encoded"])
    result["generator_server_run_s"] = stats(times["g_run"])
    result["generator_views_encoded_s"] = stats(times["g_encoded"])
    result["browser_s"], result["generator_s"] = stats(times["screen"]), stats(generator)
    result["median_difference_s"] = round(result["browser_message_s"]["p50"] - result["generator_s"]["p50"], 3)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[5], help="simulated session counts (default 5)")
    parser.add_argument("--seconds", type=float, default=60.0, help="window per count (default 60)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds each session waits after a step (default 0: back to back)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds any one step may take (default 60)")
    parser.add_argument("--warm-up", type=float, default=0.0,
                        help="seconds of load before each window, not measured (default 0: the window starts when "
                             "every session has its page open)")
    parser.add_argument("--processes", type=int, default=1, help="app processes behind nginx (default 1: no proxy)")
    parser.add_argument("--no-browser", action="store_true", help="no Chromium session beside the simulated ones")
    parser.add_argument("--check-browser", type=int, metavar="K",
                        help="instead: K clicks each by the browser and by the generator, on a quiet server")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    if min(args.sessions) < 1 or args.seconds <= 0 or min(args.think, args.warm_up) < 0 or args.processes < 1:
        parser.error("--sessions and --processes must be at least 1, --seconds positive, --think and --warm-up "
                     "0 or more")

    with tempfile.TemporaryDirectory(prefix="load-") as tmp:
        if args.check_browser:
            result = check_browser(args.check_browser, args.timeout, Path(tmp))
            print(f"browser: click to views' message {result['browser_message_s']}, to the screen "
                  f"{result['browser_s']}\ngenerator: request to views' message {result['generator_s']}\n"
                  f"medians of the views' message: browser minus generator {result['median_difference_s']:+.3f} s")
            save_result(result, args.json)
            return 0
        result = run(args.sessions, args.seconds, args.think, args.timeout, args.processes, not args.no_browser,
                     Path(tmp), args.warm_up)
    save_result(result, args.json)
    errors = sum(len(p["errors"]) for p in result["points"]) + (not result["server_alive_after"])
    if errors:
        print(f"ERRORS: {errors} (see the lines above and --json)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(exit_status(main))
