import pytest
import streamlit as st


@pytest.fixture(autouse=True)
def fresh_streamlit_caches():
    """Each AppTest starts with empty Streamlit caches (they live in the test process)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
