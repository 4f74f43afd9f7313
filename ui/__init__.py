"""Streamlit widgets that the pages share: the app's only code outside ``app.py`` and ``pages/``.

``geogan_core`` never imports streamlit; a widget that needs Streamlit's component API (which
must be declared from an importable module, not from a page script) lives here.
"""
