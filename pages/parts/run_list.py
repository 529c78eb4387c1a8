"""The Recommendations page's table of stored model runs: every run with its data, status and figures; use one,
delete one. A damaged run is a row with its reason, never a traceback."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.parts import common, model_runs
from recs import model_choice
from recs.errors import RepeatError
from recs.models import store

# Column order on screen: what a run is and how good it was first (a wide table scrolls sideways).
LABELS = {"run_id": "Run", "name": "Model", "status": "Status", "problem": "Problem", "ndcg_new": "NDCG new",
          "ndcg_all": "NDCG all", "eval_cutoff": "Evaluated at cutoff", "trained_at": "Trained (UTC)",
          "data": "Trained on", "train_cutoff": "Lines before", "weighting": "Weighting", "fit_seconds": "Fit (s)",
          "customers": "Customers", "products": "Products", "params": "Parameters", "size_bytes": "Size (MB)"}
STATUS = {"current": "current", "stale": "stale: older data", "damaged": "damaged", "ok": "ok"}
MESSAGE = "run-list-message"  # session key: what the last delete did, shown on the next run
PICKER, SHOWN = "stored-choice", "stored-choice-shown"  # the picker's key; the chosen run it last followed


def _delete(run_id: str) -> None:
    """The Delete button's callback (before the page reruns, so the table no longer shows the run)."""
    try:
        model_choice.delete(model_runs.shelf(), common.db_path(), model_runs.choice(), run_id)
    except RepeatError as exc:
        st.session_state[MESSAGE] = ("error", str(exc))
    else:
        st.session_state[MESSAGE] = ("success", f"Deleted run {run_id}.")
    st.session_state["run-delete-sure"] = False


def _label(row: Any) -> str:
    when = str(row["trained_at"] or "")[:16].replace("T", " ")
    return f"{row['name'] or '?'} · {when or 'unknown time'} · {STATUS.get(row['status'], row['status'])} · {row['run_id']}"


def runs_section(cur: Any) -> None:
    """Stored runs (newest first), their CSV, and "Use this run" / "Delete this run" for one of them."""
    st.subheader("Model runs")
    st.caption("Every training is kept as a run beside the earlier ones. **current**: trained on the data as it is "
               "now; **stale**: trained before the last import; **damaged**: its file cannot be read.")
    said = st.session_state.pop(MESSAGE, None)
    if said is not None:
        (st.success if said[0] == "success" else st.error)(said[1])
    frame = store.runs_frame(store.list_runs(common.db_path()), model_runs.fingerprint(cur))
    if frame.empty:
        st.caption("No stored runs yet: train a model above.")
        return
    shown = frame[list(LABELS)].rename(columns=LABELS)
    shown["Status"] = frame["status"].map(STATUS).fillna(frame["status"])
    shown["Size (MB)"] = frame["size_bytes"].astype("Float64") / 1e6
    shown["Trained (UTC)"] = frame["trained_at"].fillna("").str.replace("T", " ").str[:16]  # the CSV: every digit
    shown["Lines before"] = frame["train_cutoff"].fillna("").str.replace("T00:00:00", "").str.replace("T", " ")
    for text in ("Problem", "Evaluated at cutoff", "Trained on", "Weighting", "Parameters"):
        shown[text] = shown[text].fillna("")
    if not (frame["status"] == "damaged").any():
        shown = shown.drop(columns="Problem")
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="", column_config={  # not evaluated: blank
        "Fit (s)": st.column_config.NumberColumn(format="%.2f"), "NDCG new": st.column_config.NumberColumn(format="%.3f"),
        "NDCG all": st.column_config.NumberColumn(format="%.3f"),
        "Size (MB)": st.column_config.NumberColumn(format="%.1f")})
    st.caption(f"{len(frame):,} run(s), {frame['size_bytes'].sum() / 1e6:,.1f} MB on disk. Runs are never deleted "
               "automatically: delete the ones you no longer need below.")
    common.download_csv(frame, "model-runs.csv", key="dl-stored")
    damaged = frame[frame["status"] == "damaged"]
    if len(damaged):
        st.warning(f"{len(damaged)} run(s) cannot be read (see **Problem**); delete them or train again.",
                   icon=":material/broken_image:")
    ids = list(frame["run_id"])
    labels = {row["run_id"]: _label(row) for _, row in frame.iterrows()}
    current = model_runs.choice().chosen
    c1, c2, c3 = st.columns([4, 1, 1])
    if current in ids and st.session_state.get(SHOWN, current) != current:  # a new choice (training, Use this
        st.session_state[PICKER] = current  # run): the picker shows it, not the run picked before it
    if current is not None:
        st.session_state[SHOWN] = current
    if st.session_state.get(PICKER) not in ids:  # deleted meanwhile, or never picked
        st.session_state[PICKER] = current if current in ids else ids[0]
    picked = c1.selectbox("Stored run", ids, key=PICKER, format_func=labels.get)
    use = c2.button("Use this run", key="stored-load", icon=":material/play_arrow:")
    sure = c3.checkbox("Delete it", key="run-delete-sure", help="Tick, then press Delete this run")
    c3.button("Delete this run", key="run-delete", icon=":material/delete:", disabled=not sure, on_click=_delete,
              args=(picked,))
    if use:
        model_runs.use_run(cur, picked)
