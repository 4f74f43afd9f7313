"""``streamlit run``, with the models loading while the server starts: ``python -m ui.serve app.py [options]``.

``streamlit run`` imports nothing of the app until the first browser connects, and then that
first page waits for torch, the data, the default model, the land-cover heads and folium (about
5 s on 2 cores) before it can draw the map. Here a background thread loads them
(``geogan_core.shared_explorer().warm_up()`` and the map modules) while Streamlit starts and the
browser loads its JavaScript, and then what the other pages import (scikit-learn, the Features
page's map); the pages find them ready in the process (the explorer is shared by every page and
session). ``make run`` and the browser tests start the app this way.
"""

from __future__ import annotations

import importlib
import sys
import threading


def preload() -> None:
    """Open the shared explorer (data, default model, heads), then import what the other pages need."""
    import geogan_core as gc

    try:
        gc.shared_explorer().warm_up()
    except gc.GeoGanError:
        return  # the pages say what is wrong and what to do
    for module in ("geogan_core.webmap.clickmap",  # the Map page: folium compiles its templates on import
                   "geogan_core.evaluation.embedding",  # the Features page: scikit-learn, 1.8 s
                   "streamlit_folium"):  # the Features page's map
        importlib.import_module(module)


def main(argv: list[str] | None = None) -> None:
    """Start the preload thread, then ``streamlit run`` with ``argv`` (the script and its options)."""
    from streamlit.web import cli

    threading.Thread(target=preload, name="geogan-preload", daemon=True).start()
    sys.argv = ["streamlit", "run", *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
