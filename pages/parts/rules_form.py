"""The business-rules form and the session's rule set, so every page applies the same `recs.rules.Rules`."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.parts import common
from recs.errors import RepeatError
from recs.rules import Rules, format_boost, parse_boost, parse_ids

RULES = "reco_rules"  # session key: Rules.to_dict() of the rule set in force


def current_rules() -> Rules:
    """The rule set in force for this session (defaults until the rules form is applied)."""
    try:
        return Rules.from_dict(st.session_state.get(RULES))
    except RepeatError:
        return Rules()


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
        boost = c2.text_input("Boost (PRODUCT:FACTOR, …)", value=format_boost(now.boost))
        bury = c3.text_input("Bury (product ids)", value=", ".join(now.bury))
        submitted = st.form_submit_button("Apply rules", icon=":material/rule:")
    if submitted:
        try:
            rules = Rules(exclude_purchased=excl_purchased, exclude_non_products=excl_non,
                          include_categories=include or None, exclude_categories=exclude or None,
                          min_price=min_price, max_price=max_price, exclude_out_of_stock=excl_stock,
                          pin=parse_ids(pin), boost=parse_boost(boost), bury=parse_ids(bury),
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
