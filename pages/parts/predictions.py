"""The Customer and Product pages' wait for the stored predictions (recs/predict/shelf.py): one fragment that
says the background worker is computing them and reruns the page when they are ready."""

from __future__ import annotations

import streamlit as st

from pages.parts import common
from recs.predict import shelf


@st.fragment(run_every=3)
def pending(cur, key, item: shelf.Item, had: shelf.Shown | None, what: str, where: str) -> None:
    """While the worker computes `item`: say so (`what` is being computed; it shows `where` when ready) or why it
    stopped, and rerun the whole page once it is stored."""
    found = shelf.lookup(cur, common.db_path(), key, item, start_worker=False)
    if found is not None and found.current:
        st.rerun()
    status = shelf.job_status(cur, common.db_path(), key)
    if status is not None and status.state == "failed":
        st.caption(f"Not available: the background computation stopped ({common.plain(status.error)}).")
    elif had is None and status is not None:
        st.caption(f"{what} being computed in the background (started "
                   f"{(status.started_at or status.queued_at):%H:%M:%S}, {status.lines:,} order lines); it shows "
                   f"{where} when it is ready.")
