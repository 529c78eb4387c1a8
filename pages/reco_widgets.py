"""Widgets the Recommendations, Customer and Product pages share: model choice, parameters, rules, trained models.

Trained models live in a process-wide shelf (st.cache_resource per database file) keyed by
(data version of the orders, model name, parameters, train-until, weighting); the session remembers which key is "current",
and the business rules as a plain dict, so every page applies the same Rules object.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

import pandas as pd
import streamlit as st

from pages import common
from recs import preview
from recs.errors import RepeatError
from recs.rules import Rules

CURRENT = "reco_current_model"  # session key: the shelf key of the chosen model
RULES = "reco_rules"  # session key: Rules.to_dict() of the rule set in force
SHELF_SIZE = 8
DEFAULT_MODEL = "repeat"

ModelKey = tuple[int, str, str, str, str]  # (orders version, name, params json, until iso or "", weighting)


def require_login() -> None:
    """Defense in depth for pages opened by a direct URL (/customer, /product, /recommendations).

    Streamlit can run a file in pages/ directly for such a URL, without app.py and its login gate; these pages
    then stop unless the visitor passed the gate in this session (or no login is required).
    """
    from recs import auth

    method = auth.login_method(st.get_option("server.address"), auth.secrets_have_oidc(),
                               auth.configured_password())
    if method == "none":
        return
    if method == "oidc" and st.user.is_logged_in:
        return
    if method == "password" and st.session_state.get("authenticated"):
        return
    st.warning("This shop's order data is private: log in first.")
    st.page_link("app.py", label="Go to the login", icon=":material/login:")
    st.stop()


@st.cache_resource(show_spinner=False)
def _shelf(db_path: str) -> dict[str, Any]:
    """Trained models of one database, newest last (bounded), and a lock for concurrent sessions."""
    return {"models": OrderedDict(), "lock": threading.Lock()}


def make_key(version: int, name: str, params: dict | None, until: Any, weighting: str | None) -> ModelKey:
    until_text = "" if until is None else pd.Timestamp(until).isoformat()
    return (int(version), str(name), json.dumps(params or {}, sort_keys=True, default=str), until_text,
            str(weighting or ""))


def shelved(key: ModelKey) -> tuple[Any, dict] | None:
    """The (model, meta) stored under `key` in this process, or None."""
    shelf = _shelf(str(common.db_path()))
    with shelf["lock"]:
        found = shelf["models"].get(key)
        if found is not None:
            shelf["models"].move_to_end(key)
        return found


def shelve(key: ModelKey, model: Any, meta: dict) -> None:
    shelf = _shelf(str(common.db_path()))
    with shelf["lock"]:
        shelf["models"][key] = (model, meta)
        shelf["models"].move_to_end(key)
        while len(shelf["models"]) > SHELF_SIZE:
            shelf["models"].popitem(last=False)


def progress_callback(bar: Any):
    """A recs progress callback `(fraction, message)` drawing on an st.progress bar."""

    def _update(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

    return _update


RUNNING = "reco_training_running"


def report_cancelled_training() -> None:
    """After a training run was stopped (the Cancel button, or any click that reran the page), say so once."""
    name = st.session_state.pop(RUNNING, None)
    if name is not None:
        st.warning(f"Training of **{name}** was cancelled. Nothing was stored: the previous model is still in "
                   "place.", icon=":material/cancel:")


def train(cur: Any, name: str, params: dict, until: Any, weighting: str | None) -> tuple[Any, dict] | None:
    """Train with a progress bar and a Cancel button, store it (survives a restart) and shelve it. On error:
    message, None, and the previous model stays current.

    Cancelling works through Streamlit: a click reruns the page, which stops this run at its next progress
    update; the model is stored only after the fit, so a stopped run leaves the previous files untouched, and
    the flag in session state tells the next run to say so.
    """
    from recs.export import check_orders
    from recs.training import train_model

    key = make_key(preview.orders_version(cur), name, params, until, weighting)
    bar = st.progress(0.0, text=f"Training {name}…")
    cancel = st.empty()
    cancel.button("Cancel training", key="train-cancel", icon=":material/cancel:")
    st.session_state[RUNNING] = name
    try:
        check_orders(cur, until)
        model, meta = train_model(cur, common.db_path(), name, params=params, until=until, weighting=weighting,
                                  progress=progress_callback(bar))
    except RepeatError as exc:
        st.session_state.pop(RUNNING, None)
        bar.empty()
        cancel.empty()
        common.show_error(exc)
        return None
    st.session_state.pop(RUNNING, None)
    cancel.empty()
    bar.progress(1.0, text=f"Trained {name} in {meta_seconds(meta):.1f} s")
    shelve(key, model, meta)
    st.session_state[CURRENT] = key
    return model, meta


def meta_seconds(meta: dict) -> float:
    return float(meta.get("fit_seconds") or 0.0)


def current(cur: Any) -> tuple[ModelKey, Any, dict] | None:
    """The session's chosen model if it is still shelved and was trained on the current data."""
    key = st.session_state.get(CURRENT)
    if key is None or tuple(key)[0] != preview.orders_version(cur):
        return None
    found = shelved(tuple(key))
    return None if found is None else (tuple(key), *found)


def model_for_preview(cur: Any, name: str, key_prefix: str) -> tuple[Any, dict] | None:
    """A model called `name` for the preview pages: the current one, else a shelved one, else the stored one.

    Never trains just because the page was opened (at 10 M lines that took minutes and 3 GB): with no model yet
    it shows a "Train <name> now" button (progress bar on click) and a link to the Recommendations page, and
    returns None until the user clicks. Models live in the process-wide shelf (st.cache_resource), so a stored
    model is read from disk once per process. None (and a message) on error.
    """
    now = current(cur)
    if now is not None and now[0][1] == name:
        return now[1], now[2]
    version = preview.orders_version(cur)
    shelf = _shelf(str(common.db_path()))
    with shelf["lock"]:
        same = [k for k in shelf["models"] if k[0] == version and k[1] == name]
    if same:
        return shelved(same[-1])
    stored = _load_stored(cur, name)
    if stored is not None:
        return stored
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
        model, meta = fit_model(cur, name, progress=progress_callback(bar))
    except RepeatError as exc:
        bar.empty()
        common.show_error(exc)
        return None
    bar.empty()
    shelve(make_key(version, name, {}, None, None), model, meta)
    return model, meta


def preview_default(cur: Any, fallback: str | None = None) -> str | None:
    """The model a preview page opens on: the session's chosen one, else the stored model trained most recently
    on the data now (so after a restart the pages pick up where the merchandiser left off), else `fallback`."""
    from recs.models import model_names, store

    now = current(cur)
    if now is not None:
        return now[0][1]
    stamp = store.stored_stamp(common.db_path())
    newest = _newest_stored(cur, common.data_key(cur), stamp) if stamp else None
    return newest if newest in model_names() else fallback


@st.cache_data(show_spinner=False, max_entries=16)
def _newest_stored(_cur: Any, data_key: tuple, stamp: tuple) -> str | None:
    """Cached per data version and stored files: the fingerprint costs a scan of the order lines."""
    from recs.training import newest_current_model

    try:
        return newest_current_model(_cur, common.db_path())
    except RepeatError:
        return None


def key_of(found: tuple[Any, dict]) -> tuple:
    """A hashable identity of a (model, meta) pair, for st.cache_data keys of results that depend on the model."""
    model, meta = found
    return (str(common.db_path()), meta.get("name"), json.dumps(meta.get("params") or {}, sort_keys=True,
                                                                default=str),
            meta.get("train_cutoff"), meta.get("trained_at"), id(model))


def _load_stored(cur: Any, name: str) -> tuple[Any, dict] | None:
    """The stored model `name` when it was trained on the current data version, shelved; else None."""
    from recs.models import store

    try:
        listed = store.list_models(common.db_path())
    except RepeatError:
        return None
    if listed.empty or name not in set(listed["name"].astype(str)):
        return None
    try:
        model, meta = store.load_model(common.db_path(), name)
    except RepeatError:
        return None
    if not _fresh(cur, meta):
        return None
    key = make_key(preview.orders_version(cur), name, meta.get("params"), meta_until(meta), meta.get("weighting"))
    shelve(key, model, meta)
    return model, meta


def meta_until(meta: dict) -> Any:
    """The train-until the user asked for (None = all data) as recorded in the model's metadata."""
    return meta.get("train_until") or None


def _fresh(cur: Any, meta: dict) -> bool:
    """True when a stored model was trained on the orders in the database now (or it has no fingerprint)."""
    from recs.training import is_stale

    return not isinstance(meta.get("fingerprint"), dict) or not is_stale(cur, meta)


def load_stored_as_current(cur: Any, name: str) -> bool:
    """Make the stored model `name` the session's current one; False (with a message) when that fails."""
    from recs.models import store

    try:
        model, meta = store.load_model(common.db_path(), name)
    except RepeatError as exc:
        common.show_error(exc)
        return False
    key = make_key(preview.orders_version(cur), name, meta.get("params"), meta_until(meta), meta.get("weighting"))
    shelve(key, model, meta)
    st.session_state[CURRENT] = key
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


def current_rules() -> Rules:
    """The rule set in force for this session (defaults until the rules form is applied)."""
    try:
        return Rules.from_dict(st.session_state.get(RULES))
    except RepeatError:
        return Rules()


def _ids(text: str) -> list[str]:
    return [p.strip() for p in (text or "").replace(";", ",").split(",") if p.strip()]


def parse_boost(text: str) -> dict[str, float]:
    """'P1:2, P2:1.5' -> {'P1': 2.0, 'P2': 1.5}; a bad factor raises InputError via Rules."""
    from recs.errors import InputError

    out: dict[str, float] = {}
    for item in _ids(text):
        pid, _, factor = item.partition(":")
        try:
            out[pid.strip()] = float(factor) if factor.strip() else 2.0
        except ValueError as exc:
            raise InputError(f"boost {item!r}: write PRODUCT:FACTOR, e.g. 85123A:2") from exc
    return out


def rules_form(categories: list[str], data: Any = None) -> Rules:
    """The business-rules form; on submit the rules become the session's rule set. Returns the rules in force."""
    now = current_rules()
    with st.form("rules-form"):
        c1, c2, c3 = st.columns(3)
        excl_purchased = c1.checkbox("Exclude already purchased", value=now.exclude_purchased)
        excl_non = c2.checkbox("Exclude non-products (postage, fees)", value=now.exclude_non_products)
        excl_stock = c3.checkbox("Exclude out-of-stock", value=now.exclude_out_of_stock)
        c1, c2 = st.columns(2)
        include = c1.multiselect("Only these categories", categories,
                                 default=[c for c in now.include_categories or [] if c in categories])
        exclude = c2.multiselect("Never these categories", categories,
                                 default=[c for c in now.exclude_categories or [] if c in categories])
        c1, c2, c3 = st.columns(3)
        min_price = c1.number_input("Minimum price", value=now.min_price, min_value=0.0, format="%g")
        max_price = c2.number_input("Maximum price", value=now.max_price, min_value=0.0, format="%g")
        per_cat = c3.number_input("At most per category", value=now.max_per_category, min_value=1, step=1)
        c1, c2, c3 = st.columns(3)
        pin = c1.text_input("Pin to the top (product ids, comma-separated)", value=", ".join(now.pin))
        boost = c2.text_input("Boost (PRODUCT:FACTOR, …)", value=", ".join(f"{k}:{v:g}" for k, v in now.boost.items()))
        bury = c3.text_input("Bury (product ids)", value=", ".join(now.bury))
        submitted = st.form_submit_button("Apply rules", icon=":material/rule:")
    if submitted:
        try:
            rules = Rules(exclude_purchased=excl_purchased, exclude_non_products=excl_non,
                          include_categories=include or None, exclude_categories=exclude or None,
                          min_price=min_price, max_price=max_price, exclude_out_of_stock=excl_stock,
                          pin=_ids(pin), boost=parse_boost(boost), bury=_ids(bury),
                          max_per_category=None if per_cat is None else int(per_cat))
            if data is not None:
                rules.check(data)
        except RepeatError as exc:
            common.show_error(exc)
            return now
        st.session_state[RULES] = rules.to_dict()
        st.toast("Rules applied to preview, evaluation and export")
        return rules
    return now
