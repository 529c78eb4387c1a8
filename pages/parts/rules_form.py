"""The business-rules form and the session's rule set, so every page applies the same `recs.rules.Rules`.

Campaign intent comes first: "re-buy campaign" (purchased products may come back) or "discovery" (left out). The
session remembers the intent chosen per model; without a choice each model gets the intent that fits it
(`recs.rules.default_intent`), so "Buy again" is never silently turned into a popularity list. The other rules
are one set for the session; a rule naming a product or category the chosen model does not know is named on the
page and left out, while the others apply (`Rules.usable`).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.parts import common
from recs.errors import RepeatError
from recs.rules import (
    DISCOVERY,
    INTENTS,
    Rules,
    default_intent,
    format_boost,
    intent_warning,
    known_categories,
    parse_boost,
    parse_ids,
    with_intent,
)

RULES = "reco_rules"  # session key: Rules.to_dict() of the rule set in force (its exclude_purchased: no model)
INTENT = "reco_intent"  # session key: {model name: the intent chosen for it}


def stored_rules() -> Rules:
    """The session's rule set as applied (defaults until the rules form is applied)."""
    try:
        return Rules.from_dict(st.session_state.get(RULES))
    except RepeatError:
        return Rules()


def chosen_intent(model: Any) -> str:
    """The campaign intent for `model` in this session: the one chosen for it, else the one that fits it."""
    return st.session_state.get(INTENT, {}).get(getattr(model, "name", ""), default_intent(model))


def set_intent(model: Any, intent: str) -> None:
    """Remember the intent chosen for `model` (each model keeps its own)."""
    st.session_state[INTENT] = {**st.session_state.get(INTENT, {}), model.name: intent}


def rules_for(model: Any = None) -> tuple[Rules, list[str]]:
    """(the rules in force for `model`: the session's set with the model's intent, without what the model's
    data does not know; one note per rule left out). Without a model: the stored set as is."""
    rules = stored_rules()
    if model is None:
        return rules, []
    return with_intent(rules, chosen_intent(model)).usable(model.data_)


def current_rules(model: Any = None) -> Rules:
    """The rules in force for `model` (see `rules_for`)."""
    return rules_for(model)[0]


def intent_radio(model: Any, key: str) -> str:
    """The campaign-intent choice for `model` (re-buy / discovery), defaulting to the session's choice."""
    options = list(INTENTS)
    fits = default_intent(model)
    return st.radio("Campaign intent", options, index=options.index(chosen_intent(model)), key=key,
                    format_func=INTENTS.get, horizontal=True,
                    help=f"What fits {model.label or model.name}: {INTENTS[fits]}. Re-buy: the customer's own "
                         "products may come back (reminders, replenishment). Discovery: only products they have "
                         "not bought yet.")


def show_notes(model: Any, rules: Rules, notes: list[str]) -> None:
    """Which rules the model cannot apply, and a warning when the intent works against the model."""
    if notes:
        st.warning("Not applied (the other rules are): " + "; ".join(common.literal(n) for n in notes),
                   icon=":material/rule:")
    warning = None if model is None else intent_warning(model, rules)
    if warning:
        st.warning(warning, icon=":material/info:")


def rules_form(categories: list[str], model: Any = None) -> tuple[Rules, list[str]]:
    """The business-rules form; on submit the rules become the session's rule set (and the intent the model's).
    Offers only the categories the chosen model knows. Returns (the rules in force for `model`, notes on rules
    left out)."""
    stored = stored_rules()
    if model is not None:
        categories = known_categories(model.data_)
    suffix = getattr(model, "name", "none")  # per model: each model offers its own categories
    with st.form("rules-form"):
        intent = intent_radio(model, f"rules-intent-{suffix}") if model is not None else None
        if model is None:
            st.caption("Campaign intent (re-buy or discovery) is chosen per model: train or load one first.")
        c1, c2 = st.columns(2)
        excl_non = c1.checkbox("Exclude non-products (postage, fees)", value=stored.exclude_non_products,
                               key="rules-non")
        excl_stock = c2.checkbox("Exclude out-of-stock", value=stored.exclude_out_of_stock, key="rules-stock")
        c1, c2 = st.columns(2)
        include = c1.multiselect("Only these categories", categories, key=f"rules-include-{suffix}",
                                 default=[c for c in stored.include_categories or [] if c in categories])
        exclude = c2.multiselect("Never these categories", categories, key=f"rules-exclude-{suffix}",
                                 default=[c for c in stored.exclude_categories or [] if c in categories])
        c1, c2, c3 = st.columns(3)
        min_price = c1.number_input("Minimum price", value=stored.min_price, min_value=0.0, format="%g",
                                    key="rules-min-price")
        max_price = c2.number_input("Maximum price", value=stored.max_price, min_value=0.0, format="%g",
                                    key="rules-max-price")
        per_cat = c3.number_input("At most per category", value=stored.max_per_category, min_value=1, step=1,
                                  key="rules-per-category")
        c1, c2, c3 = st.columns(3)
        pin = c1.text_input("Pin to the top (product ids, comma-separated)", value=", ".join(stored.pin),
                            key="rules-pin")
        boost = c2.text_input("Boost (PRODUCT:FACTOR, …)", value=format_boost(stored.boost), key="rules-boost")
        bury = c3.text_input("Bury (product ids)", value=", ".join(stored.bury), key="rules-bury")
        submitted = st.form_submit_button("Apply rules", icon=":material/rule:")
    if submitted:
        try:
            rules = Rules(exclude_purchased=(intent or DISCOVERY) == DISCOVERY, exclude_non_products=excl_non,
                          include_categories=include or None, exclude_categories=exclude or None,
                          min_price=min_price, max_price=max_price, exclude_out_of_stock=excl_stock,
                          pin=parse_ids(pin), boost=parse_boost(boost), bury=parse_ids(bury),
                          max_per_category=None if per_cat is None else int(per_cat))
        except RepeatError as exc:
            common.show_error(exc)
            st.warning("Nothing was applied: the rules in force are still the ones listed below.",
                       icon=":material/block:")
        else:
            st.session_state[RULES] = rules.to_dict()
            if model is not None and intent is not None:
                set_intent(model, intent)
            st.toast("Rules applied to preview, evaluation and export")
    return rules_for(model)
