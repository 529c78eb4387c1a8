"""The demo catalogue as arrays: products, prices, cycles, taste segments, devices and bundles.

Nothing here depends on the seed: the catalogue, the segments' tastes and the bundles are fixed
(drawn once from CATALOGUE_SEED), so product ids and names are the same in every demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from recs.demo.catalogue_data import CATALOGUE

CATALOGUE_SEED = 20240101
FEES_CATEGORY = "Fees"
POSTAGE = ("POSTAGE", "Postage", 3.95)
GIFTWRAP = ("GIFTWRAP", "Gift wrapping", 2.50)

# Latent taste segments: (name, share of customers, {category: weight}); unlisted categories weigh 0.3.
SEGMENTS: list[tuple[str, float, dict[str, float]]] = [
    ("coffee lovers", 0.18, {"Coffee": 8, "Milk & Dairy Alternatives": 2, "Bakery & Biscuits": 2,
                             "Kitchen & Appliances": 1.5}),
    ("tea and biscuits", 0.12, {"Tea": 8, "Bakery & Biscuits": 3, "Milk & Dairy Alternatives": 1.5,
                                "Breakfast & Cereals": 1.5}),
    ("young families", 0.12, {"Baby & Toddler": 8, "Breakfast & Cereals": 2, "Snacks & Confectionery": 1.5,
                              "Household & Cleaning": 2, "Frozen": 1.5}),
    ("pet owners", 0.13, {"Pet Supplies": 8, "Household & Cleaning": 2, "Snacks & Confectionery": 1}),
    ("fitness", 0.10, {"Health & Wellness": 7, "Milk & Dairy Alternatives": 2, "Breakfast & Cereals": 2,
                       "Drinks": 1.5}),
    ("home cooks", 0.15, {"Pantry & Cooking": 7, "Kitchen & Appliances": 1.5, "Frozen": 1.5,
                          "Bakery & Biscuits": 1.5}),
    ("eco household", 0.10, {"Household & Cleaning": 6, "Personal Care": 3, "Drinks": 1.5}),
    ("treats and parties", 0.10, {"Snacks & Confectionery": 6, "Drinks": 4, "Bakery & Biscuits": 2,
                                  "Frozen": 1.5}),
]

# Devices and the consumables their owners then buy again and again: (device, segment, consumables).
DEVICES: list[tuple[str, str, tuple[str, ...]]] = [
    ("Espresso Machine", "coffee lovers", ("Espresso Blend Beans 1kg", "Espresso Machine Descaler 500ml")),
    ("Bean-to-Cup Coffee Machine", "coffee lovers", ("Arabica Coffee Beans 1kg", "Espresso Machine Descaler 500ml")),
    ("Coffee Pod Machine", "coffee lovers", ("Coffee Pods Intenso 50-pack", "Coffee Pods Lungo 50-pack")),
    ("Pour-Over Coffee Dripper", "coffee lovers", ("Ethiopian Yirgacheffe Beans 250g",
                                                   "Paper Coffee Filters 100-pack")),
    ("Electric Milk Frother", "tea and biscuits", ("Barista Oat Milk 6-pack", "Mocha Drinking Chocolate 500g")),
    ("Baby Bottles Starter Set", "young families", ("First Infant Formula 800g", "Steriliser Tablets 56-pack")),
    ("Cat Fountain", "pet owners", ("Indoor Dry Cat Food 4kg", "Cat Fountain Filters 4-pack")),
    ("High-Speed Blender 1.5L", "fitness", ("Vegan Protein Chocolate 1kg", "Chia Seeds 300g")),
    ("Electric Toothbrush", "fitness", ("Toothbrush Heads 4-pack", "Sensitive Toothpaste 75ml")),
    ("Razor Starter Kit", "home cooks", ("Razor Blades 8-pack", "Shaving Foam 250ml")),
    ("Water Filter Jug 2.4L", "eco household", ("Water Filter Cartridges 3-pack", "Eco Refill Concentrate 1L")),
    ("Sparkling Water Maker", "treats and parties", ("CO2 Gas Cylinder Refill", "Elderflower Cordial 500ml")),
]
DEVICE_SHARE = 0.3  # share of a segment's customers who own one of its devices (bought in the first order)

# Bundles: buying the first often brings the second into the same basket.
COMPLEMENTS: dict[str, str] = {
    "Tortilla Chips 200g": "Salsa Dip 300g",
    "Sea Salt Crisps 150g": "Hummus 200g",
    "Spaghetti 500g": "Tomato & Basil Pasta Sauce 500g",
    "Penne Pasta 500g": "Arrabbiata Pasta Sauce 500g",
    "Arborio Risotto Rice 1kg": "Parmigiano Reggiano 200g",
    "Basmati Rice 2kg": "Thai Green Curry Paste 200g",
    "Argan Oil Shampoo 400ml": "Argan Oil Conditioner 400ml",
    "Adult Dry Dog Food 12kg": "Dog Dental Chews 28-pack",
    "Wet Cat Food Pouches 40-pack": "Salmon Cat Treats 60g",
    "Nappies Size 3 60-pack": "Sensitive Baby Wipes 12-pack",
    "Nappies Size 4 54-pack": "Sensitive Baby Wipes 12-pack",
    "Nappies Size 5 48-pack": "Sensitive Baby Wipes 12-pack",
    "Sourdough Loaf 800g": "Unsalted Butter 250g",
    "Crumpets 6-pack": "Unsalted Butter 250g",
    "Pancake Mix 500g": "Maple Syrup 250ml",
    "Whey Protein Vanilla 1kg": "Shaker Bottle 700ml",
    "English Breakfast Tea 80 bags": "Digestive Biscuits 400g",
    "Earl Grey Tea 80 bags": "Shortbread Fingers 160g",
    "Dishwasher Tablets 50-pack": "Rinse Aid 500ml",
    "Razor Blades 8-pack": "Shaving Foam 250ml",
    "Tonic Water 8-pack": "Cloudy Lemonade 1L",
    "Margherita Pizza 2-pack": "Vanilla Ice Cream 1L",
    "Espresso Blend Beans 1kg": "Vanilla Coffee Syrup 700ml",
    "Panettone 750g": "Brandy Butter 200g",
    "Mince Pies 6-pack": "Brandy Butter 200g",
    "Laundry Detergent 2L": "Fabric Conditioner 1.5L",
}
COMPLEMENT_PROB = 0.35

OUT_OF_STOCK = ("Matcha Powder 50g", "Gyoza Dumplings 20-pack", "Cast Iron Teapot", "Collagen Powder 300g",
                "Bath Thermometer Duck", "Festive Cookie Cutter Set", "Oolong Loose Leaf Tea 100g",
                "Reflective Dog Lead")


@dataclass(frozen=True)
class Catalogue:
    """Product arrays indexed 0..n-1 (the last two are the POSTAGE and GIFTWRAP fees)."""

    product_id: list[str]
    name: list[str]
    category: list[str]
    price: np.ndarray  # list price in 2024
    cycle: np.ndarray  # replenishment cycle in days, 0 for durables and fees
    seasonal: np.ndarray  # bool: sold only in November and December
    substitute: np.ndarray  # what a seasonal item becomes outside the season
    complement: np.ndarray  # product index or -1
    is_product: np.ndarray
    in_stock: np.ndarray
    seg_cdf: np.ndarray  # (segments, products) cumulative choice probabilities for any product
    seg_staple_cdf: np.ndarray  # (segments, products) the same over consumables only
    seg_devices: list[list[int]]  # device row indices per segment
    device_product: np.ndarray  # per device row: the device's product index
    device_staples: np.ndarray  # per device row: two consumable product indices
    postage: int
    giftwrap: int

    @property
    def n(self) -> int:
        return len(self.product_id)


def _parse() -> list[tuple[str, str, str, float, str]]:
    rows: list[tuple[str, str, str, float, str]] = []
    category, prefix, counter = "", "", 0
    for raw in CATALOGUE.strip().splitlines():
        line = raw.strip()
        if line.startswith("##"):
            title = line[2:].strip()
            category, prefix = title[: title.index("(")].strip(), title[title.index("(") + 1: -1]
            counter = 0
            continue
        name, price, cycle = (part.strip() for part in line.split("|"))
        counter += 1
        rows.append((f"{prefix}-{counter:03d}", name, category, float(price), cycle))
    return rows


@lru_cache(maxsize=1)
def build_catalogue() -> Catalogue:
    """Parse the product list and derive every fixed array the generator needs."""
    rows = _parse()
    rng = np.random.default_rng(CATALOGUE_SEED)
    ids = [r[0] for r in rows] + [POSTAGE[0], GIFTWRAP[0]]
    names = [r[1] for r in rows] + [POSTAGE[1], GIFTWRAP[1]]
    cats = [r[2] for r in rows] + [FEES_CATEGORY, FEES_CATEGORY]
    n, n_goods = len(ids), len(rows)
    index = {name: i for i, name in enumerate(names)}
    price = np.array([r[3] for r in rows] + [POSTAGE[2], GIFTWRAP[2]])
    cycle = np.array([float(r[4]) if r[4] not in ("-", "xmas") else 0.0 for r in rows] + [0.0, 0.0])
    seasonal = np.array([r[4] == "xmas" for r in rows] + [False, False])
    is_product = np.arange(n) < n_goods
    in_stock = np.array([name not in OUT_OF_STOCK for name in names])
    for name in OUT_OF_STOCK:
        index[name]  # noqa: B018 - a typo in the lists above fails loudly here

    # Outside the season a seasonal pick becomes the best-selling regular product of its category.
    popularity = rng.lognormal(0.0, 0.7, n)
    substitute = np.arange(n)
    for i in np.flatnonzero(seasonal):
        same = [j for j in range(n_goods) if cats[j] == cats[i] and not seasonal[j]]
        substitute[i] = max(same, key=lambda j: popularity[j])
    complement = np.full(n, -1)
    for a, b in COMPLEMENTS.items():
        complement[index[a]] = index[b]

    seg_names = [s[0] for s in SEGMENTS]
    weights = np.zeros((len(SEGMENTS), n))
    durable = (cycle == 0) & ~seasonal
    for s, (_, _, cat_weights) in enumerate(SEGMENTS):
        cat_w = np.array([cat_weights.get(c, 0.3) for c in cats])
        taste = rng.lognormal(0.0, 0.8, n)  # each segment has its own favourites within a category
        weights[s] = popularity * cat_w * taste * np.where(durable, 0.15, 1.0) * is_product
    staple_w = weights * (cycle > 0)
    seg_cdf, seg_staple_cdf = _cdf(weights), _cdf(staple_w)

    seg_devices: list[list[int]] = [[] for _ in SEGMENTS]
    device_product, device_staples = [], []
    for row, (device, seg, staples) in enumerate(DEVICES):
        seg_devices[seg_names.index(seg)].append(row)
        device_product.append(index[device])
        device_staples.append([index[staples[0]], index[staples[1]]])
    return Catalogue(
        product_id=ids, name=names, category=cats, price=price, cycle=cycle, seasonal=seasonal,
        substitute=substitute, complement=complement, is_product=is_product, in_stock=in_stock,
        seg_cdf=seg_cdf, seg_staple_cdf=seg_staple_cdf, seg_devices=seg_devices,
        device_product=np.array(device_product), device_staples=np.array(device_staples),
        postage=index[POSTAGE[1]], giftwrap=index[GIFTWRAP[1]],
    )


def _cdf(weights: np.ndarray) -> np.ndarray:
    """Row-wise cumulative probabilities, exactly 1.0 from each row's last positive weight on."""
    cdf = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
    for r in range(len(cdf)):
        cdf[r, np.flatnonzero(weights[r] > 0)[-1]:] = 1.0
    return cdf


def draw_from(cdf: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One product index per entry of `rows`, drawn from row `rows[i]` of a (segments, products) CDF.

    Vectorised by offsetting each row's CDF by its row number and searching the flattened array.
    """
    n_rows, n_cols = cdf.shape
    flat = (cdf + np.arange(n_rows)[:, None]).ravel()
    u = rows + np.minimum(rng.random(len(rows)), 1 - 1e-12)
    pos = np.searchsorted(flat, u, side="right")
    return np.minimum(pos - rows * n_cols, n_cols - 1)
