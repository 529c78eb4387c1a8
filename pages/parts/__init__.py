"""Modules the pages share. Not pages: Streamlit's old pages/ mode only lists files directly in pages/."""
