"""Trained models on the Recommendations, Customer and Product pages: choose, train (with Cancel), load, draw.

The models live in a `recs.runs.ModelShelf` per database file, shared by every session (st.cache_resource);
the session remembers the `RunKey` of its chosen run. Which run a page shows is `recs.model_choice`'s rule.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.parts import common
from recs import db, model_choice
from recs.errors import RepeatError
from recs.runs import ModelShelf, RunKey, TrainedModel

CHOSEN = "reco_current_model"  # session key: the RunKey of the session's chosen run
RUNNING = "reco_training_running"  # session key: the name of a model whose training this session started
DEFAULT_MODEL = "repeat"


@st.cache_resource(show_spinner=False)
def _shelf(db_path: str) -> ModelShelf:
    """The trained models of one database, for every session of this process."""
    return ModelShelf()


def shelf() -> ModelShelf:
    return _shelf(str(common.db_path()))


def _chosen_key() -> RunKey | None:
    key = st.session_state.get(CHOSEN)
    return None if key is None else RunKey(*key)


def chosen(cur: Any) -> TrainedModel | None:
    """The session's chosen model while it serves the data now, else None."""
    return model_choice.chosen_run(shelf(), _chosen_key(), db.orders_version(cur))


def _choose(cur: Any, run: TrainedModel) -> None:
    st.session_state[CHOSEN] = shelf().put(db.orders_version(cur), run)


def progress_callback(bar: Any):
    """A recs progress callback `(fraction, message)` drawing on an st.progress bar."""

    def _update(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

    return _update


def report_cancelled_training() -> None:
    """After a training run was stopped (the Cancel button, or any click that reran the page), say so once."""
    name = st.session_state.pop(RUNNING, None)
    if name is not None:
        st.warning(f"Training of **{name}** was cancelled. Nothing was stored: the previous model is still in "
                   "place.", icon=":material/cancel:")


def train(cur: Any, name: str, params: dict, until: Any, weighting: str | None) -> TrainedModel | None:
    """Train with a progress bar and a Cancel button, store it (survives a restart) and make it the session's
    choice. On error: message, None, and the previous model stays chosen.

    Cancelling works through Streamlit: a click reruns the page, which stops this run at its next progress
    update; the model is stored only after the fit, so a stopped run leaves the previous files untouched, and
    the flag in session state tells the next run to say so.
    """
    from recs.export import check_orders
    from recs.training import train_model

    bar = st.progress(0.0, text=f"Training {name}…")
    cancel = st.empty()
    cancel.button("Cancel training", key="train-cancel", icon=":material/cancel:")
    st.session_state[RUNNING] = name
    try:
        check_orders(cur, until)
        run = train_model(cur, common.db_path(), name, params=params, until=until, weighting=weighting,
                          progress=progress_callback(bar))
    except RepeatError as exc:
        st.session_state.pop(RUNNING, None)
        bar.empty()
        cancel.empty()
        common.show_error(exc)
        return None
    st.session_state.pop(RUNNING, None)
    cancel.empty()
    bar.progress(1.0, text=f"Trained {name} in {run.fit_seconds:.1f} s")
    _choose(cur, run)
    return run


def model_for_preview(cur: Any, name: str, key_prefix: str) -> TrainedModel | None:
    """A trained model `name` for the preview pages (`recs.model_choice.run_for_preview`).

    Never trains just because the page was opened (at 10 M lines that took minutes and 3 GB): with no model yet
    it shows a "Train <name> now" button (progress bar on click) and a link to the Recommendations page, and
    returns None until the user clicks. None (and a message) on error.
    """
    found = model_choice.run_for_preview(shelf(), cur, common.db_path(), name, _chosen_key())
    if found is not None:
        return found
    box = st.empty()
    with box.container():
        st.info(f"No trained **{name}** model for this data yet. Training takes from seconds to minutes on a big "
                "shop; train it here with its default parameters, or choose parameters on the Recommendations page.")
        c1, c2 = st.columns(2)
        clicked = c1.button(f"Train {name} now", key=f"{key_prefix}-train-{name}", icon=":material/model_training:")
        c2.page_link("pages/recommendations.py", label="Go to the Recommendations page", icon=":material/tune:")
    if not clicked:
        return None
    box.empty()
    from recs.export import fit_model

    bar = st.progress(0.0, text=f"Training {name} with its default parameters…")
    try:
        run = fit_model(cur, name, progress=progress_callback(bar))
    except RepeatError as exc:
        bar.empty()
        common.show_error(exc)
        return None
    bar.empty()
    shelf().put(db.orders_version(cur), run)
    return run


def preview_default(cur: Any, fallback: str | None = None) -> str | None:
    """The model a preview page opens on: the session's chosen one, else the stored model trained most recently
    on the data now (so after a restart the pages pick up where the merchandiser left off), else `fallback`."""
    from recs.models import model_names, store

    stamp = store.stored_stamp(common.db_path())
    newest = _newest_stored(cur, common.data_key(cur), stamp) if stamp else None
    name = model_choice.preview_default(shelf(), _chosen_key(), db.orders_version(cur), newest)
    return name if name in model_names() else fallback


@st.cache_data(show_spinner=False, max_entries=16)
def _newest_stored(_cur: Any, data_key: tuple, stamp: tuple) -> str | None:
    """Cached per data version and stored files: the fingerprint costs a scan of the order lines."""
    from recs.training import newest_current_model

    try:
        return newest_current_model(_cur, common.db_path())
    except RepeatError:
        return None


def load_stored_as_current(cur: Any, name: str) -> bool:
    """Make the stored model `name` the session's choice; False (with a message) when that fails."""
    try:
        st.session_state[CHOSEN] = model_choice.load_stored(shelf(), cur, common.db_path(), name)
    except RepeatError as exc:
        common.show_error(exc)
        return False
    return True


# ---------------------------------------------------------------------------------------------- widgets


def model_select(label: str, key: str, default: str | None = None, allow_none: bool = False) -> str | None:
    """A selectbox over the registry (label shows the model's label); None option when `allow_none`."""
    from recs.models import REGISTRY, model_names

    names = list(model_names())
    options = ([None] if allow_none else []) + names
    default = default if default in names else (DEFAULT_MODEL if DEFAULT_MODEL in names else names[0])
    index = 0 if allow_none else options.index(default)

    def _fmt(name: str | None) -> str:
        if name is None:
            return "(none)"
        label_text = getattr(REGISTRY[name], "label", "") or name
        return f"{label_text} ({name})" if label_text != name else name

    return st.selectbox(label, options, index=index, key=key, format_func=_fmt)


def param_widgets(name: str, key_prefix: str) -> dict[str, Any]:
    """One widget per ParamSpec of the model class: selectbox for choices, checkbox for bool, number inputs."""
    from recs.models import REGISTRY

    cls = REGISTRY[name]
    values: dict[str, Any] = {}
    specs = list(cls.params.items())
    if not specs:
        st.caption("This model has no parameters.")
        return values
    cols = st.columns(min(3, len(specs)))
    for i, (pname, spec) in enumerate(specs):
        wkey = f"{key_prefix}-{name}-{pname}"
        with cols[i % len(cols)]:
            if spec.choices is not None:
                choices = list(spec.choices)
                values[pname] = st.selectbox(pname, choices, index=choices.index(spec.default), key=wkey,
                                             help=spec.help or None)
            elif spec.type is bool:
                values[pname] = st.checkbox(pname, value=bool(spec.default), key=wkey, help=spec.help or None)
            elif spec.type is int:
                values[pname] = int(st.number_input(
                    pname, value=int(spec.default), step=1, key=wkey, help=spec.help or None,
                    min_value=None if spec.low is None else int(spec.low),
                    max_value=None if spec.high is None else int(spec.high)))
            elif spec.type is float:
                bounded = spec.low is not None and spec.high is not None
                step = (abs(float(spec.default)) / 10.0 if spec.default
                        else (float(spec.high) - float(spec.low)) / 100.0 if bounded else 0.1)
                values[pname] = float(st.number_input(
                    pname, value=float(spec.default), step=step, format="%g", key=wkey, help=spec.help or None,
                    min_value=None if spec.low is None else float(spec.low),
                    max_value=None if spec.high is None else float(spec.high)))
            else:
                values[pname] = st.text_input(pname, value=str(spec.default), key=wkey, help=spec.help or None)
    return values
