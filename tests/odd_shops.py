"""Small odd shops as real DuckDB files, imported through the real importer: one product, one customer, $0 lines
only for some customers, data that ends today, orders only (no product columns), and text a spreadsheet or
Markdown would run."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pandas as pd

HOSTILE = {  # values a probe planted in a file: a spreadsheet formula or Markdown that fetches a URL
    "customer": '=HYPERLINK("http://evil","x")',
    "customer_md": "![b](http://host/x.png)",
    "product_name": "=cmd|' /C calc'!A0",
    "category": "![b](http://host/cat.png)",
}
KINDS = ("one_product", "one_customer", "zero_lines", "ends_today")
ORDERS_ONLY = "orders_only"  # no product columns at all: manager metrics only


def order_lines(kind: str, seed: int = 7) -> pd.DataFrame:
    """The order lines of an odd shop (generic import format)."""
    rng = random.Random(seed)
    today = dt.date.today()
    start = dt.datetime(2024, 1, 1, 9)
    if kind == "ends_today":
        start = dt.datetime.combine(today - dt.timedelta(days=200), dt.time(9))
    n_customers = {"one_product": 30, "one_customer": 1}.get(kind, 40)
    n_products = 1 if kind == "one_product" else 12
    rows = []
    order = 0

    def line(customer: str, when: dt.datetime, product: int, price: float | None = None, name: str | None = None,
             category: str | None = None) -> None:
        rows.append({"order_id": f"O{order}", "customer_id": customer, "ordered_at": when,
                     "product_id": f"P{product}", "quantity": rng.randint(1, 3),
                     "unit_price": 5.0 + product if price is None else price,
                     "product_name": name or f"Product {product}", "category": category or f"Cat{product % 3}"})

    for c in range(n_customers):
        for _ in range(rng.randint(2, 6)):
            order += 1
            when = start + dt.timedelta(days=rng.randint(0, 199), hours=rng.randint(0, 8))
            for _ in range(rng.randint(1, 3)):
                line(f"C{c}", when, rng.randrange(n_products))
    if kind == "ends_today":
        order += 1
        line("C0", dt.datetime.combine(today, dt.time(0, 5)), 1)
    if kind == "zero_lines":  # customers whose only lines are $0: never sales, never customers of the metrics
        for c in range(5):
            order += 1
            line(f"Z{c}", start + dt.timedelta(days=50 + c), 1, price=0.0)
    if kind == "hostile":  # formulas and Markdown in ids, names and categories
        for c, customer in enumerate([HOSTILE["customer"], HOSTILE["customer_md"], "-42"]):
            for n in range(3):
                order += 1
                line(customer, start + dt.timedelta(days=20 * n + c), 12 + n % 2, name=HOSTILE["product_name"],
                     category=HOSTILE["category"])
    return pd.DataFrame(rows)


def build_shop(kind: str, folder: Path) -> Path:
    """Import the odd shop `kind` into `folder/<kind>.duckdb` (a real import of a CSV file)."""
    from recs.db import connect
    from recs.importer import import_files

    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / f"{kind}.csv"
    lines = order_lines("zero_lines" if kind == ORDERS_ONLY else kind)
    if kind == ORDERS_ONLY:  # one line per order: order, customer, time, amount
        lines = lines.drop(columns=["product_id", "product_name", "category"]).drop_duplicates("order_id")
    lines.to_csv(csv, index=False)
    path = folder / f"{kind}.duckdb"
    con = connect(path)
    try:
        import_files(con, orders=csv)
    finally:
        con.close()
    return path
