"""App start and page loads in a real browser: cold start to the first usable page, then each page.

    .venv/bin/python bench/app_timings.py --json bench/app.json

Starts the real app (app.py) with the browser-test harness (tests/e2e/harness.py) and measures

* cold start: from starting the server process to the home page showing its model status
  (the browser is launched before the server, so its own start-up is not counted);
* every page twice, in the same browser tab: the first visit (models, data and cached results
  are loaded into the server's ``st.cache_resource``) and a second visit after visiting the
  other pages (everything cached), each from navigation to the page's last section being
  visible (the same markers as the browser test that opens every page). The Features page's
  second visit is the "cached page load" of its UMAP embedding, read from ``results/features``.

Only 127.0.0.1 is contacted; the script fails if the page requested anything else.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from geogan_core.errors import exit_status

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests" / "e2e"))

from harness import PAGES, STREAMLIT_PROBE_RE, chromium_page, streamlit_app  # noqa: E402
from map_latency import finish, machine  # noqa: E402


def open_page(page, base_url: str, path: str, title: str, marker: str, timeout_ms: float) -> float:
    """Seconds from navigation to the page's heading and last section being visible, without an exception."""
    from playwright.sync_api import expect

    start = time.perf_counter()
    page.goto(f"{base_url}/{path}", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=timeout_ms)
    expect(page.get_by_text(marker, exact=False).first).to_be_visible(timeout=timeout_ms)
    seconds = time.perf_counter() - start
    if page.locator('[data-testid="stException"]').count():
        raise RuntimeError(f"the page /{path} shows an exception")
    return seconds


def run(log_dir: Path, timeout_ms: float) -> dict:
    """Start the app and a browser; time the cold start and two visits to every page."""
    result: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "pages": {}}
    with chromium_page(default_timeout_ms=timeout_ms) as page:
        page.goto("about:blank")  # the browser is up before the server starts
        with streamlit_app("app.py", log_dir / "streamlit.log") as server:
            path, title, marker = PAGES[0]
            open_page(page, server.base_url, path, title, marker, timeout_ms)
            result["cold_start_s"] = round(time.monotonic() - server.started_at, 3)
            for visit in ("first", "second"):
                for path, title, marker in PAGES:
                    seconds = open_page(page, server.base_url, path, title, marker, timeout_ms)
                    result["pages"].setdefault(path or "home", {})[visit + "_s"] = round(seconds, 3)
                    print(f"  {visit:6s} visit /{path:10s} {seconds:6.2f} s", flush=True)
            result["external_requests"] = list(page.external_requests)
            result["console_errors"] = [e["text"] for e in page.console_error_details
                                        if not STREAMLIT_PROBE_RE.match(e["url"])]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for any one page")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="app-timings-") as tmp:
        result = run(Path(tmp), args.timeout * 1000)
    print(f"\nApp timings ({result['machine']})")
    print(f"  cold start (server start -> home page usable) {result['cold_start_s']:7.2f} s")
    return finish(result, args.json)


if __name__ == "__main__":
    sys.exit(exit_status(main))
