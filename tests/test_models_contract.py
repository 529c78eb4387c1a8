"""The contract every registered model passes (parametrised over the registry, so a new model file is covered
automatically): cold start, unknown ids, empty data, never-bought products, save/load, determinism, rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recs.errors import InputError, ModelCannotFit, NotFound
from recs.interactions import Interactions, from_lines
from recs.models import get_class, get_model, model_names
from recs.models.base import Recommender
from recs.rules import Rules

NAMES = model_names()
CUTOFF = pd.Timestamp("2024-07-01")


def small_data(weighting: str = "binary") -> Interactions:
    """30 customers, 14 products in 3 categories (one never bought, one out of stock), 4 months of orders."""
    rng = np.random.default_rng(7)
    products = pd.DataFrame({
        "product_id": [f"p{i:02d}" for i in range(14)],
        "name": ["red mug", "blue mug", "green mug", "tea pot", "coffee beans", "tea leaves", "milk frother",
                 "garden hose", "garden gloves", "plant pot", "watering can", "seed tray", "big mug", "new teapot"],
        "category": ["kitchen"] * 7 + ["garden"] * 5 + [None, "kitchen"],
        "is_product": True,
        "in_stock": [True] * 5 + [False] + [True] * 8,
        "unit_price": [5.0, 5.0, 6.0, 20.0, 9.0, 4.0, 30.0, 25.0, 8.0, 3.0, 12.0, 2.0, np.nan, 22.0],
    })
    rows = []
    order = 0
    for c in range(30):
        group = list(range(7)) if c < 15 else list(range(7, 12))
        for _ in range(int(rng.integers(1, 5))):
            order += 1
            day = CUTOFF - pd.Timedelta(days=int(rng.integers(1, 120)))
            for p in rng.choice(group, size=int(rng.integers(1, 4)), replace=False):
                rows.append((f"c{c:02d}", f"p{p:02d}", f"o{order}", day))
        if c % 7 == 0:
            order += 1
            rows.append((f"c{c:02d}", "p12", f"o{order}", CUTOFF - pd.Timedelta(days=3)))
    lines = pd.DataFrame(rows, columns=["customer_id", "product_id", "order_id", "ordered_at"])
    return from_lines(lines, products, CUTOFF, weighting=weighting)


def with_empty_customer(data: Interactions, customer_id: str) -> Interactions:
    """The same data plus a customer row with no purchases (a known id without history)."""
    def grow(m: sp.csr_matrix) -> sp.csr_matrix:
        return sp.vstack([m, sp.csr_matrix((1, m.shape[1]), dtype=m.dtype)]).tocsr()

    return Interactions(matrix=grow(data.matrix), counts=grow(data.counts), last_days=grow(data.last_days),
                        customer_ids=np.append(data.customer_ids, customer_id).astype(object),
                        product_ids=data.product_ids, products=data.products, cutoff=data.cutoff,
                        weighting=data.weighting)


@pytest.fixture(scope="module")
def data() -> Interactions:
    return small_data()


_FITTED: dict[tuple[str, int], Recommender] = {}


def fitted(name: str, data: Interactions) -> Recommender:
    """One fitted model per (name, data) for the read-only tests (recommend/explain do not change a model);
    keeps the suite fast for models that take a while to fit."""
    key = (name, id(data))
    if key not in _FITTED:
        _FITTED[key] = get_model(name).fit(data)
    return _FITTED[key]


def purchased_pairs(data: Interactions) -> set[tuple[str, str]]:
    coo = data.matrix.tocoo()
    return {(data.customer_ids[r], data.product_ids[c]) for r, c in zip(coo.row, coo.col, strict=True)}


@pytest.mark.parametrize("name", NAMES)
def test_output_columns_types_and_ranks(name: str, data: Interactions) -> None:
    recs = fitted(name, data).recommend(k=4)
    assert list(recs.columns) == ["customer_id", "rank", "product_id", "product_name", "score", "reason"]
    assert recs["rank"].dtype == np.int64 and recs["score"].dtype == np.float64
    assert set(recs["customer_id"]) == set(data.customer_ids)
    assert recs["reason"].str.len().min() > 10
    for _, g in recs.groupby("customer_id"):
        assert g["rank"].tolist() == list(range(1, len(g) + 1))
        assert g["product_id"].is_unique
        assert g["score"].is_monotonic_decreasing or g["score"].round(6).is_monotonic_decreasing
        assert len(g) == 4


@pytest.mark.parametrize("name", NAMES)
def test_excluded_purchases_never_appear(name: str, data: Interactions) -> None:
    recs = fitted(name, data).recommend(k=8)
    got = set(zip(recs["customer_id"], recs["product_id"], strict=True))
    assert not got & purchased_pairs(data)


@pytest.mark.parametrize("name", NAMES)
def test_unknown_and_historyless_customers_get_popular(name: str, data: Interactions) -> None:
    grown = with_empty_customer(data, "ghost")
    model = fitted(name, grown)
    recs = model.recommend(["ghost", "nobody-knows-me"], k=3)
    ghost = recs[recs.customer_id == "ghost"]
    unknown = recs[recs.customer_id == "nobody-knows-me"]
    assert len(ghost) == 3 and len(unknown) == 3
    assert ghost["product_id"].tolist() == unknown["product_id"].tolist()
    assert all(r.startswith("Popular with customers like everyone") for r in recs["reason"])
    # the fallback is recency-weighted popularity: the top product has the most recent buyers
    assert "Popular with customers like everyone" in model.explain("nobody-knows-me", "p00")


@pytest.mark.parametrize("name", NAMES)
def test_empty_matrix_is_refused(name: str, data: Interactions) -> None:
    empty = from_lines(pd.DataFrame(columns=["customer_id", "product_id", "order_id", "ordered_at"]),
                       data.products, CUTOFF)
    assert empty.matrix.shape[0] == 0
    with pytest.raises(InputError, match="no interactions"):
        get_model(name).fit(empty)


@pytest.mark.parametrize("name", NAMES)
def test_never_bought_product(name: str, data: Interactions) -> None:
    model = fitted(name, data)
    assert data.products.set_index("product_id").loc["p13", "buyers"] == 0
    sim = model.similar_items("p13", k=5)
    assert list(sim.columns) == ["rank", "product_id", "product_name", "score"]
    assert "p13" not in set(sim["product_id"])
    assert isinstance(model.explain("c00", "p13"), str) and model.explain("c00", "p13")
    with pytest.raises(NotFound):
        model.similar_items("no-such-product")
    with pytest.raises(NotFound):
        model.explain("c00", "no-such-product")


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip(name: str, data: Interactions, tmp_path) -> None:
    model = fitted(name, data)
    path = tmp_path / f"{name}.npz"
    model.save(path)
    again = get_class(name).load(path)
    assert again.get_params() == model.get_params()
    pd.testing.assert_frame_equal(model.recommend(k=5), again.recommend(k=5))
    pd.testing.assert_frame_equal(model.similar_items("p01", 5), again.similar_items("p01", 5))
    assert model.explain("c03", "p02") == again.explain("c03", "p02")
    loaded_any = Recommender.load(path)  # the file says which model it holds
    assert type(loaded_any) is type(model)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_output_and_progress(name: str, data: Interactions) -> None:
    seen: list[float] = []
    fresh = get_model(name).fit(small_data(), progress=lambda f, _m: seen.append(f))
    pd.testing.assert_frame_equal(fitted(name, data).recommend(k=5), fresh.recommend(k=5))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in seen)


@pytest.mark.parametrize("name", NAMES)
def test_rules_are_honoured(name: str, data: Interactions) -> None:
    model = fitted(name, data)
    products = data.products.set_index("product_id")
    k = 5
    only_garden = model.recommend(k=k, rules=Rules(include_categories=["garden"]))
    assert set(products.loc[only_garden.product_id, "category"]) <= {"garden"}
    no_kitchen = model.recommend(k=k, rules=Rules(exclude_categories=["kitchen"]))
    assert "kitchen" not in set(products.loc[no_kitchen.product_id, "category"].dropna())
    priced = model.recommend(k=k, rules=Rules(min_price=5.0, max_price=20.0))
    prices = products.loc[priced.product_id, "unit_price"]
    assert prices.between(5.0, 20.0).all()
    stocked = model.recommend(k=k, rules=Rules(exclude_out_of_stock=True))
    assert products.loc[stocked.product_id, "in_stock"].all()
    capped = model.recommend(k=k, rules=Rules(max_per_category=2))
    per_cat = capped.assign(cat=products.loc[capped.product_id, "category"].fillna("(none)").to_numpy())
    assert per_cat.groupby(["customer_id", "cat"]).size().max() <= 2
    pinned = model.recommend(k=k, rules=Rules(pin=["p13", "p11"]))
    for cid, g in pinned.groupby("customer_id"):
        bought = {p for c, p in purchased_pairs(data) if c == cid}
        expect = [p for p in ["p13", "p11"] if p not in bought]
        assert g["product_id"].tolist()[: len(expect)] == expect
        assert g["reason"].iloc[0].startswith("Pinned")
    plain = model.recommend(k=k)
    top = plain[plain["rank"] == 1].set_index("customer_id")["product_id"]
    buried = model.recommend(k=k, rules=Rules(bury=sorted(set(top))))
    for _cid, g in buried.groupby("customer_id"):
        ids = g["product_id"].tolist()
        flagged = [i in set(top) for i in ids]
        assert flagged == sorted(flagged)  # buried products only after every non-buried one
    with_purchases = model.recommend(k=k, rules=Rules(exclude_purchased=False))
    assert len(with_purchases) == k * data.n_customers


@pytest.mark.parametrize("name", NAMES)
def test_k_larger_than_catalogue(name: str, data: Interactions) -> None:
    recs = fitted(name, data).recommend(["c00", "c20", "stranger"], k=100)
    bought = purchased_pairs(data)
    for cid, g in recs.groupby("customer_id"):
        mine = sum(1 for c, _ in bought if c == cid)
        assert len(g) == data.n_products - mine
        assert g["rank"].tolist() == list(range(1, len(g) + 1))


@pytest.mark.parametrize("name", NAMES)
def test_bad_requests(name: str, data: Interactions) -> None:
    with pytest.raises(InputError, match="unknown parameter"):
        get_model(name, not_a_param=1)
    with pytest.raises(InputError, match="not trained"):
        get_model(name).recommend(["c00"])
    model = fitted(name, data)
    for bad_k in (0, -3, "x"):
        with pytest.raises(InputError):
            model.recommend(["c00"], k=bad_k)
    with pytest.raises(InputError, match="unknown products"):
        model.recommend(["c00"], rules=Rules(pin=["nope"]))
    spec = get_class(name).params
    assert all(spec[p].default == v for p, v in get_model(name).get_params().items())


@pytest.mark.parametrize("name", NAMES)
def test_progress_can_cancel(name: str, data: Interactions) -> None:
    def cancel(fraction: float, _message: str) -> None:
        if fraction > 0:
            raise KeyboardInterrupt("cancelled")

    model = get_model(name)
    with pytest.raises(KeyboardInterrupt):
        model.fit(data, progress=cancel)
    with pytest.raises(InputError, match="not trained"):
        model.recommend(["c00"])


@pytest.mark.parametrize("name", NAMES)
def test_weightings_all_work(name: str) -> None:
    for weighting in ("count", "recency"):
        recs = get_model(name).fit(small_data(weighting)).recommend(["c01", "c22"], k=3)
        assert len(recs) == 6 and np.isfinite(recs["score"]).all()


def _snapshot(obj: object) -> dict[str, tuple[int, object]]:
    """Every attribute of an object: its identity, and a copy of its content for arrays and sparse matrices."""
    out = {}
    for key, value in vars(obj).items():
        if isinstance(value, np.ndarray):
            out[key] = (id(value), value.copy())
        elif sp.issparse(value):
            out[key] = (id(value), (value.data.copy(), value.indices.copy(), value.indptr.copy()))
        else:
            out[key] = (id(value), None)
    return out


def _same(before: dict, after: dict) -> list[str]:
    changed = sorted(set(before) ^ set(after))
    for key in set(before) & set(after):
        (id_b, copy_b), (id_a, copy_a) = before[key], after[key]
        if id_b != id_a:
            changed.append(key)
        elif isinstance(copy_b, np.ndarray):
            if not np.array_equal(copy_b, copy_a, equal_nan=copy_b.dtype.kind in "fc"):
                changed.append(key)
        elif copy_b is not None and not all(np.array_equal(x, y) for x, y in zip(copy_b, copy_a, strict=True)):
            changed.append(key)
    return changed


def _serve(model: Recommender, customers: list[str]) -> tuple:
    """Everything a page asks of a fitted model, for some customers."""
    recs = model.recommend(customers, k=4, batch_size=3)
    pinned = model.recommend(customers, k=3, rules=Rules(pin=["p13"], exclude_purchased=False))
    why = [model.explain(c, p) for c in customers for p in ("p01", "p08")]
    sim = model.similar_items("p0" + str(len(customers) % 10), 4)
    buyers = model.likely_buyers("p02", 5, exclude_purchased=bool(len(customers) % 2))
    return recs, pinned, why, sim, buyers, model.score_customers(customers)


def _equal(a: tuple, b: tuple) -> None:
    for x, y in zip(a, b, strict=True):
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_exact=True)
        elif isinstance(x, np.ndarray):
            assert np.array_equal(x, y)
        else:
            assert x == y


@pytest.mark.parametrize("name", NAMES)
def test_a_fitted_model_is_read_only(name: str, data: Interactions) -> None:
    model = fitted(name, data)
    before, data_before = _snapshot(model), _snapshot(model.data_)
    _serve(model, ["c00", "c17", "stranger"])
    model.recommend(k=2)
    assert _same(before, _snapshot(model)) == [] and _same(data_before, _snapshot(model.data_)) == []


@pytest.mark.parametrize("name", NAMES)
def test_threads_sharing_one_model_equal_a_serial_run(name: str, data: Interactions) -> None:
    from concurrent.futures import ThreadPoolExecutor

    model = fitted(name, data)
    groups = [[str(c) for c in data.customer_ids[t::8]] + [f"stranger{t}"] for t in range(8)]
    serial = [_serve(model, g) for g in groups]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(2):
            for want, got in zip(serial, pool.map(lambda g: _serve(model, g), groups), strict=True):
                _equal(want, got)


@pytest.mark.parametrize("name", NAMES)
def test_score_contract_and_reasons_equal_explain(name: str, data: Interactions) -> None:
    model = fitted(name, data)
    rows = np.array([0, 3, 17], dtype=np.int64)
    scores = model.score(rows)
    assert scores.dtype == np.float32 and scores.shape == (3, data.n_products)
    assert np.array_equal(model.score_with_context(rows)[0], scores)
    assert np.array_equal(model.score_customers(data.customer_ids[rows]), scores)
    recs = model.recommend(["c00", "c05", "stranger"], k=3)
    assert recs["reason"].tolist() == [model.explain(c, p) for c, p in zip(recs.customer_id, recs.product_id,
                                                                            strict=True)]


@pytest.mark.parametrize("name", NAMES)
def test_model_file_holds_no_pickle_and_old_files_load(name: str, data: Interactions, tmp_path) -> None:
    import json

    model = fitted(name, data)
    path = tmp_path / "m.npz"
    model.save(path, meta={"note": "x"})
    with np.load(path, allow_pickle=False) as z:
        arrays = {key: z[key] for key in z.files}
    assert all(a.dtype != object for a in arrays.values())
    header = json.loads(str(arrays["__meta__"]))
    if not header["nested"]:  # a file written before nested models (format 1) reads the same
        header["format"] = 1
        del header["nested"]
        arrays["__meta__"] = np.array(json.dumps(header))
        with open(tmp_path / "old.npz", "wb") as fh:
            np.savez(fh, **arrays)
        old, meta = Recommender.load_with_meta(tmp_path / "old.npz")
        assert meta == {"note": "x"}
        pd.testing.assert_frame_equal(old.recommend(k=3), model.recommend(k=3))


def tiny_data(n_customers: int, n_products: int) -> Interactions:
    """Every customer bought every product of a tiny catalogue twice (the odd shops: one product, one customer)."""
    products = pd.DataFrame({"product_id": [f"p{j}" for j in range(n_products)],
                             "name": [f"product {j}" for j in range(n_products)], "category": "only",
                             "is_product": True, "in_stock": True, "unit_price": 5.0})
    rows = [(f"c{c}", f"p{j}", f"o{c}-{j}-{n}", CUTOFF - pd.Timedelta(days=10 + 20 * n + c))
            for c in range(n_customers) for j in range(n_products) for n in range(2)]
    lines = pd.DataFrame(rows, columns=["customer_id", "product_id", "order_id", "ordered_at"])
    return from_lines(lines, products, CUTOFF)


@pytest.mark.parametrize("shape", [(30, 1), (1, 4)], ids=["one-product", "one-customer"])
@pytest.mark.parametrize("name", NAMES)
def test_a_tiny_shop_fits_or_says_why_in_one_line(name: str, shape: tuple[int, int]) -> None:
    """A one-product or one-customer shop: the model fits and its lists are finite, or it refuses with a
    ModelCannotFit (a RepeatError: one line on the page and in the CLI), never NaN scores or a library's error."""
    data = tiny_data(*shape)
    try:
        model = get_model(name).fit(data)
    except ModelCannotFit as exc:
        assert f"model {name} cannot learn" in str(exc) and "\n" not in str(exc)
        return
    lists = model.recommend(None, k=3, rules=Rules(exclude_purchased=False))
    assert len(lists) and np.isfinite(lists["score"]).all()
    assert model.recommend(None, k=3).empty  # every product already bought: nothing new to suggest


def test_factors_that_come_out_nan_are_a_model_cannot_fit() -> None:
    """implicit's ModelFitError (NaN factors: no regularization on one product) becomes one line naming the shop."""
    with pytest.raises(ModelCannotFit, match=r"model als cannot learn .*30 customers and 1 product.*regularization"):
        get_model("als", regularization=0.0).fit(tiny_data(30, 1))


def test_a_nested_model_that_cannot_fit_is_named_with_its_parent() -> None:
    """A model built on another (as the hybrid on als) says whose part could not learn, in one line."""

    class Nested(Recommender):
        name = "nested_probe"

        def _fit(self, data: Interactions) -> None:
            self.base_ = get_model("als", regularization=0.0).fit(data)

        def score(self, rows: np.ndarray) -> np.ndarray:
            return self.base_.score(rows)

    with pytest.raises(ModelCannotFit, match=r"^model nested_probe cannot be trained because its part model als "):
        Nested().fit(tiny_data(30, 1))
