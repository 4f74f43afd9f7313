"""Start a Streamlit server and a Chromium page: shared by the e2e fixtures and the benchmarks.

No pytest here, so standalone scripts (``bench/map_latency.py``) can import it:
``tests/e2e/conftest.py`` wraps these helpers in fixtures and turns ``HarnessError``
into test failures or skips.

The browser is Debian's ``/usr/bin/chromium`` driven by the Playwright client (never
``playwright install``), with host resolution limited to this machine, so nothing can
leave it; requests to other hosts are still recorded.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, ElementHandle, Frame, Locator, Page, Request, Response

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
VENV_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
    # Resolve no host names but our own: nothing can leave the machine, and a stray
    # CDN request fails at once (it is still recorded in page.external_requests).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
)
# The pages other than the Map (which has its own tests): URL path, heading, and text of the
# page's last section (visible once the page has finished loading). Tests and benchmarks share it.
PAGES = [("", "GeoGAN Explorer", "Models"), ("Latent", "Latent sliders", "Edited views"),
         ("Features", "What the discriminator sees", "Clusters (k-means)"),
         ("Baselines", "Does the paper's claim hold here?", "Dense maps")]
SERVER_START_TIMEOUT_S = 90.0
SERVER_STOP_TIMEOUT_S = 10.0
DEFAULT_VIEWPORT = {"width": 1280, "height": 900}


class HarnessError(RuntimeError):
    """The server or the browser could not be started."""


def is_external(url: str) -> bool:
    """Whether a request URL would go to a host other than this machine."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https", "ws", "wss", "ftp"}:
        return False  # data:, blob:, about:, chrome-extension: ...
    return (parts.hostname or "") not in LOCAL_HOSTS


def chromium_problem(path: Path = CHROMIUM) -> str | None:
    """Why the browser tests cannot run here (``None`` when they can)."""
    if not (path.is_file() and os.access(path, os.X_OK)):
        return f"{path} not found: install it with `apt-get install -y chromium`"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python client is not installed in this environment"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, chars: int = 4000) -> str:
    """The end of a log file (or a placeholder when it cannot be read)."""
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "<no log>"


def wait_answering(url: str, proc: subprocess.Popen, name: str, log: Path, timeout: float) -> None:
    """Wait until ``url`` answers 200 while ``proc`` (called ``name``, logging to ``log``) runs.

    Raises:
        HarnessError: If the process exits first or ``timeout`` seconds pass (with the log's tail).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HarnessError(f"{name} exited with code {proc.returncode} before answering {url}; "
                               f"log {log}:\n{log_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise HarnessError(f"{name} did not answer {url} within {timeout:.0f}s; log {log}:\n{log_tail(log)}")


class StreamlitServer:
    """One ``streamlit run`` child process (in its own process group) on 127.0.0.1.

    The process starts in the constructor; ``started_at`` is its ``time.monotonic()``.
    """

    def __init__(self, script: Path, env: Mapping[str, str] | None, log_path: Path) -> None:
        if not script.is_file():
            raise HarnessError(f"Streamlit script not found: {script}")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        python = VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable)
        cmd = [
            str(python),
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ]
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
        full_env.update(env or {})
        self._log = log_path.open("wb")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stop() reaches its children too
        )

    def wait_healthy(self, timeout: float = SERVER_START_TIMEOUT_S) -> None:
        """Wait until ``/_stcore/health`` answers 200.

        Raises:
            HarnessError: If the process exits first or the timeout passes (the server is
                then stopped).
        """
        try:
            wait_answering(f"{self.base_url}/_stcore/health", self.proc, "streamlit", self.log_path, timeout)
        except HarnessError:
            self.stop()
            raise

    def stop(self) -> None:
        """Terminate the server and everything in its process group."""
        if self.proc.poll() is None:
            for sig, wait_s in ((signal.SIGTERM, SERVER_STOP_TIMEOUT_S), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=wait_s)
                    break
                except subprocess.TimeoutExpired:
                    continue
        else:
            # The leader is gone; make sure nothing it started lingers in its group.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._log.close()


def resolve_script(script: str | os.PathLike[str]) -> Path:
    """A script path relative to the repository root (absolute paths stay as they are)."""
    path = Path(script)
    return path if path.is_absolute() else REPO_ROOT / path


@contextmanager
def streamlit_app(script: str | os.PathLike[str], log_path: Path, env: Mapping[str, str] | None = None,
                  timeout: float = SERVER_START_TIMEOUT_S) -> Iterator[StreamlitServer]:
    """A healthy server for the block; stopped, children included, when it ends."""
    server = StreamlitServer(resolve_script(script), env, log_path)
    try:
        server.wait_healthy(timeout)
        yield server
    finally:
        server.stop()


@contextmanager
def chromium_page(chromium_path: Path = CHROMIUM, viewport: Mapping[str, int] | None = None,
                  default_timeout_ms: float = 30_000) -> Iterator[Page]:
    """A Playwright page in Debian's headless chromium, with request bookkeeping.

    Extra attributes on the page (lists, filled as the page runs, iframes included):

    * ``external_requests``: URLs of requests to any host but 127.0.0.1/localhost.
    * ``failed_requests``: ``"<status or error> <url>"`` for local requests that failed
      or answered 4xx/5xx.
    * ``console_errors``: text of ``console.error`` messages and uncaught page errors.
    * ``console_error_details``: the same as dicts ``{"text", "url"}``, where ``url`` is
      the message's source (for "Failed to load resource": the resource's URL).
    """
    problem = chromium_problem(chromium_path)
    if problem:
        raise HarnessError(problem)
    from playwright.sync_api import sync_playwright

    external: list[str] = []
    failed: list[str] = []
    console_errors: list[str] = []
    console_details: list[dict[str, str]] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            console_errors.append(msg.text)
            console_details.append({"text": msg.text, "url": (msg.location or {}).get("url", "")})

    def on_page_error(exc: Exception) -> None:
        console_errors.append(f"pageerror: {exc}")
        console_details.append({"text": f"pageerror: {exc}", "url": ""})

    def on_request(request: Request) -> None:
        if is_external(request.url):
            external.append(request.url)

    def on_response(response: Response) -> None:
        if response.status >= 400 and not is_external(response.url):
            failed.append(f"{response.status} {response.url}")

    def on_request_failed(request: Request) -> None:
        if not is_external(request.url):
            failed.append(f"{request.failure} {request.url}")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium_path),
            headless=True,
            args=list(CHROMIUM_ARGS),
        )
        try:
            context = browser.new_context(viewport=dict(viewport or DEFAULT_VIEWPORT), service_workers="block")
            context.on("request", on_request)
            context.on("response", on_response)
            context.on("requestfailed", on_request_failed)
            page = context.new_page()
            page.on("console", on_console)
            page.on("pageerror", on_page_error)
            page.set_default_timeout(default_timeout_ms)
            page.external_requests = external  # type: ignore[attr-defined]
            page.failed_requests = failed  # type: ignore[attr-defined]
            page.console_errors = console_errors  # type: ignore[attr-defined]
            page.console_error_details = console_details  # type: ignore[attr-defined]
            yield page
            context.close()
        finally:
            browser.close()


# --- The Map page (pages/1_Map.py): shared by tests/e2e/test_map_page.py and bench/map_latency.py ---

# the Map page's map component (geogan_core/webmap/clickmap): its iframe's title ends in its name
MAP_IFRAME = 'iframe[title$="click_map"]'
# "<lat>, <lon>: <land cover name>" with an optional " (urban)" / " (rural)".
PLACE_RE = re.compile(r"^\s*(-?\d+\.\d+), (-?\d+\.\d+): (.+?)\s*$")
GENERATED_RE = re.compile(r"(\d+) generated ground views")
# Streamlit's frontend, opened on a page path such as /Map, first looks for its server
# under that path (/Map/_stcore/health, /Map/_stcore/host-config: 404) and then at the
# root. Those 404s are Streamlit's, not the app's.
STREAMLIT_PROBE_RE = re.compile(r"^https?://[^/]+/.+/_stcore/(health|host-config)(\?.*)?$")

_JS_MAP = "(window.map instanceof L.Map ? window.map : Object.values(window).find(v => v instanceof L.Map))"

# In the component iframe: a container point near (lat, lon) where a click reaches the
# map itself (not a marker, cluster, control or the selected-place circle), panning the
# map first if the place is outside the safe part of the view. Returns the point
# (relative to the Leaflet container) and the latitude/longitude under it.
_JS_PICK_POINT = """([lat, lon, margin, maxShift]) => {
  const m = __MAP__;
  const c = m.getContainer();
  const size = m.getSize();
  const safe = (x, y) => x >= margin && y >= margin && x <= size.x - margin && y <= size.y - margin;
  let p = m.latLngToContainerPoint([lat, lon]);
  if (!safe(p.x, p.y)) {
    m.setView([lat, lon], m.getZoom(), {animate: false});
    p = m.latLngToContainerPoint([lat, lon]);
  }
  const r = c.getBoundingClientRect();
  const blocked = ".leaflet-marker-pane, .leaflet-shadow-pane, .leaflet-popup-pane, .leaflet-tooltip-pane, "
    + ".leaflet-control-container, .leaflet-interactive";
  const free = (x, y) => {
    const el = document.elementFromPoint(r.left + x, r.top + y);
    return !!el && c.contains(el) && !el.closest(blocked);
  };
  for (let rad = 0; rad <= maxShift; rad += 4) {
    const steps = rad === 0 ? 1 : Math.ceil(2 * Math.PI * rad / 4);
    for (let k = 0; k < steps; k++) {
      const a = 2 * Math.PI * k / steps;
      const x = Math.round(p.x + rad * Math.cos(a)), y = Math.round(p.y + rad * Math.sin(a));
      if (safe(x, y) && free(x, y)) {
        const ll = m.containerPointToLatLng([x, y]);
        return {x, y, left: r.left, top: r.top, lat: ll.lat, lng: ll.lng, shift: rad, zoom: m.getZoom()};
      }
    }
  }
  return null;
}""".replace("__MAP__", _JS_MAP)

# In the main document: the generated views' image element (the first stImage after the
# "N generated ground views" text) and its <img> tags.
_JS_GENERATED = """() => {
  const md = [...document.querySelectorAll('[data-testid="stMarkdown"]')]
    .find(e => /\\d+ generated ground views/.test(e.innerText));
  if (!md) return null;
  const block = [...document.querySelectorAll('[data-testid="stImage"]')]
    .find(e => md.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING);
  if (!block) return {text: md.innerText, imgs: []};
  const stale = !!block.closest('[data-stale="true"]');
  const imgs = [...block.querySelectorAll('img')].map(i => {
    const b = i.getBoundingClientRect();
    return {src: i.src, loaded: i.complete && i.naturalWidth > 0, width: b.width, height: b.height};
  });
  return {text: md.innerText, stale, imgs};
}"""


@dataclass
class MapClick:
    """Where a click on the map went: page coordinates and the place under them."""

    x: float
    y: float
    lat: float
    lon: float
    shift_px: int


def wait_for_map(page: Page, timeout_ms: float = 90_000) -> Frame:
    """Wait until the Leaflet map in the map component's iframe is visible; return the iframe's frame."""
    from playwright.sync_api import expect

    frame = page.frame_locator(MAP_IFRAME)
    expect(frame.locator(".leaflet-container")).to_be_visible(timeout=timeout_ms)
    handle = page.locator(MAP_IFRAME).element_handle(timeout=timeout_ms)
    content = handle.content_frame()
    if content is None:
        raise HarnessError("the map component's iframe has no content frame")
    content.wait_for_function(f"() => !!(window.L && {_JS_MAP})", timeout=timeout_ms)
    return content


def pick_map_point(page: Page, lat: float, lon: float, margin_px: int = 60, max_shift_px: int = 40) -> MapClick:
    """The page point to click for (about) ``lat, lon`` on the map, panning the map if needed.

    The point is moved by up to ``max_shift_px`` when a marker, cluster or control
    covers the place; ``MapClick.lat/lon`` are the coordinates under the chosen point
    (longitude wrapped to -180..180, as the page does).
    """
    iframe = page.locator(MAP_IFRAME)
    iframe.scroll_into_view_if_needed()
    content = wait_for_map(page)
    got = content.evaluate(_JS_PICK_POINT, [lat, lon, margin_px, max_shift_px])
    if got is None:
        raise HarnessError(f"no free spot on the map within {max_shift_px}px of {lat}, {lon}")
    box = iframe.bounding_box()
    if box is None:
        raise HarnessError("the map component's iframe is not displayed")
    return MapClick(x=box["x"] + got["left"] + got["x"], y=box["y"] + got["top"] + got["y"], lat=got["lat"],
                    lon=((got["lng"] + 180) % 360) - 180, shift_px=int(got["shift"]))


def read_place(page: Page) -> tuple[float, float, str] | None:
    """The place in the Map page's subheader: ``(lat, lon, rest of the text)``, or None."""
    for text in page.locator('[data-testid="stHeading"]').all_inner_texts():
        match = PLACE_RE.match(text.strip())
        if match:
            return float(match[1]), float(match[2]), match[3]
    return None


def generated_images(page: Page) -> dict | None:
    """The generated views' block: ``{"text", "stale", "imgs": [{"src", "loaded", ...}]}`` or None."""
    return page.evaluate(_JS_GENERATED)


# Wait in the page for a predicate: checked once per animation frame in which the DOM changed or
# an image loaded (and every 250 ms regardless), never while the page is idle. Playwright's
# polling="raf" runs the check on every frame: measured, 0.2 of a core per waiting browser, half of
# the 2 cores with bench/load.py's five sessions. Resolves with the wall-clock time (ms) at which
# the predicate first held, so a latency does not include the trip back to Python.
_JS_WAIT = """([arg, timeoutMs]) => new Promise((resolve, reject) => {
  const pred = __PREDICATE__;
  let scheduled = false, finished = false;
  const obs = new MutationObserver(schedule);
  const slow = setInterval(schedule, 250);
  const timer = setTimeout(() => finish(reject, new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  function finish(fn, value) {
    if (finished) return;
    finished = true;
    obs.disconnect();
    document.removeEventListener('load', schedule, true);
    clearInterval(slow);
    clearTimeout(timer);
    fn(value);
  }
  function check() {
    scheduled = false;
    if (finished) return;
    let ok = false;
    try { ok = pred(arg); } catch (e) { ok = false; }
    if (ok) finish(resolve, Date.now());
  }
  function schedule() {
    if (!scheduled && !finished) { scheduled = true; requestAnimationFrame(check); }
  }
  obs.observe(document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true});
  document.addEventListener('load', schedule, true);
  check();
})"""


def wait_until(page: Page, predicate_js: str, arg: object, timeout_ms: float) -> float:
    """Wait until ``predicate_js(arg)`` holds in the page; returns the wall-clock time (s) it first held.

    Raises:
        playwright's TimeoutError: After ``timeout_ms``.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        return page.evaluate(_JS_WAIT.replace("__PREDICATE__", predicate_js), [arg, timeout_ms]) / 1000
    except PlaywrightError as e:
        if "timed out after" in str(e):
            raise PlaywrightTimeoutError(f"waited {timeout_ms:.0f} ms for {predicate_js[:120]!r}") from e
        raise


def wait_for_place(page: Page, lat: float, lon: float, tol_deg: float = 0.5, timeout_ms: float = 90_000) -> float:
    """Wait until the subheader shows a place within ``tol_deg`` of ``lat, lon``; returns when (wall clock, s)."""
    return wait_until(
        page,
        """([lat, lon, tol]) => [...document.querySelectorAll('[data-testid="stHeading"]')].some(h => {
            const m = h.innerText.trim().match(/^(-?\\d+\\.\\d+), (-?\\d+\\.\\d+): /);
            if (!m) return false;
            const dlon = Math.abs(((parseFloat(m[2]) - lon + 540) % 360) - 180);
            return Math.abs(parseFloat(m[1]) - lat) <= tol && dlon <= tol;
        })""",
        [lat, lon, tol_deg],
        timeout_ms,
    )


def wait_for_new_images(page: Page, old_srcs: Iterable[str] = (), count: int = 1,
                        timeout_ms: float = 90_000) -> dict:
    """Wait until the generated block shows ``count`` loaded, displayed images not among ``old_srcs``.

    Returns the block (see ``generated_images``) with ``shown_at``: when that first held (wall clock, s).
    """
    shown_at = wait_until(
        page,
        """([old, count]) => {
            const g = (__GENERATED__)();
            if (!g || g.stale) return false;
            const fresh = g.imgs.filter(i => !old.includes(i.src) && i.loaded && i.width > 0 && i.height > 0);
            return fresh.length >= count;
        }""".replace("__GENERATED__", _JS_GENERATED),
        [list(old_srcs), count],
        timeout_ms,
    )
    block = generated_images(page)
    assert block is not None
    return {**block, "shown_at": shown_at}


# --- Any page: the images under a bold text, sliders, screenshots (bench/load.py, the e2e tests) ---

# A Streamlit slider's thumb: react-aria's hidden <input type="range"> (Streamlit >= 1.50)
# or base-web's [role="slider"] (older releases).
SLIDER_INPUT = 'input[type="range"], [role="slider"]'
DOCS_SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"

# In the main document: the first stImage after the first stMarkdown whose text matches
# a regular expression, as {text, stale, imgs: [{src, loaded, width, height}]} (or null).
_JS_IMAGES_AFTER = """([pattern]) => {
  const re = new RegExp(pattern);
  const md = [...document.querySelectorAll('[data-testid="stMarkdown"]')].find(e => re.test(e.innerText.trim()));
  if (!md) return null;
  const block = [...document.querySelectorAll('[data-testid="stImage"]')]
    .find(e => md.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING);
  const stale = !!(block || md).closest('[data-stale="true"]');
  if (!block) return {text: md.innerText, stale, imgs: []};
  const imgs = [...block.querySelectorAll('img')].map(i => {
    const b = i.getBoundingClientRect();
    return {src: i.src, loaded: i.complete && i.naturalWidth > 0, width: b.width, height: b.height};
  });
  return {text: md.innerText, stale, imgs};
}"""

_JS_SLIDER_STATE = """el => {
  const num = (a, b) => parseFloat(a !== undefined && a !== null && a !== '' ? a : b);
  const box = el.closest('[data-testid="stSlider"]');
  const label = box && box.querySelector('[data-testid="stWidgetLabel"]');
  return {value: num(el.value, el.getAttribute('aria-valuenow')),
          min: num(el.getAttribute('min'), el.getAttribute('aria-valuemin')),
          max: num(el.getAttribute('max'), el.getAttribute('aria-valuemax')),
          label: (label ? label.innerText : el.getAttribute('aria-label') || '').trim()};
}"""


def images_after(page: Page, pattern: str) -> dict | None:
    """The image block under the markdown text matching ``pattern`` (a JS regular expression).

    Same shape as ``generated_images``: ``{"text", "stale", "imgs": [{"src", "loaded", ...}]}``.
    """
    return page.evaluate(_JS_IMAGES_AFTER, [pattern])


def wait_for_new_images_after(page: Page, pattern: str, old_srcs: Iterable[str] = (), count: int = 1,
                              timeout_ms: float = 90_000) -> dict:
    """Wait until the block under ``pattern`` shows ``count`` loaded, displayed images not in ``old_srcs``.

    Returns the block (see ``images_after``) with ``shown_at``: when that first held (wall clock, s).
    """
    shown_at = wait_until(
        page,
        """([pattern, old, count]) => {
            const g = (__IMAGES_AFTER__)([pattern]);
            if (!g || g.stale) return false;
            const fresh = g.imgs.filter(i => !old.includes(i.src) && i.loaded && i.width > 0 && i.height > 0);
            return fresh.length >= count;
        }""".replace("__IMAGES_AFTER__", _JS_IMAGES_AFTER),
        [pattern, list(old_srcs), count],
        timeout_ms,
    )
    block = images_after(page, pattern)
    assert block is not None
    return {**block, "shown_at": shown_at}


def slider_state(thumb: Locator | ElementHandle) -> dict:
    """A slider thumb's ``{"value", "min", "max", "label"}`` (see ``SLIDER_INPUT``)."""
    return thumb.evaluate(_JS_SLIDER_STATE)


def docs_screenshot(shot: Path, name: str) -> Path:
    """Copy a screenshot to ``docs/screenshots/<name>.png`` for the README (git-ignored: demo imagery)."""
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = DOCS_SCREENSHOTS / f"{name}.png"
    shutil.copyfile(shot, target)
    return target
