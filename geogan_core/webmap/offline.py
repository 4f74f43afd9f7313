"""Serve folium's JavaScript and CSS from the app's own static folder instead of CDNs.

folium 0.20 links Leaflet, jQuery, Bootstrap, Font Awesome, Leaflet.awesome-markers and
Leaflet.markercluster from public CDNs. ``make -f Makefile.static static/vendor/.stamp``
puts the same files, at the same versions, under ``<app dir>/static/vendor/``, and
Streamlit serves them at ``/app/static/vendor/`` when ``server.enableStaticServing`` is
on. :func:`use_local_assets` then rewrites the ``default_js``/``default_css`` lists of
:class:`folium.Map` and of every folium element class that links one of those files
(``folium.plugins.MarkerCluster`` and its subclasses, ``folium.features.Vega``'s jQuery)
so that maps render with no network access.

URLs must be absolute paths (``/app/static/vendor/...``): ``streamlit_folium.st_folium``
renders the map inside a component iframe served from
``/component/streamlit_folium.st_folium/index.html``, so a relative URL such as
``app/static/vendor/leaflet/leaflet.js`` resolves inside the component's folder and
404s. A prefix given without a leading ``/`` is therefore taken from the server root.

Map tiles are not assets: the default ``tiles="OpenStreetMap"`` still fetches from the
internet. Use ``tiles=None`` or a ``TileLayer``/``ImageOverlay`` with local URLs; with no
tile layer, give the map ``maxZoom=...`` (folium's ``max_zoom`` only reaches its default
tile layer), or ``MarkerCluster`` fails with "Map has no maxZoom specified".

Example:
    In ``app.py``, before building any map::

        from pathlib import Path
        from geogan_core.webmap.offline import use_local_assets

        use_local_assets(Path(__file__).parent / "static")
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Final

logger = logging.getLogger(__name__)

VENDOR_SUBDIR: Final = "vendor"
"""Folder under the app's ``static/`` folder that ``Makefile.static`` fills."""

DEFAULT_URL_PREFIX: Final = "app/static/vendor"
"""Where Streamlit serves ``<app dir>/static/vendor`` (taken from the server root)."""

_JSDELIVR: Final = "https://cdn.jsdelivr.net"
_CDNJS: Final = "https://cdnjs.cloudflare.com/ajax/libs"

CDN_TO_LOCAL: Final[dict[str, str]] = {
    # folium.Map.default_js
    f"{_JSDELIVR}/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet/leaflet.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    f"{_JSDELIVR}/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": ("bootstrap/js/bootstrap.bundle.min.js"),
    f"{_CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": (
        "leaflet.awesome-markers/js/leaflet.awesome-markers.js"
    ),
    # folium.Map.default_css
    f"{_JSDELIVR}/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet/leaflet.css",
    f"{_JSDELIVR}/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": ("bootstrap/css/bootstrap.min.css"),
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css": (
        "bootstrap3-glyphicons/css/bootstrap-glyphicons.css"
    ),
    f"{_JSDELIVR}/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": ("fontawesome-free/css/all.min.css"),
    f"{_CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": (
        "leaflet.awesome-markers/css/leaflet.awesome-markers.css"
    ),
    f"{_JSDELIVR}/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css": (
        "folium/leaflet.awesome.rotate.min.css"
    ),
    # folium.plugins.MarkerCluster (and FastMarkerCluster, which inherits it)
    f"{_CDNJS}/leaflet.markercluster/1.1.0/leaflet.markercluster.js": (
        "leaflet.markercluster/leaflet.markercluster.js"
    ),
    f"{_CDNJS}/leaflet.markercluster/1.1.0/MarkerCluster.css": ("leaflet.markercluster/MarkerCluster.css"),
    f"{_CDNJS}/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": (
        "leaflet.markercluster/MarkerCluster.Default.css"
    ),
}
"""folium 0.20's CDN URLs mapped to paths under ``static/vendor/``."""

EXPECTED_ASSETS: Final[tuple[str, ...]] = (
    *CDN_TO_LOCAL.values(),
    # Files the stylesheets above load by relative URL.
    "leaflet/images/layers.png",
    "leaflet/images/layers-2x.png",
    "leaflet/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png",
    "bootstrap3-glyphicons/fonts/glyphicons-halflings-regular.eot",
    "bootstrap3-glyphicons/fonts/glyphicons-halflings-regular.svg",
    "bootstrap3-glyphicons/fonts/glyphicons-halflings-regular.ttf",
    "bootstrap3-glyphicons/fonts/glyphicons-halflings-regular.woff",
    "bootstrap3-glyphicons/fonts/glyphicons-halflings-regular.woff2",
    "fontawesome-free/webfonts/fa-brands-400.woff2",
    "fontawesome-free/webfonts/fa-regular-400.woff2",
    "fontawesome-free/webfonts/fa-solid-900.woff2",
    "fontawesome-free/webfonts/fa-v4compatibility.woff2",
    "leaflet.awesome-markers/css/images/markers-soft.png",
    "leaflet.awesome-markers/css/images/markers-soft@2x.png",
    "leaflet.awesome-markers/css/images/markers-shadow.png",
    "leaflet.awesome-markers/css/images/markers-shadow@2x.png",
)
"""Every file, relative to ``static/vendor/``, that :func:`use_local_assets` requires."""

ICON_PATH_LINK_NAME: Final = "leaflet_icon_default_path"
"""Name of the inline script that :func:`use_local_assets` adds after ``leaflet.js``.

Leaflet finds its default marker images by reading ``leaflet.css``; st_folium runs the
map script before its stylesheets have loaded, and Leaflet 1.9.3's fallback then asks
for ``.../vendor/leafletmarker-icon.png`` (404; streamlit-folium issue #275). A
``data:`` script that sets ``L.Icon.Default.imagePath`` right after ``leaflet.js``
removes the guess.
"""

_LINK_ATTRS: Final = ("default_js", "default_css")
_LEAFLET_JS: Final = "leaflet/leaflet.js"
_lock = threading.Lock()
# (class, attribute) -> the list folium shipped, kept so a later call can re-prefix
# from the CDN URLs and restore_cdn_assets() can put them back.
_originals: dict[tuple[type, str], list[tuple[str, str]]] = {}


def missing_assets(static_dir: Path) -> list[str]:
    """List the vendored files that are absent or empty.

    Args:
        static_dir: The app's static folder (``<app dir>/static``); the files are
            looked up under its ``vendor/`` subfolder.

    Returns:
        Paths relative to ``static_dir / "vendor"``, in :data:`EXPECTED_ASSETS` order;
        empty when everything is in place.
    """
    vendor = Path(static_dir) / VENDOR_SUBDIR
    missing: list[str] = []
    for rel in EXPECTED_ASSETS:
        path = vendor / rel
        try:
            if path.is_file() and path.stat().st_size > 0:
                continue
        except OSError:
            pass
        missing.append(rel)
    return missing


def local_urls(url_prefix: str = DEFAULT_URL_PREFIX) -> dict[str, str]:
    """Map each CDN URL folium uses to the URL of its vendored copy.

    Args:
        url_prefix: URL under which ``static/vendor`` is served. A prefix without a
            scheme or leading ``/`` is taken from the server root (see module notes);
            with ``server.baseUrlPath = "geo"`` pass ``"/geo/app/static/vendor"``.

    Returns:
        ``{cdn_url: local_url}`` for every entry of :data:`CDN_TO_LOCAL`.

    Raises:
        ValueError: If ``url_prefix`` is empty.
    """
    prefix = _normalise_prefix(url_prefix)
    return {cdn: f"{prefix}/{rel}" for cdn, rel in CDN_TO_LOCAL.items()}


def local_assets_note(static_dir: Path) -> str | None:
    """Use the vendored map assets (``use_local_assets``); a note for the page when they are missing."""
    if use_local_assets(static_dir):
        return None
    return (f"The map's JavaScript and CSS are missing from {Path(static_dir) / 'vendor'}, so maps load them from "
            f"CDNs and stay blank offline: run `make setup` once with access to the npm registry.")


def use_local_assets(static_dir: Path, url_prefix: str = DEFAULT_URL_PREFIX) -> bool:
    """Point folium at the vendored JS/CSS when all of it is present.

    Rewrites, in place on the classes, every ``default_js``/``default_css`` entry
    whose URL is in :data:`CDN_TO_LOCAL`, for :class:`folium.Map` and all loaded
    subclasses of ``folium.elements.JSCSSMixin`` (``folium.plugins`` is imported
    first, so all bundled plugins are covered), and adds the inline
    :data:`ICON_PATH_LINK_NAME` script after ``leaflet.js``. Other URLs are left
    alone. Safe to call on every Streamlit rerun; a later call with another prefix
    re-prefixes.

    Args:
        static_dir: The app's static folder (``<app dir>/static``).
        url_prefix: URL under which ``static_dir / "vendor"`` is served; see
            :func:`local_urls`.

    Returns:
        True if folium now uses the local files; False if some are missing, in which
        case folium's CDN URLs are kept (or restored) and a warning is logged.

    Raises:
        ValueError: If ``url_prefix`` is empty.
    """
    mapping = local_urls(url_prefix)
    missing = missing_assets(static_dir)
    if missing:
        restore_cdn_assets()
        logger.warning(
            "%d vendored web asset(s) missing under %s (first: %s); folium maps will "
            "load Leaflet etc. from public CDNs. Run `make -f Makefile.static "
            "static/vendor/.stamp` to fetch them.",
            len(missing),
            Path(static_dir) / VENDOR_SUBDIR,
            missing[0],
        )
        return False

    rewritten = 0
    with _lock:
        for cls in _link_classes():
            for attr in _LINK_ATTRS:
                current = cls.__dict__.get(attr)
                if not current:
                    continue
                original = _originals.get((cls, attr), current)
                if not any(url in mapping for _, url in original):
                    continue
                _originals.setdefault((cls, attr), original)
                setattr(cls, attr, _rewrite(original, mapping))
                rewritten += 1
                logger.debug("%s.%s -> local assets", cls.__qualname__, attr)
    logger.info(
        "folium assets served locally from %s (%d link lists rewritten)",
        _normalise_prefix(url_prefix),
        rewritten,
    )
    return True


def restore_cdn_assets() -> None:
    """Undo :func:`use_local_assets`: give folium classes back their CDN link lists."""
    with _lock:
        for (cls, attr), original in _originals.items():
            setattr(cls, attr, original)
        _originals.clear()


def _rewrite(links: list[tuple[str, str]], mapping: dict[str, str]) -> list[tuple[str, str]]:
    """Swap CDN URLs for local ones; follow leaflet.js with the icon-path script."""
    leaflet_js = mapping[_cdn_url_of(_LEAFLET_JS)]
    out: list[tuple[str, str]] = []
    for name, url in links:
        local = mapping.get(url, url)
        out.append((name, local))
        if local == leaflet_js:
            images = leaflet_js.rsplit("/", 1)[0] + "/images/"
            out.append((ICON_PATH_LINK_NAME, _icon_path_script(images)))
    return out


def _icon_path_script(images_url: str) -> str:
    js = f"if (window.L && L.Icon && L.Icon.Default) {{ L.Icon.Default.imagePath = {json.dumps(images_url)}; }}"
    return "data:text/javascript;charset=utf-8," + urllib.parse.quote(js, safe="")


def _cdn_url_of(rel: str) -> str:
    return next(cdn for cdn, local in CDN_TO_LOCAL.items() if local == rel)


def _normalise_prefix(url_prefix: str) -> str:
    prefix = url_prefix.strip().rstrip("/")
    if not prefix:
        raise ValueError("url_prefix must not be empty")
    if prefix.startswith("/") or "://" in prefix:
        return prefix
    return "/" + prefix


def _link_classes() -> Iterator[type]:
    """Yield folium.Map and every loaded JSCSSMixin subclass, each once."""
    import folium
    import folium.plugins  # noqa: F401  (registers the plugin classes)
    from folium.elements import JSCSSMixin

    seen: set[type] = set()
    stack: list[type] = [folium.Map, JSCSSMixin]
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        yield cls
        stack.extend(cls.__subclasses__())
