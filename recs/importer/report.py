"""The import report: what one file brought in, and the dirt it carried (shown by the CLI and the Data page)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass
class ImportReport:
    """Counts for one imported file. `id` is the `imports.id` (None when nothing was written)."""

    id: int | None
    kind: str  # orders | assignments | products
    file_name: str
    sha256: str
    format: str  # generic | online-retail
    file_type: str = ""  # csv | parquet | xlsx
    rows_read: int = 0  # data rows in the file (header excluded)
    rows_kept: int = 0  # rows written to the warehouse
    rows_rejected: int = 0  # blank rows skipped (a bad row stops the whole import instead)
    duplicates: int = 0  # rows identical in every column to an earlier row of the same file
    cancellations: int = 0  # lines with status 'cancelled'
    returns: int = 0  # lines with status 'returned'
    guest_lines: int = 0  # lines without a customer id
    non_product_lines: int = 0  # lines whose product is postage, a fee, a discount or a voucher
    orders: int = 0  # distinct order ids in the file
    customers: int = 0  # distinct customer ids in the file
    products_new: int = 0  # products added to the products table
    products_updated: int = 0  # existing products changed by a products file
    zero_price_lines: int = 0  # price 0, quantity > 0, not cancelled or returned: not counted as sales
    negative_lines: int = 0  # quantity <= 0 or price < 0, not cancelled or returned: not counted as sales
    not_sale_lines: int = 0  # every line the figures leave out (cancelled, returned, $0, negative)
    customers_without_sales: int = 0  # customers whose every line is left out: in no figure of the shop
    has_products: bool = True  # False: the file has no product column (orders only: no recommendations)
    customers_in_shop: int = 0  # of `customers`, how many already have orders in the shop
    orders_in_shop: int = 0  # of `orders`, how many order ids the shop already has
    content_fingerprint: str = ""  # the typed rows (order-free): the same rows re-saved are recognised
    first_at: str | None = None  # earliest timestamp in the file
    last_at: str | None = None  # latest timestamp in the file
    skipped_as_already_imported: bool = False
    previous_import_id: int | None = None
    previous_import_at: str | None = None
    replaced_import_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0
    message: str = ""

    def losses(self) -> str:
        """A plain sentence on the lines the figures will not count and the customers who exist only through them
        ("" when there are none): what an owner would otherwise see vanish between this report and the Overview."""
        if self.kind != "orders" or not self.not_sale_lines:
            return ""
        parts = [f"{n:,} {what}" for n, what in ((self.zero_price_lines, "at price 0"),
                                                 (self.negative_lines, "with a negative quantity or price"),
                                                 (self.cancellations, "cancelled"), (self.returns, "returned")) if n]
        text = (f"{self.not_sale_lines:,} of {self.rows_kept:,} lines are not sales ({', '.join(parts)}): they are kept "
                "but left out of every figure.")
        if self.customers_without_sales:
            text += (f" {self.customers_without_sales:,} customers have no other line, so the figures will count "
                     f"{self.customers - self.customers_without_sales:,} of this file's {self.customers:,} customers.")
        return text

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def to_dict(self) -> dict:
        return asdict(self)

    def as_rows(self) -> list[tuple[str, str]]:
        """(measure, value) pairs for a table on the Data page; the same figures as `to_text`."""
        rows = [("rows read", f"{self.rows_read:,}"), ("rows kept", f"{self.rows_kept:,}"),
                ("rows rejected (blank)", f"{self.rows_rejected:,}"), ("duplicate rows (kept)", f"{self.duplicates:,}")]
        if self.kind == "orders":
            rows += [("orders", f"{self.orders:,}"), ("customers", f"{self.customers:,}"),
                     ("cancelled lines", f"{self.cancellations:,}"), ("returned lines", f"{self.returns:,}"),
                     ("guest lines (no customer id)", f"{self.guest_lines:,}"),
                     ("non-product lines (postage, fees, ...)", f"{self.non_product_lines:,}"),
                     ("$0 lines (not sales)", f"{self.zero_price_lines:,}"),
                     ("negative lines (not sales)", f"{self.negative_lines:,}"),
                     ("lines not counted as sales (all reasons)", f"{self.not_sale_lines:,}"),
                     ("customers with no sale (in no figure)", f"{self.customers_without_sales:,}"),
                     ("customers already in this shop", f"{self.customers_in_shop:,}"),
                     ("orders already in this shop (same order id)", f"{self.orders_in_shop:,}"),
                     ("products", "yes" if self.has_products else "none: orders only, no recommendations"),
                     ("new products", f"{self.products_new:,}"),
                     ("period", f"{self.first_at} .. {self.last_at}" if self.first_at else "")]
        elif self.kind == "products":
            rows += [("new products", f"{self.products_new:,}"), ("updated products", f"{self.products_updated:,}")]
        elif self.kind == "assignments":
            rows += [("customers", f"{self.customers:,}")]
        rows.append(("time", f"{self.seconds:.2f} s"))
        return rows

    def to_text(self) -> str:
        """A short human-readable report (what the CLI prints)."""
        head = f"{self.kind} import of {self.file_name} ({self.format}, {self.file_type or 'file'})"
        if self.skipped_as_already_imported:
            return f"{head}: {self.message}"
        lines = [f"{head}: import #{self.id}"]
        if self.replaced_import_ids:
            lines.append(f"  replaced earlier import(s): {', '.join('#' + str(i) for i in self.replaced_import_ids)}")
        lines.append(f"  rows read      {self.rows_read:>10,}")
        lines.append(f"  rows kept      {self.rows_kept:>10,}")
        lines.append(f"  rows rejected  {self.rows_rejected:>10,}  (blank rows)")
        lines.append(f"  duplicates     {self.duplicates:>10,}  (rows identical to an earlier row; kept)")
        if self.kind == "orders":
            lines.append(f"  orders         {self.orders:>10,}")
            lines.append(f"  customers      {self.customers:>10,}")
            lines.append(f"  cancellations  {self.cancellations:>10,}  (lines)")
            lines.append(f"  returns        {self.returns:>10,}  (lines)")
            lines.append(f"  guest lines    {self.guest_lines:>10,}  (no customer id)")
            lines.append(f"  non-product    {self.non_product_lines:>10,}  (postage, fees, discounts, vouchers)")
            lines.append(f"  $0 lines       {self.zero_price_lines:>10,}  (price 0: not counted as sales)")
            lines.append(f"  negative       {self.negative_lines:>10,}  (quantity <= 0 or price < 0: not sales)")
            lines.append(f"  not sales      {self.not_sale_lines:>10,}  (lines left out of every figure, all reasons)")
            lines.append(f"  no-sale custs  {self.customers_without_sales:>10,}  (customers whose every line is left "
                         "out: in no figure)")
            if self.losses():
                lines.append(f"  note: {self.losses()}")
            if self.orders_in_shop:
                lines.append(f"  warning: {self.orders_in_shop:,} of the file's {self.orders:,} order ids were already "
                             "in this shop before this import (an overlapping export?)")
            if not self.has_products:
                lines.append("  products       none: orders only (manager metrics work; recommendations need products)")
            lines.append(f"  new products   {self.products_new:>10,}")
            if self.first_at:
                lines.append(f"  period         {self.first_at} .. {self.last_at}")
        elif self.kind == "products":
            lines.append(f"  new products   {self.products_new:>10,}")
            lines.append(f"  updated        {self.products_updated:>10,}")
        elif self.kind == "assignments":
            lines.append(f"  customers      {self.customers:>10,}")
        lines.append(f"  time           {self.seconds:>10.2f} s")
        return "\n".join(lines)
