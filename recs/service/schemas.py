"""Request and response bodies of the service (pydantic: validation, 422 naming the field, the OpenAPI page)."""

from __future__ import annotations

import math

from pydantic import BaseModel, Field, field_validator

from recs.errors import InputError
from recs.interactions import to_timestamp

MAX_LINES = 500
MAX_ID = 200


class OrderLine(BaseModel):
    product_id: str = Field(min_length=1, max_length=MAX_ID, description="a product id of the shop's catalogue")
    quantity: float = Field(description="units bought, above 0")
    unit_price: float = Field(description="price of one unit, 0 or more")

    @field_validator("product_id")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty value (every line needs a product id)")
        return value.strip()

    @field_validator("quantity")
    @classmethod
    def _positive(cls, value: float) -> float:
        if not math.isfinite(value) or value <= 0:
            raise ValueError("must be a number above 0 (returns and cancellations are imported from files)")
        return value

    @field_validator("unit_price")
    @classmethod
    def _price(cls, value: float) -> float:
        if not math.isfinite(value) or value < 0:
            raise ValueError("must be a number, 0 or more")
        return value


class Order(BaseModel):
    order_id: str = Field(min_length=1, max_length=MAX_ID, description="the shop's order id (idempotency key)")
    customer_id: str = Field(min_length=1, max_length=MAX_ID)
    ordered_at: str = Field(description="date and time of the order, e.g. 2025-01-31 14:05:00 or ISO 8601")
    lines: list[OrderLine] = Field(min_length=1, max_length=MAX_LINES)
    country: str | None = Field(default=None, max_length=MAX_ID)

    @field_validator("order_id", "customer_id")
    @classmethod
    def _ids(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty value")
        return value.strip()

    @field_validator("ordered_at")
    @classmethod
    def _when(cls, value: str) -> str:
        try:
            ts = to_timestamp(value, "ordered_at")
        except InputError:
            ts = None
        if ts is None:
            raise ValueError("not a date and time we can read (use e.g. 2024-03-31 14:05:00)")
        return ts.isoformat(sep=" ")


class Item(BaseModel):
    product_id: str
    product_name: str
    score: float
    reason: str


class Recommendations(BaseModel):
    model: str | None
    version: str | None
    items: list[Item]
    experiment: dict[str, str] | None = None
    cold_start: bool = False


class Similar(BaseModel):
    model: str
    version: str
    product_id: str
    items: list[Item]


class OrderAccepted(BaseModel):
    order_id: str
    status: str  # accepted | duplicate
