"""Load test in real browsers: N concurrent Chromium sessions on the Map and Latent pages.

    .venv/bin/python bench/load.py --sessions 5 --minutes 2 --json bench/load.json

Starts the real app (app.py) once with the same harness as the browser tests
(tests/e2e/harness.py: ``streamlit run`` on a free 127.0.0.1 port, Debian's chromium
with host resolution limited to this machine), loads the Map page once, and then runs
``--sessions`` headless Chromium sessions at the same time, one process each (Playwright's
sync API must not be shared between threads), for ``--minutes``:

* odd sessions (1, 3, 5, ...) click land places on the Map page, each session starting
  at a different place of ``map_latency.places()``, and time the mouse click to the first
  generated image of the NEW place being loaded and displayed (as bench/map_latency.py);
* even sessions (2, 4, ...) open the Latent page (each at its own place and seed) and
  move the physical-edit sliders one step with the keyboard (focus the thumb, ArrowRight
  or ArrowLeft), timing the key press to the first new image under "Edited views".

Steps follow each other at once (a closed loop: the five sessions keep the 2 cores saturated),
or ``--think`` seconds apart, as people who look at each result before the next click.
A step begun before the end of the window is finished. Errors (the script exits 1 when
there is any): a step that timed out or failed, a ``stException`` on the page, a request
to any host but 127.0.0.1, a failed local request (4xx/5xx or a network error) other than
``net::ERR_ABORTED`` (a navigation cancelling loads in flight) and Streamlit's own
base-path probes (see ``harness.STREAMLIT_PROBE_RE``). Over the window it also reports the CPU
seconds of the server and of everything else (the browsers), and the server's stage timers
(``GEOGAN_TIMINGS``) per stage. The server's memory is the summed
RSS of the streamlit process and all its descendants, read from /proc: after the first
page load ("before"), once every session has its page open ("ready"), halfway through
the window ("mid"), its peak (sampled every 2 s), and after the sessions ended ("after").
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests" / "e2e"))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from harness import (  # noqa: E402
    SLIDER_INPUT,
    STREAMLIT_PROBE_RE,
    HarnessError,
    chromium_page,
    generated_images,
    images_after,
    pick_map_point,
    slider_state,
    streamlit_app,
    wait_for_map,
    wait_for_new_images,
    wait_for_new_images_after,
    wait_for_place,
)
from map_latency import machine, percentile, places, save_result  # noqa: E402

EDITED = r"^Edited views"  # the markdown above the Latent page's edited views
LATENT_SEEDS_PLACES = [(55.75, 37.62), (-25.0, 133.0), (38.5, -98.0), (16.0, 8.0), (-3.1, -60.0), (46.6, 8.0)]
# The Latent page's edit sliders are in its left column (not the sidebar's "Views" slider, nor
# the interpolation's "Frames" below); those in a collapsed expander are hidden and skipped.
LATENT_SLIDERS = '[data-testid="stMain"] [data-testid="stColumn"] [data-testid="stSlider"]'
SAMPLE_EVERY_S = 2.0


# --- memory of the server (/proc) ---


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


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    tree, todo, out = _children(), [pid], []
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


CPU_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def machine_cpu() -> dict[str, float]:
    """The machine's CPU seconds so far per kind (/proc/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    values = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return {k: int(v) / tick for k, v in zip(CPU_FIELDS, values, strict=False)}


def cpu_by_program() -> dict[int, tuple[str, float]]:
    """pid -> (program name, CPU seconds so far) for every process on the machine."""
    tick, out = os.sysconf("SC_CLK_TCK"), {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name, fields = stat[stat.index("(") + 1: stat.rindex(")")], stat.rsplit(")", 1)[1].split()
            out[int(entry.name)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return out


def cpu_delta_by_program(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict:
    """CPU seconds between two ``cpu_by_program`` readings, summed per program name (largest first)."""
    per: dict[str, float] = {}
    for pid, (name, secs) in after.items():
        per[name] = per.get(name, 0.0) + secs - before.get(pid, (name, 0.0))[1]
    return {k: round(v, 1) for k, v in sorted(per.items(), key=lambda kv: -kv[1]) if v >= 0.5}


def cpu_reading(pid: int) -> tuple[float, dict[int, tuple[str, float]], dict[str, float]]:
    """CPU seconds so far: of ``pid``'s tree, of every process (``cpu_by_program``) and of the machine by kind."""
    programs = cpu_by_program()
    return sum(programs[p][1] for p in _tree(pid) if p in programs), programs, machine_cpu()


def _cpu_report(pid: int, seconds: float, start: tuple) -> dict:
    """CPU seconds since ``start`` (a ``cpu_reading``)."""
    (server0, programs0, kinds0), (server1, programs1, kinds1) = start, cpu_reading(pid)
    busy = sum(kinds1.values()) - sum(kinds0.values()) - sum(kinds1[k] - kinds0[k] for k in ("idle", "iowait"))
    return {"seconds": round(seconds, 1), "server": round(server1 - server0, 1),
            "browsers_and_rest": round(busy - (server1 - server0), 1),
            "available": round(seconds * (os.cpu_count() or 1), 1),
            "by_program": cpu_delta_by_program(programs0, programs1),
            "machine_by_kind": {k: round(kinds1[k] - kinds0[k], 1) for k in kinds1}}


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


def tree_rss_mib(pid: int) -> tuple[float, int]:
    """Summed RSS (MiB) of ``pid`` and all its descendants, and how many processes that is."""
    tree = _children()
    todo, total_kb, count = [pid], 0, 0
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
                break
        count += 1
        todo.extend(tree.get(p, []))
    return round(total_kb / 1024, 1), count


# --- one browser session (a process of its own) ---


def _exception_text(page) -> str | None:
    """The text of the first ``stException`` on the page, or None."""
    exc = page.locator('[data-testid="stException"]')
    if exc.count() == 0:
        return None
    try:
        return exc.first.inner_text(timeout=5_000)[:500]
    except Exception:  # it may vanish on a rerun
        return "<stException>"


def _open_map(page, base_url: str, timeout_ms: float) -> None:
    page.goto(f"{base_url}/Map", wait_until="domcontentloaded")
    wait_for_map(page, timeout_ms=timeout_ms)


def _map_step(page, target: tuple[float, float], timeout_ms: float) -> dict:
    """Click ``target`` on the map; time the click to the new place's first generated image."""
    before = generated_images(page)
    old_srcs = [img["src"] for img in before["imgs"]] if before else []
    click = pick_map_point(page, *target)
    start = time.time()
    page.mouse.click(click.x, click.y)
    wait_for_place(page, click.lat, click.lon, tol_deg=0.01, timeout_ms=timeout_ms)
    shown = wait_for_new_images(page, old_srcs, count=1, timeout_ms=timeout_ms)["shown_at"]
    return {"s": shown - start, "what": f"{click.lat:.3f}, {click.lon:.3f}"}


def _open_latent(page, base_url: str, place: tuple[float, float], seed: int, timeout_ms: float) -> None:
    page.goto(f"{base_url}/Latent?lat={place[0]}&lon={place[1]}&seed={seed}", wait_until="domcontentloaded")
    wait_for_new_images_after(page, EDITED, count=1, timeout_ms=timeout_ms)
    page.locator(LATENT_SLIDERS).first.wait_for(state="visible", timeout=timeout_ms)


def _latent_step(page, k: int, directions: dict[str, int], timeout_ms: float) -> dict:
    """Move the ``k``-th visible edit slider (cyclically) one step; time the key press to a new edited view."""
    boxes = [box for box in page.locator(LATENT_SLIDERS).all() if box.is_visible()]
    if not boxes:
        raise HarnessError("no visible sliders in the Latent page's left column")
    thumb = boxes[k % len(boxes)].locator(SLIDER_INPUT).first
    state = slider_state(thumb)
    label = state["label"]
    sign = directions.get(label, 1)
    if (sign > 0 and state["value"] >= state["max"] - 1e-9) or (sign < 0 and state["value"] <= state["min"] + 1e-9):
        sign = -sign  # bounce at the ends
    directions[label] = sign
    before = images_after(page, EDITED)
    old_srcs = [img["src"] for img in before["imgs"]] if before else []
    thumb.focus()
    start = time.time()
    page.keyboard.press("ArrowRight" if sign > 0 else "ArrowLeft")
    seconds = wait_for_new_images_after(page, EDITED, old_srcs, count=1, timeout_ms=timeout_ms)["shown_at"] - start
    after = slider_state(thumb)
    if after["value"] == state["value"]:
        raise HarnessError(f"slider {label!r} did not move from {state['value']}")
    return {"s": seconds, "what": f"{label} {state['value']:g} -> {after['value']:g}"}


def session_main(index: int, kind: str, base_url: str, go, deadline, timeout_s: float, think_s: float,
                 out) -> None:
    """One browser session: open its page, report ready, then step until the deadline; report results.

    After each step the session waits ``think_s`` (a person looking at the new views) before the next.
    """
    timeout_ms = timeout_s * 1000
    result: dict = {"session": index, "kind": kind, "steps": [], "errors": []}
    map_index = (index - 1) // 2  # 0, 1, 2 ... among the map sessions (1, 3, 5 ...)
    latent_index = index // 2 - 1  # 0, 1 ... among the latent sessions (2, 4 ...)
    targets = places(200)[map_index * 7:] if kind == "map" else []
    place = LATENT_SEEDS_PLACES[latent_index % len(LATENT_SEEDS_PLACES)]
    directions: dict[str, int] = {}
    ready_sent = False

    def open_page(page) -> None:
        if kind == "map":
            _open_map(page, base_url, timeout_ms)
        else:
            _open_latent(page, base_url, place, latent_index, timeout_ms)

    try:
        with chromium_page(default_timeout_ms=timeout_ms) as page:
            start = time.monotonic()
            try:
                open_page(page)
                result["page_load_s"] = round(time.monotonic() - start, 3)
            except Exception as exc:
                result["errors"].append(f"opening the {kind} page: {type(exc).__name__}: {str(exc)[:300]}")
            out.put(("ready", index, None))
            ready_sent = True
            if result["errors"] or not go.wait(timeout=3600):
                raise RuntimeError("not started")
            k = 0
            while time.time() < deadline.value:
                try:
                    if kind == "map":
                        step = _map_step(page, targets[k % len(targets)], timeout_ms)
                    else:
                        step = _latent_step(page, k, directions, timeout_ms)
                    result["steps"].append({"s": round(step["s"], 3), "what": step["what"]})
                    print(f"  session {index} ({kind}) step {len(result['steps']):3d}: {step['s']:7.2f}s  "
                          f"{step['what']}", flush=True)
                except Exception as exc:
                    result["errors"].append(f"step {k + 1}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
                    print(f"  session {index} ({kind}) step {k + 1} FAILED: {result['errors'][-1]}", flush=True)
                    try:  # start over from a fresh page
                        open_page(page)
                    except Exception as exc2:
                        result["errors"].append(f"reopening the page: {type(exc2).__name__}: {str(exc2)[:300]}")
                        break
                shown = _exception_text(page)
                if shown:
                    result["errors"].append(f"step {k + 1}: stException on the page: {shown}")
                k += 1
                if think_s > 0 and time.time() < deadline.value:
                    page.wait_for_timeout(think_s * 1000)  # keeps serving the page's events, unlike sleep
            result["external_requests"] = list(page.external_requests)
            result["failed_requests"] = list(page.failed_requests)
            result["console_errors"] = [e["text"] + (f" ({e['url']})" if e["url"] else "")
                                        for e in page.console_error_details if not STREAMLIT_PROBE_RE.match(e["url"])]
    except Exception as exc:
        if str(exc) != "not started":
            result["errors"].append(f"session crashed: {type(exc).__name__}: {exc}\n{traceback.format_exc()[-1500:]}")
    finally:
        if not ready_sent:
            out.put(("ready", index, None))
        out.put(("done", index, result))


# --- the run ---


def run(sessions: int, minutes: float, log_dir: Path, timeout_s: float, think_s: float = 0.0) -> dict:
    """Start the app, load the Map page once, then run the sessions for ``minutes``; collect everything."""
    result: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "sessions": sessions,
                    "minutes": minutes, "timeout_s": timeout_s, "think_s": think_s}
    memory: dict = {}
    ctx = mp.get_context("spawn")
    timings = log_dir / "timings.jsonl"
    with streamlit_app("app.py", log_dir / "streamlit.log", env={"GEOGAN_TIMINGS": str(timings)}) as server:
        pid = server.proc.pid
        with chromium_page(default_timeout_ms=timeout_s * 1000) as page:
            start = time.monotonic()
            _open_map(page, server.base_url, timeout_s * 1000)
            result["first_map_load_s"] = round(time.monotonic() - start, 3)
            warm_external = list(page.external_requests)
        memory["before"] = tree_rss_mib(pid)[0]
        print(f"server up at {server.base_url}; Map page loaded once in {result['first_map_load_s']:.1f}s; "
              f"server RSS {memory['before']} MiB", flush=True)

        go, deadline, out = ctx.Event(), ctx.Value("d", 0.0), ctx.Queue()
        procs = []
        for index in range(1, sessions + 1):
            kind = "map" if index % 2 else "latent"
            proc = ctx.Process(target=session_main, name=f"session-{index}",
                               args=(index, kind, server.base_url, go, deadline, timeout_s, think_s, out))
            proc.start()
            procs.append(proc)

        results: dict[int, dict] = {}
        ready: set[int] = set()
        peak = memory["before"]
        wait_until = time.monotonic() + 2 * timeout_s + 60
        while len(ready) < sessions and time.monotonic() < wait_until:
            try:
                what, index, payload = out.get(timeout=SAMPLE_EVERY_S)
            except Exception:  # queue.Empty
                peak = max(peak, tree_rss_mib(pid)[0])
                continue
            if what == "ready":
                ready.add(index)
            else:
                results[index] = payload
        memory["ready"], memory["processes_ready"] = tree_rss_mib(pid)
        peak = max(peak, memory["ready"])
        window = minutes * 60
        cpu_start = cpu_reading(pid)
        window_start = time.time()
        deadline.value = window_start + window
        go.set()
        print(f"{len(ready)}/{sessions} sessions ready; server RSS {memory['ready']} MiB; "
              f"running for {window:.0f}s", flush=True)

        mid_due = window_start + window / 2
        end_wait = time.monotonic() + window + 2 * timeout_s + 120
        cpu: dict = {}
        while len(results) < sessions and time.monotonic() < end_wait:
            now = time.time()
            if "mid" not in memory and now >= mid_due:
                memory["mid"], memory["processes_mid"] = tree_rss_mib(pid)
            if not cpu and now >= deadline.value:  # at the window's end, while every browser still runs
                cpu = _cpu_report(pid, now - window_start, cpu_start)
            try:
                wait = SAMPLE_EVERY_S if cpu else min(SAMPLE_EVERY_S, max(0.05, deadline.value - now))
                what, index, payload = out.get(timeout=wait)
                if what == "done":
                    results[index] = payload
            except Exception:  # queue.Empty
                pass
            peak = max(peak, tree_rss_mib(pid)[0])
        result["window_s"] = round(time.time() - window_start, 1)
        result["cpu_s"] = cpu or _cpu_report(pid, time.time() - window_start, cpu_start)
        result["server_stages_s"] = stage_stats(timings, window_start, window_start + result["window_s"])
        memory.setdefault("mid", None)
        memory["after"], memory["processes_after"] = tree_rss_mib(pid)
        memory["peak"] = max(peak, memory["after"])
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
        for index in range(1, sessions + 1):
            results.setdefault(index, {"session": index, "kind": "map" if index % 2 else "latent", "steps": [],
                                       "errors": ["the session reported no result (hung or killed)"]})
        result["server_alive_after"] = server.proc.poll() is None
    result["memory_mib"] = memory
    result["sessions_detail"] = [results[i] for i in sorted(results)]
    result["warmup_external_requests"] = warm_external
    return summarize(result)


def summarize(result: dict) -> dict:
    """Counts, latencies and the error list over all sessions."""
    errors: list[str] = []
    counts = {"failed_steps": 0, "st_exceptions": 0, "failed_local_requests": 0, "external_requests": 0}
    external: list[str] = list(result["warmup_external_requests"])
    ignored: list[str] = []
    latencies: dict[str, list[float]] = {"map": [], "latent": []}
    for s in result["sessions_detail"]:
        latencies[s["kind"]].extend(step["s"] for step in s["steps"])
        errors.extend(f"session {s['session']} ({s['kind']}): {e}" for e in s["errors"])
        for e in s["errors"]:
            counts["st_exceptions" if "stException" in e else "failed_steps"] += 1
        external.extend(s.get("external_requests", []))
        for failed in s.get("failed_requests", []):
            url = failed.split(" ")[-1]
            if failed.startswith("net::ERR_ABORTED") or STREAMLIT_PROBE_RE.match(url):
                ignored.append(failed)
            else:
                errors.append(f"session {s['session']} ({s['kind']}): failed local request {failed}")
                counts["failed_local_requests"] += 1
    counts["external_requests"] = len(external)
    if external:
        errors.append(f"{len(external)} request(s) to hosts other than 127.0.0.1: {sorted(set(external))[:10]}")
    if not result.get("server_alive_after", True):
        errors.append("the streamlit server exited during the run")

    def stats(xs: list[float]) -> dict:
        if not xs:
            return {"n": 0}
        return {"n": len(xs), "p50": round(percentile(xs, 50), 3), "p95": round(percentile(xs, 95), 3),
                "min": round(min(xs), 3), "max": round(max(xs), 3)}

    result["map_click_to_image_s"] = stats(latencies["map"])
    result["slider_to_image_s"] = stats(latencies["latent"])
    result["clicks_served"] = len(latencies["map"])
    result["slider_moves_served"] = len(latencies["latent"])
    result["external_requests"] = external
    result["ignored_failed_requests"] = ignored
    result["error_counts"] = counts
    result["errors"] = errors
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=5, help="concurrent browser sessions (default 5)")
    parser.add_argument("--minutes", type=float, default=2.0, help="how long the sessions run (default 2)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for any one step (default 120)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds each session waits after a step before the next (default 0: back to back)")
    args = parser.parse_args(argv)
    if args.sessions < 1:
        parser.error("--sessions must be at least 1")
    if args.minutes <= 0:
        parser.error("--minutes must be positive")
    if args.think < 0:
        parser.error("--think must be 0 or more")

    with tempfile.TemporaryDirectory(prefix="load-") as tmp:
        result = run(args.sessions, args.minutes, Path(tmp), args.timeout, args.think)

    m, sl, mem = result["map_click_to_image_s"], result["slider_to_image_s"], result["memory_mib"]

    def lat(s: dict) -> str:
        return f"{s['p50']:7.2f} / {s['p95']:7.2f} s" if s["n"] else "      - /       - s"

    mid = f"{mem['mid']:.0f}" if mem.get("mid") is not None else "-"
    pause = f", {args.think:g} s between steps" if args.think else ", steps back to back"
    print(f"\nLoad: {args.sessions} sessions for {args.minutes:g} min{pause} ({result['machine']})")
    print(f"  {'map clicks served':40s} {result['clicks_served']:7d}")
    print(f"  {'slider moves served':40s} {result['slider_moves_served']:7d}")
    print(f"  {'errors':40s} {len(result['errors']):7d}")
    for name, n in result["error_counts"].items():
        print(f"  {'  ' + name.replace('_', ' '):40s} {n:7d}")
    print(f"  {'map click -> new image, p50 / p95':40s} {lat(m)}  (n={m['n']})")
    print(f"  {'slider move -> new image, p50 / p95':40s} {lat(sl)}  (n={sl['n']})")
    cpu = result["cpu_s"]
    print(f"  {'CPU s: server / browsers and rest / all':40s} {cpu['server']:.0f} / {cpu['browsers_and_rest']:.0f} / "
          f"{cpu['available']:.0f}")
    print(f"  {'  by program':40s} " + ", ".join(f"{k} {v:.0f}" for k, v in list(cpu["by_program"].items())[:6]))
    print(f"  {'  machine by kind':40s} " + ", ".join(f"{k} {v:.0f}" for k, v in cpu["machine_by_kind"].items()))
    for name, st in result["server_stages_s"].items():
        print(f"  {'  server ' + name + ', p50 / p95':40s} {st['p50']:7.3f} / {st['p95']:7.3f} s  (n={st['n']})")
    print(f"  {'server RSS before/ready/mid/after/peak':40s} {mem['before']:.0f} / {mem['ready']:.0f} / {mid} / "
          f"{mem['after']:.0f} / {mem['peak']:.0f} MiB")
    save_result(result, args.json)
    for s in result["sessions_detail"]:
        if s.get("console_errors"):
            print(f"warning: session {s['session']} browser console errors: {s['console_errors'][:5]}",
                  file=sys.stderr)
    if result["errors"]:
        shown = result["errors"][:20]
        more = f"\n  ... and {len(result['errors']) - 20} more (see --json)" if len(result["errors"]) > 20 else ""
        print("ERRORS:\n  " + "\n  ".join(shown) + more, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
