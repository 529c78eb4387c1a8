"""Model runs on the Recommendations, Customer and Product pages: choose, train (with Cancel), use, draw.

Loaded runs live in a `recs.runs.ModelShelf` per database file, shared by every session (st.cache_resource);
the session keeps its own `recs.model_choice.Choice` (its chosen run and its run per model name), so another
session's training never changes what this one shows. Which run a page shows is `recs.model_choice`'s rule;
the table of stored runs (use, delete) is `pages.parts.run_list`.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.parts import common
from recs import model_choice
from recs.errors import RepeatError
from recs.model_choice import Choice
from recs.runs import ModelShelf, TrainedModel

CHOICE = "reco_model_choice"  # session key: this session's recs.model_choice.Choice per shop (database path)
RUNNING = "reco_training_running"  # session key: the name of a model whose training this session started
DEFAULT_MODEL = "repeat"


@st.cache_resource(show_spinner=False)
def _shelf(db_path: str) -> ModelShelf:
    """The loaded runs of one database, for every session of this process."""
    return ModelShelf()


def shelf() -> ModelShelf:
    return _shelf(str(common.db_path()))


def choice() -> Choice:
    """This session's choice of runs in the shop it looks at (created empty on first use; a session that switches
    shops finds its choice again when it comes back)."""
    if not isinstance(st.session_state.get(CHOICE), dict):
        st.session_state[CHOICE] = {}
    return st.session_state[CHOICE].setdefault(str(common.db_path()), Choice())


@st.cache_data(show_spinner=False, max_entries=16)
def _fingerprint(_cur: Any, data_key: tuple) -> dict:
    """The data now (one scan of the order lines), per data version."""
    from recs.training import data_fingerprint

    return data_fingerprint(_cur)


def fingerprint(cur: Any) -> dict:
    return _fingerprint(cur, common.data_key(cur))


def staleness(cur: Any, run: TrainedModel) -> str | None:
    """Why `run` is stale against the data now, in plain words; None when it is current."""
    from recs.training import staleness as why_stale

    return why_stale(run, fingerprint(cur))


@st.cache_data(show_spinner=False, max_entries=16)
def _shop_products(_cur: Any, data_key: tuple) -> int:
    from recs.preview import training_snapshot

    return int(training_snapshot(_cur)["products"] or 0)


def stale_text(cur: Any, run: TrainedModel) -> str | None:
    """The stale warning for `run` ("trained on ... ; it knew N products, the shop now has M"), or None."""
    why = staleness(cur, run)
    if why is None:
        return None
    products = _shop_products(cur, common.data_key(cur))
    return (f"Run {run.key} of **{run.name}** is stale: {why}. It knew {run.products:,} products; the shop now has "
            f"{products:,} products bought. Its lists miss what changed since: train it again for the data now.")


def chosen(cur: Any) -> TrainedModel | None:
    """The session's chosen run (a new session: the newest run trained on the data now), else None. A damaged
    run is reported in a red box (and dropped from the choice)."""
    try:
        return model_choice.session_run(shelf(), cur, common.db_path(), choice(), fingerprint(cur))
    except RepeatError as exc:
        common.show_error(exc)
        return None
    finally:
        report_unreadable()


def report_unreadable() -> None:
    """Say once which runs turned out damaged on loading (they are skipped from then on)."""
    mine = choice()
    while mine.news:
        st.warning(f"{common.plain(mine.news.pop(0))}. It is skipped; delete it on the Recommendations page.",
                   icon=":material/broken_image:")


def progress_callback(bar: Any):
    """A recs progress callback `(fraction, message)` drawing on an st.progress bar."""

    def _update(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

    return _update


def report_cancelled_training() -> None:
    """After a training run was stopped (the Cancel button, or any click that reran the page), say so once."""
    name = st.session_state.pop(RUNNING, None)
    if name is not None:
        st.warning(f"Training of **{name}** was cancelled. Nothing was stored: the previous runs are still in "
                   "place.", icon=":material/cancel:")


def train(cur: Any, name: str, params: dict, until: Any, weighting: str | None) -> TrainedModel | None:
    """Train with a progress bar and a Cancel button, store it as a new run (survives a restart) and make it the
    session's choice. On error: message, None, and the previous run stays chosen.

    Cancelling works through Streamlit: a click reruns the page, which stops this run at its next progress
    update; the run is stored only after the fit, so a stopped run leaves the stored runs untouched, and the
    flag in session state tells the next run to say so.
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
    shelf().put(run)
    choice().choose(run)
    return run


def model_for_preview(cur: Any, name: str, key_prefix: str) -> TrainedModel | None:
    """The session's run of model `name` for the preview pages (`recs.model_choice.run_for_name`), with a
    warning when it is stale.

    Never trains just because the page was opened (at 10 M lines that took minutes and 3 GB): with no run yet
    it shows a "Train <name> now" button (progress bar on click; the run is stored) and a link to the
    Recommendations page, and returns None until the user clicks. None (and a message) on error.
    """
    try:
        found = model_choice.run_for_name(shelf(), cur, common.db_path(), name, choice(), fingerprint(cur))
    except RepeatError as exc:  # cannot happen for a damaged run (skipped, reported below); any other: say so
        common.show_error(exc)
        found = None
    report_unreadable()
    if found is not None:
        warning = stale_text(cur, found)
        if warning is not None:
            st.warning(warning, icon=":material/history:")
        return found
    box = st.empty()
    with box.container():
        from recs.models import REGISTRY

        label = getattr(REGISTRY.get(name), "label", None) or name  # people read the label; the CLI takes the name
        st.info(f"No trained **{label}** model ({name}) for this data yet. Training takes from seconds to minutes on "
                "a big shop; train it here with its default parameters, or choose parameters on the Recommendations "
                "page.")
        c1, c2 = st.columns(2)
        clicked = c1.button(f"Train {label} now", key=f"{key_prefix}-train-{name}", icon=":material/model_training:")
        c2.page_link("pages/recommendations.py", label="Go to the Recommendations page", icon=":material/tune:")
    if not clicked:
        return None
    box.empty()
    from recs.export import check_orders
    from recs.training import train_model

    bar = st.progress(0.0, text=f"Training {name} with its default parameters…")
    try:
        check_orders(cur)
        run = train_model(cur, common.db_path(), name, progress=progress_callback(bar))
    except RepeatError as exc:
        bar.empty()
        common.show_error(exc)
        return None
    bar.empty()
    shelf().put(run)
    choice().by_name[name] = run.key
    return run


def preview_default(cur: Any, fallback: str | None = None) -> str | None:
    """The model a preview page opens on: the session's chosen run's (a new session: the newest run trained on
    the data now, so after a restart the pages pick up where the merchandiser left off), else `fallback`."""
    from recs.models import model_names

    found = chosen(cur)
    name = None if found is None else found.name
    return name if name in model_names() else fallback


def use_run(cur: Any, run_id: str) -> TrainedModel | None:
    """"Use this run": make stored run `run_id` the session's choice and say what was loaded (and that it is
    stale when it is); None (with a message) when that fails."""
    try:
        run = model_choice.use_run(shelf(), common.db_path(), choice(), run_id)
    except RepeatError as exc:
        common.show_error(exc)
        return None
    warning = stale_text(cur, run)
    if warning is None:
        st.success(f"Loaded **{run.name}** (run {run.key}), trained on the data as it is now.")
    else:
        st.warning(f"Loaded a stale run. {warning}", icon=":material/history:")
    return run


def run_notes(cur: Any, run: TrainedModel) -> None:
    """Under the Recommendations page's summary: the run id, and a warning when the run is stale."""
    st.caption(f"Run {run.key}, trained {run.trained_at.replace('T', ' ')[:16]} UTC.")
    warning = stale_text(cur, run)
    if warning is not None:
        st.warning(warning, icon=":material/history:")


def export_confirmed(cur: Any, run: TrainedModel) -> bool:
    """True when `run` may feed a campaign list: it is current, or the user ticked the box that says it is stale
    (drawn here, above the Export tab's form)."""
    if staleness(cur, run) is None:
        return True
    st.warning("The chosen run is stale (see above): its lists miss what changed in the data since it was trained.",
               icon=":material/history:")
    return st.checkbox("Export from this stale run anyway", value=False, key="export-allow-stale")


def record_evaluation(run: TrainedModel, frame: Any, cutoff: Any, horizon_days: int) -> None:
    """Keep the evaluation figures of the session's run beside it (shown in the table of runs); quietly nothing
    for a run that is not stored or was not evaluated."""
    from recs.models import store
    from recs.runs import evaluation_figures

    figures = evaluation_figures(frame, run.name, cutoff, horizon_days)
    if figures is None or run.path is None or run.run_id is None:
        return
    try:
        store.record_figures(common.db_path(), run.run_id, figures)
    except RepeatError:  # deleted meanwhile: nothing to keep them beside
        return


def refuse_stale_export() -> None:
    st.error("Not built: the chosen run is stale. Train the model again for the data now, or tick **Export from "
             "this stale run anyway**.")


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
