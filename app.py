"""Repeat's Streamlit entry point: the frame (login gate, navigation, sidebar) around the page the URL names."""

from __future__ import annotations

from pages.parts import frame

frame.run()
