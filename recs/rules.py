"""Business rules applied to model scores, once, in one place: preview, evaluation and export agree.

Order of application (for each customer row):
1. filters remove products: not a real product, outside included categories, in excluded categories, price
   outside [min_price, max_price] (a product with no price fails a price rule), out of stock (when asked),
   already purchased (when `exclude_purchased`);
2. boost multiplies a positive score by the factor (a negative score is divided by it, so a boost always helps);
3. pinned products that survived the filters go first, in the order given;
4. buried products go after every non-buried one;
5. at most `max_per_category` products of one category (pinned ones count too); products with no category
   form one group "(none)".

Campaign intent (what `exclude_purchased` means to a merchandiser): a "re-buy campaign" lets products the customer
bought come back, "discovery" leaves them out. The default fits the model (`default_intent`): a model built on the
customer's own re-purchases (Buy again, the hybrid) defaults to re-buy, every other model to discovery, so the
default never silently turns "Buy again" into a popularity list.

A rule that names a product or category the model's data does not know is left out by `Rules.usable(data)`,
which names it; the other rules still apply (`check` refuses such a rule set, for API callers).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recs.errors import InputError

NO_CATEGORY = "(none)"
REBUY = "rebuy"
DISCOVERY = "discovery"
INTENTS = {REBUY: "Re-buy campaign: products they bought may come back",
           DISCOVERY: "Discovery: only products they have not bought"}


def default_intent(model: Any) -> str:
    """The campaign intent that fits a model (class or instance): its `intent` attribute, else discovery."""
    intent = getattr(model, "intent", DISCOVERY)
    return intent if intent in INTENTS else DISCOVERY


def intent_of(rules: Rules) -> str:
    """REBUY when purchased products may come back, else DISCOVERY."""
    return DISCOVERY if rules.exclude_purchased else REBUY


def with_intent(rules: Rules, intent: str) -> Rules:
    """The same rules for a campaign intent (REBUY allows purchased products, DISCOVERY leaves them out)."""
    if intent not in INTENTS:
        raise InputError(f"unknown campaign intent {intent!r}; known: {', '.join(INTENTS)}")
    return replace(rules, exclude_purchased=intent == DISCOVERY)


def intent_warning(model: Any, rules: Rules) -> str | None:
    """A plain-language warning when the intent works against the model (discovery on a re-buy model)."""
    if default_intent(model) == REBUY and rules.exclude_purchased:
        label = getattr(model, "label", "") or getattr(model, "name", "this model")
        return (f"{label} suggests products the customer bought before; with Discovery they are all left out and "
                "the lists fall back to other products (mostly popular ones). Choose a re-buy campaign to use "
                "what the model is good at.")
    return None


@dataclass
class Rules:
    """A merchandiser's rule set; the defaults exclude purchased products and non-products only."""

    exclude_purchased: bool = True
    exclude_non_products: bool = True
    include_categories: list[str] | None = None
    exclude_categories: list[str] | None = None
    min_price: float | None = None
    max_price: float | None = None
    exclude_out_of_stock: bool = False
    pin: list[str] = field(default_factory=list)
    boost: dict[str, float] = field(default_factory=dict)
    bury: list[str] = field(default_factory=list)
    max_per_category: int | None = None

    def __post_init__(self) -> None:
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise InputError(f"price range: min_price {self.min_price} is above max_price {self.max_price}")
        if self.max_per_category is not None and int(self.max_per_category) < 1:
            raise InputError(f"max_per_category must be at least 1, got {self.max_per_category}")
        for pid, factor in self.boost.items():
            if not (isinstance(factor, int | float) and np.isfinite(factor) and factor > 0):
                raise InputError(f"boost for product {pid!r} must be a positive number, got {factor!r}")
        self.pin = [str(p) for p in self.pin]
        self.bury = [str(p) for p in self.bury]
        self.boost = {str(k): float(v) for k, v in self.boost.items()}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Rules:
        return cls(**(data or {}))

    def describe(self) -> list[str]:
        """Plain-language lines for the page and the export header."""
        lines = ["Products the customer already bought are left out" if self.exclude_purchased
                 else "Products the customer already bought may be suggested again"]
        if self.exclude_non_products:
            lines.append("Postage, fees and other non-products are left out")
        if self.include_categories:
            lines.append("Only categories: " + ", ".join(self.include_categories))
        if self.exclude_categories:
            lines.append("Never categories: " + ", ".join(self.exclude_categories))
        if self.min_price is not None or self.max_price is not None:
            lo = f"{self.min_price:g}" if self.min_price is not None else "any"
            hi = f"{self.max_price:g}" if self.max_price is not None else "any"
            lines.append(f"Price between {lo} and {hi}")
        if self.exclude_out_of_stock:
            lines.append("Out-of-stock products are left out")
        if self.pin:
            lines.append("Pinned to the top: " + ", ".join(self.pin))
        if self.boost:
            lines.append("Boosted: " + ", ".join(f"{k} x{v:g}" for k, v in self.boost.items()))
        if self.bury:
            lines.append("Pushed to the bottom: " + ", ".join(self.bury))
        if self.max_per_category:
            lines.append(f"At most {self.max_per_category} per category")
        return lines

    def usable(self, data: Any) -> tuple[Rules, list[str]]:
        """(the rules without the product ids and categories `data` does not know, one note per rule left out):
        the other rules still apply. An include-only list with no known category is dropped whole (with a note)
        rather than leaving nothing to recommend."""
        notes: list[str] = []

        def known_ids(ids: list[str], what: str) -> list[str]:
            unknown = [p for p in ids if data.product_index(p) is None]
            if unknown:
                notes.append(f"{what}: {', '.join(repr(p) for p in unknown[:10])} not among the model's products, "
                             "not applied")
            return [p for p in ids if p not in unknown]

        known = set(_categories(data.products))

        def known_cats(cats: list[str] | None, what: str) -> list[str] | None:
            if not cats:
                return cats
            missing = [c for c in cats if c not in known]
            if missing:
                notes.append(f"{what}: {', '.join(repr(c) for c in missing)} not a category of the model's products, "
                             "not applied")
            return [c for c in cats if c in known] or None

        boost_ok = set(known_ids(list(self.boost), "Boost"))
        out = replace(self, pin=known_ids(self.pin, "Pin"), bury=known_ids(self.bury, "Bury"),
                      boost={p: f for p, f in self.boost.items() if p in boost_ok},
                      include_categories=known_cats(self.include_categories, "Only these categories"),
                      exclude_categories=known_cats(self.exclude_categories, "Never these categories"))
        return out, notes

    def check(self, data: Any) -> None:
        """Refuse product ids and categories the data does not know (InputError naming them)."""
        unknown = [p for p in [*self.pin, *self.boost, *self.bury] if data.product_index(p) is None]
        if unknown:
            raise InputError("rules name unknown products: " + ", ".join(sorted(set(unknown))[:10]))
        known = set(_categories(data.products))
        wanted = [*(self.include_categories or []), *(self.exclude_categories or [])]
        missing = [c for c in wanted if c not in known]
        if missing:
            raise InputError(f"rules name unknown categories: {', '.join(missing)}; known: "
                             + ", ".join(sorted(known)[:30]))


def known_categories(data: Any) -> list[str]:
    """The categories of the model's products (what the category rules can name), sorted; "(none)" last."""
    cats = set(_categories(data.products).tolist())
    return sorted(cats - {NO_CATEGORY}) + ([NO_CATEGORY] if NO_CATEGORY in cats else [])


def why_empty(data: Any, rules: Rules) -> str:
    """Why the rules leave a customer without any recommendation, in words for the page and the CLI."""
    allowed = int(allowed_mask(data, rules).sum())
    if allowed == 0:
        return ("the rules leave no product to recommend (" + "; ".join(rules.describe()[1:] or ["no rule"])
                + "): loosen them")
    if rules.exclude_purchased:
        return (f"they already bought all {allowed:,} product(s) the rules allow, and Discovery leaves purchased "
                "products out: choose a re-buy campaign (Campaign intent on the page, --intent rebuy in the CLI) or loosen the "
                "rules")
    return "the model scored no product for these customers"


def parse_ids(text: str | None) -> list[str]:
    """Product ids as a merchandiser types them: 'P1, P2; P3' -> ['P1', 'P2', 'P3'] (blanks dropped)."""
    return [p.strip() for p in (text or "").replace(";", ",").split(",") if p.strip()]


def parse_boost(text: str | None) -> dict[str, float]:
    """'P1:2, P2:1.5' -> {'P1': 2.0, 'P2': 1.5}; a product without a factor is boosted x2. InputError naming a
    factor that is not a number (Rules refuses one that is not positive)."""
    out: dict[str, float] = {}
    for item in parse_ids(text):
        pid, _, factor = item.partition(":")
        try:
            out[pid.strip()] = float(factor) if factor.strip() else 2.0
        except ValueError as exc:
            raise InputError(f"boost {item!r}: write PRODUCT:FACTOR, e.g. 85123A:2") from exc
    return out


def format_boost(boost: dict[str, float]) -> str:
    """The text `parse_boost` reads back: 'P1:2, P2:1.5'."""
    return ", ".join(f"{k}:{v:g}" for k, v in boost.items())


def _categories(products: pd.DataFrame) -> np.ndarray:
    cats = products["category"].astype(object).to_numpy()
    return np.array([c if isinstance(c, str) and c != "" else NO_CATEGORY for c in cats], dtype=object)


def allowed_mask(data: Any, rules: Rules) -> np.ndarray:
    """Products that pass every filter that does not depend on the customer."""
    p = data.products
    ok = np.ones(len(p), dtype=bool)
    if rules.exclude_non_products and "is_product" in p:
        ok &= p["is_product"].fillna(True).to_numpy(dtype=bool)
    cats = _categories(p)
    if rules.include_categories:
        ok &= np.isin(cats, np.array(rules.include_categories, dtype=object))
    if rules.exclude_categories:
        ok &= ~np.isin(cats, np.array(rules.exclude_categories, dtype=object))
    price = p["unit_price"].to_numpy(dtype=float, na_value=np.nan)
    if rules.min_price is not None:
        ok &= np.nan_to_num(price, nan=-np.inf) >= rules.min_price
    if rules.max_price is not None:
        ok &= np.nan_to_num(price, nan=np.inf) <= rules.max_price
    if rules.exclude_out_of_stock:
        ok &= p["in_stock"].fillna(True).to_numpy(dtype=bool)
    return ok


def apply_rules(scores: np.ndarray, purchased: sp.csr_matrix | None, data: Any, rules: Rules | None,
                k: int, tiebreak: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k product columns per row after the rules, best first.

    `scores` is a dense (rows, products) array (modified in place); `purchased` the customers' CSR rows (same
    row order, empty rows for unknown customers). `tiebreak` (one value per product, larger first, e.g.
    popularity) orders equal scores; remaining ties go by product order. Returns (indices, scores), both (rows, k); when fewer than k products survive, indices are -1 and
    scores NaN at the end.
    """
    rules = rules or Rules()
    n_rows, n_items = scores.shape
    if scores.dtype not in (np.float32, np.float64):
        scores = scores.astype(np.float64)
    scores[:, ~allowed_mask(data, rules)] = -np.inf
    if rules.exclude_purchased and purchased is not None and purchased.nnz:
        r = np.repeat(np.arange(n_rows), np.diff(purchased.indptr))
        scores[r, purchased.indices] = -np.inf
    for pid, factor in rules.boost.items():
        j = data.product_index(pid)
        if j is not None:
            col = scores[:, j]
            scores[:, j] = np.where(col > 0, col * factor, col / factor)
    pins = [j for j in (data.product_index(p) for p in rules.pin) if j is not None]
    buried = [j for j in (data.product_index(p) for p in rules.bury) if j is not None]
    order_key = scores.astype(np.float64) if (pins or buried) else scores
    tb = np.zeros(n_items) if tiebreak is None else np.asarray(tiebreak, dtype=np.float64)
    if buried:
        finite = np.where(np.isfinite(order_key), order_key, np.nan)
        with np.errstate(all="ignore"):
            span = np.nan_to_num(np.nanmax(finite, axis=1) - np.nanmin(finite, axis=1), nan=0.0) + 1.0
        sub = order_key[:, buried]
        order_key[:, buried] = np.where(np.isfinite(sub), sub - span[:, None] * 2.0, sub)
    pin_block = np.full((n_rows, len(pins)), -1, dtype=np.int64)
    for c, j in enumerate(pins):  # a pinned product goes first when the filters let it through
        keep = np.isfinite(scores[:, j])
        pin_block[keep, c] = j
        order_key[:, j] = -np.inf
    cats = _categories(data.products) if rules.max_per_category else None
    out_idx = np.full((n_rows, k), -1, dtype=np.int64)
    want = min(n_items, k + 16 if cats is None else max(4 * k, k + 64))
    if want <= 0 or n_rows == 0:
        return out_idx, np.full((n_rows, k), np.nan)
    if want < n_items:
        cand = np.argpartition(-order_key, want - 1, axis=1)[:, :want]
    else:
        cand = np.tile(np.arange(n_items), (n_rows, 1))
    ck = np.take_along_axis(order_key, cand, axis=1)
    sort = np.lexsort((cand, -tb[cand], -ck), axis=1)
    cand = np.take_along_axis(cand, sort, axis=1)
    ck = np.take_along_axis(ck, sort, axis=1)
    if want < n_items:  # a tie running past the candidates: settle it on the whole row
        kk = min(k, want)
        for r in np.flatnonzero(np.isfinite(ck[:, -1]) & (ck[:, kk - 1] == ck[:, -1])):
            full = np.lexsort((np.arange(n_items), -tb, -order_key[r]))[:want]
            cand[r], ck[r] = full, order_key[r, full]
    if cats is None and not pins:
        m = min(k, want)
        out_idx[:, :m] = np.where(np.isfinite(ck[:, :m]), cand[:, :m], -1)  # -inf sorts last, so -1 only at the end
    else:
        for r in range(n_rows):
            pinned = [j for j in pin_block[r] if j >= 0]
            picked = _pick(pinned, cand[r][np.isfinite(ck[r])], cats, rules.max_per_category, k)
            if len(picked) < k and want < n_items and np.isfinite(ck[r, -1]):
                full = np.argsort(-order_key[r], kind="stable")
                full = full[np.isfinite(order_key[r, full])]
                picked = _pick(pinned, full, cats, rules.max_per_category, k)
            out_idx[r, : len(picked)] = picked
    out_scores = np.where(out_idx >= 0, np.take_along_axis(scores, np.maximum(out_idx, 0), axis=1), np.nan)
    return out_idx, out_scores.astype(np.float64)


def _pick(pinned: list[int], ranked: np.ndarray, cats: np.ndarray | None, cap: int | None, k: int) -> list[int]:
    picked: list[int] = []
    used: dict[Any, int] = {}
    for j in [*pinned, *ranked.tolist()]:
        if len(picked) >= k:
            break
        if cats is not None and cap:
            c = cats[j]
            if used.get(c, 0) >= cap:
                continue
            used[c] = used.get(c, 0) + 1
        picked.append(int(j))
    return picked
