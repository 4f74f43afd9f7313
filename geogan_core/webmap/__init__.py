"""Web-map helpers for the Streamlit app (folium / streamlit-folium integration)."""
