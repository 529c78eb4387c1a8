"""Business rules on a hand-made score matrix: each rule alone, then together."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recs.errors import InputError
from recs.interactions import from_lines
from recs.rules import Rules, apply_rules

IDS = ["A", "B", "C", "D", "E"]


@pytest.fixture(scope="module")
def data():
    products = pd.DataFrame({"product_id": IDS, "name": ["a", "b", "c", "d", "e"],
                             "category": ["x", "x", "y", "y", None], "is_product": True,
                             "in_stock": [True, True, False, True, True],
                             "unit_price": [5.0, 10.0, 15.0, 20.0, np.nan]})
    lines = pd.DataFrame({"customer_id": ["u", "v"], "product_id": ["A", "E"], "order_id": ["1", "2"],
                          "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    return from_lines(lines, products, "2024-02-01")


def run(data, rules: Rules, k: int = 5, scores=None):
    s = np.array([[5.0, 4.0, 3.0, 2.0, 1.0], [1.0, 2.0, 3.0, 4.0, 5.0]]) if scores is None else scores
    purchased = data.matrix  # u bought A, v bought E
    idx, sc = apply_rules(s.copy(), purchased, data, rules, k)
    return [[IDS[j] for j in row if j >= 0] for row in idx], sc


def test_exclude_purchased_toggle(data) -> None:
    assert run(data, Rules())[0] == [["B", "C", "D", "E"], ["D", "C", "B", "A"]]
    assert run(data, Rules(exclude_purchased=False))[0] == [IDS, ["E", "D", "C", "B", "A"]]


def test_category_filters(data) -> None:
    assert run(data, Rules(include_categories=["y"]))[0] == [["C", "D"], ["D", "C"]]
    assert run(data, Rules(exclude_categories=["x"]))[0] == [["C", "D", "E"], ["D", "C"]]
    assert run(data, Rules(include_categories=["(none)"], exclude_purchased=False))[0] == [["E"], ["E"]]


def test_price_range_and_stock(data) -> None:
    assert run(data, Rules(min_price=10, max_price=15))[0] == [["B", "C"], ["C", "B"]]
    assert run(data, Rules(max_price=9.99, exclude_purchased=False))[0] == [["A"], ["A"]]  # no price: never in range
    assert run(data, Rules(exclude_out_of_stock=True))[0] == [["B", "D", "E"], ["D", "B", "A"]]


def test_boost_multiplies_and_helps_negative_scores(data) -> None:
    top, sc = run(data, Rules(boost={"D": 10.0}))
    assert top[0][0] == "D" and sc[0, 0] == 20.0
    neg = -np.array([[1.0, 2.0, 3.0, 4.0, 5.0]] * 2)
    top, sc = run(data, Rules(boost={"D": 4.0}, exclude_purchased=False), scores=neg)
    assert top[0][:2] == ["A", "D"] and sc[0, 1] == -1.0


def test_pin_first_in_order_but_never_past_filters(data) -> None:
    top, _ = run(data, Rules(pin=["E", "A"]))
    assert top == [["E", "B", "C", "D"], ["A", "D", "C", "B"]]  # u bought A, v bought E: not pinned for them
    top, _ = run(data, Rules(pin=["C"], exclude_out_of_stock=True))
    assert "C" not in top[0] + top[1]


def test_bury_goes_after_everything_else(data) -> None:
    assert run(data, Rules(bury=["B", "D"]))[0] == [["C", "E", "B", "D"], ["C", "A", "D", "B"]]


def test_max_per_category_counts_pins_and_none_group(data) -> None:
    assert run(data, Rules(max_per_category=1, exclude_purchased=False))[0] == [["A", "C", "E"], ["E", "D", "B"]]
    assert run(data, Rules(max_per_category=1, pin=["B"]))[0][0] == ["B", "C", "E"]


def test_k_larger_than_catalogue_pads(data) -> None:
    idx, sc = apply_rules(np.ones((2, 5)), data.matrix, data, Rules(), 8)
    assert (idx[:, :4] >= 0).all() and (idx[:, 4:] == -1).all() and np.isnan(sc[:, 4:]).all()
    assert idx[0, :4].tolist() == [1, 2, 3, 4]  # ties: by product order


def test_unknown_customer_rows_and_no_purchases(data) -> None:
    empty = sp.csr_matrix((2, 5), dtype=np.float32)
    idx, _ = apply_rules(np.array([[1.0, 2, 3, 4, 5], [5, 4, 3, 2, 1]]), empty, data, Rules(), 2)
    assert idx.tolist() == [[4, 3], [0, 1]]


def test_invalid_rules_are_refused(data) -> None:
    with pytest.raises(InputError, match="min_price"):
        Rules(min_price=10, max_price=5)
    with pytest.raises(InputError, match="max_per_category"):
        Rules(max_per_category=0)
    with pytest.raises(InputError, match="boost"):
        Rules(boost={"A": 0})
    with pytest.raises(InputError, match="unknown products: Z"):
        Rules(pin=["Z"]).check(data)
    with pytest.raises(InputError, match="unknown categories: garden"):
        Rules(include_categories=["garden"]).check(data)


def test_describe_and_round_trip() -> None:
    rules = Rules(exclude_purchased=False, include_categories=["y"], min_price=2, pin=["A"], boost={"B": 2},
                  bury=["C"], max_per_category=3, exclude_out_of_stock=True)
    text = "\n".join(rules.describe())
    for words in ("may be suggested again", "Only categories: y", "Price between 2 and any", "Pinned to the top: A",
                  "Boosted: B x2", "Pushed to the bottom: C", "At most 3 per category", "Out-of-stock"):
        assert words in text
    assert Rules.from_dict(rules.to_dict()) == rules
    assert Rules().describe()[0] == "Products the customer already bought are left out"


def test_ties_broken_by_tiebreak_then_product_order(data) -> None:
    scores = np.array([[0.0, 0.0, 0.0, 0.0, 0.0], [3.0, 1.0, 1.0, 1.0, 0.5]])
    pop = np.array([0.1, 0.2, 0.9, 0.5, 0.0])
    idx, sc = apply_rules(scores.copy(), None, data, Rules(), 5, tiebreak=pop)
    assert idx.tolist() == [[2, 3, 1, 0, 4], [0, 2, 3, 1, 4]]
    assert sc[1].tolist() == [3.0, 1.0, 1.0, 1.0, 0.5]  # the tie-break orders, it never changes a score


def test_a_tie_running_past_the_candidates_is_settled_on_the_whole_row() -> None:
    ids = [f"q{i:02d}" for i in range(40)]
    products = pd.DataFrame({"product_id": ids, "name": ids, "category": None, "is_product": True,
                             "in_stock": True, "unit_price": 1.0})
    lines = pd.DataFrame({"customer_id": ["u"], "product_id": ["q00"], "order_id": ["1"],
                          "ordered_at": pd.to_datetime(["2024-01-01"])})
    big = from_lines(lines, products, "2024-02-01")
    scores = np.zeros((1, 40))
    scores[0, 5] = 1.0
    pop = np.zeros(40)
    pop[[37, 39, 21]] = [3.0, 2.0, 1.0]  # all three lie outside the first k + 16 columns of a naive pick
    idx, _ = apply_rules(scores, big.matrix, big, Rules(), 4, tiebreak=pop)
    assert idx.tolist() == [[5, 37, 39, 21]]


def test_usable_leaves_out_and_names_what_the_data_does_not_know(data) -> None:
    rules = Rules(exclude_categories=["Fees", "x"], include_categories=["nope"], pin=["A", "Z"], bury=["Q"],
                  boost={"B": 2.0, "W": 3.0}, max_per_category=2, max_price=10)
    usable, notes = rules.usable(data)
    assert usable.exclude_categories == ["x"] and usable.include_categories is None
    assert usable.pin == ["A"] and usable.bury == [] and usable.boost == {"B": 2.0}
    assert usable.max_per_category == 2 and usable.max_price == 10  # the others still apply
    text = "\n".join(notes)
    for words in ("'Fees'", "'nope'", "'Z'", "'Q'", "'W'"):
        assert words in text
    usable.check(data)  # what is left is valid
    assert Rules().usable(data) == (Rules(), [])
    assert run(data, usable)[0] == [[], []]  # x excluded (pin A too: pins never pass the filters), price <= 10
    from dataclasses import replace

    assert run(data, replace(usable, max_price=None))[0][1] == ["D", "C"]


def test_known_categories_and_why_a_list_is_empty(data) -> None:
    from recs.rules import known_categories, why_empty

    assert known_categories(data) == ["x", "y", "(none)"]
    assert "already bought all 5 product(s)" in why_empty(data, Rules())
    assert "rules leave no product" in why_empty(data, Rules(include_categories=["x"], min_price=50))


def test_campaign_intent_defaults_to_the_model() -> None:
    from recs.models import get_class
    from recs.rules import DISCOVERY, REBUY, default_intent, intent_of, intent_warning, with_intent

    assert default_intent(get_class("repeat")) == REBUY and default_intent(get_class("hybrid")) == REBUY
    assert default_intent(get_class("item_knn")) == DISCOVERY and default_intent(object()) == DISCOVERY
    assert intent_of(with_intent(Rules(), REBUY)) == REBUY and not with_intent(Rules(), REBUY).exclude_purchased
    assert "with Discovery they are all left out" in intent_warning(get_class("repeat"), Rules())
    assert intent_warning(get_class("repeat"), with_intent(Rules(), REBUY)) is None
    assert intent_warning(get_class("item_knn"), Rules()) is None
    with pytest.raises(InputError, match="unknown campaign intent"):
        with_intent(Rules(), "bogus")
