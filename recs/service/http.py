"""The HTTP layer of the service: FastAPI routes, the API key, the body cap, errors as JSON naming the field.

Thin on purpose: every route calls one method of `recs.service.core.Service`, created in the app's lifespan.
Errors: `{"error": {"field": ..., "reason": ...}}` with 401 (key), 404 (unknown model, product, experiment),
413 (body over the cap), 422 (validation). Logs carry ids (request, customer, order), never names or prices.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from recs.errors import InputError, RepeatError
from recs.service.core import FieldError, Service, Settings
from recs.service.schemas import Order, OrderAccepted, Recommendations, Similar

KEY_ENV = "REPEAT_API_KEY"
KEY_HEADER = "X-API-Key"
COLD_HEADER = "X-Repeat-Cold-Start"
MAX_BODY = 64 * 1024
log = logging.getLogger("recs.service")


def error_body(field: str, reason: str) -> dict[str, Any]:
    return {"error": {"field": field, "reason": reason}}


def _field_of(loc: tuple | list) -> str:
    """('body', 'lines', 0, 'quantity') -> 'lines[0].quantity'."""
    out = ""
    for part in loc:
        if part in ("body", "query", "header") and out == "":
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


class BodyCap:
    """ASGI middleware: a request body over `limit` bytes gets 413 before any route sees it."""

    def __init__(self, app: Any, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        too_big = length is not None and length.isdigit() and int(length) > self.limit
        chunks, size, more = [], 0, not too_big
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.limit:
                too_big = True
                break
        if too_big:
            response = JSONResponse(error_body("body", f"request body over {self.limit:,} bytes"), status_code=413)
            await response(scope, receive, send)
            return
        body, sent = b"".join(chunks), False

        async def replay() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def require_key(request: Request) -> None:
    """Every route but health: the X-API-Key header must equal $REPEAT_API_KEY (constant-time compare). With no
    key configured the service only listens on a local address (`recs.commands.api`) and lets requests in."""
    expected = os.environ.get(KEY_ENV, "")
    if not expected:
        return
    given = request.headers.get(KEY_HEADER, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise FieldError(KEY_HEADER, "missing or wrong API key" if given else "missing API key", 401)


def service_of(request: Request) -> Service:
    return request.app.state.service


router = APIRouter(prefix="/v1")


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """Up and serving (no key needed): the default model and its version, if any."""
    served = service_of(request).registry.get(None)
    return {"status": "ok", "model": None if served is None else served.name,
            "version": None if served is None else served.version}


@router.get("/models", dependencies=[Depends(require_key)])
def models(request: Request) -> dict[str, Any]:
    """Which model and version serves, trained when and on what data; orders folded in since; experiments."""
    return service_of(request).models()


@router.get("/recommendations", response_model=Recommendations, dependencies=[Depends(require_key)])
async def recommendations(request: Request, customer_id: str = Query(min_length=1, max_length=200),
                          k: int = Query(10, ge=1, le=100), model: str | None = Query(None, max_length=80),
                          product_id: str | None = Query(None, max_length=200),
                          experiment: str | None = Query(None, max_length=200)) -> Any:
    """The customer's top-k list (the same as `python -m recs recommend`), with their new orders folded in."""
    service = service_of(request)
    # a lookup (most requests) is answered right here; anything that may wait (disk, a fold, a computed list)
    # goes to a worker thread: each hand-over between threads costs a request its turn at the interpreter
    answer = service.recommendations(customer_id, k, model, product_id, experiment, block=False)
    if answer is None:
        answer = await run_in_threadpool(service.recommendations, customer_id, k, model, product_id, experiment)
    log.info("recommendations customer=%s model=%s k=%d", customer_id, answer.body.get("model"), k)
    if answer.cold_start_reason:
        return JSONResponse(Recommendations(**answer.body).model_dump(),
                            headers={COLD_HEADER: answer.cold_start_reason})
    return answer.body


@router.get("/similar", response_model=Similar, dependencies=[Depends(require_key)])
def similar(request: Request, product_id: str = Query(min_length=1, max_length=200),
            k: int = Query(10, ge=1, le=100), model: str | None = Query(None, max_length=80)) -> Any:
    """Products bought together with `product_id` (for a product page)."""
    return service_of(request).similar(product_id, k, model)


@router.post("/orders", response_model=OrderAccepted, status_code=201, dependencies=[Depends(require_key)])
async def post_order(request: Request, order: Order) -> Any:
    """One order: validated, written durably (fsync'd) before the answer, idempotent by order_id (a repeat
    answers 200 and writes nothing), effective for the customer's next list at once."""
    new, order_id = await run_in_threadpool(service_of(request).post_order, order)
    log.info("order %s customer=%s lines=%d %s", order_id, order.customer_id, len(order.lines),
             "spooled" if new else "duplicate")
    if not new:
        return JSONResponse({"order_id": order_id, "status": "duplicate"}, status_code=200)
    return {"order_id": order_id, "status": "accepted"}


def create_app(settings: Settings) -> FastAPI:
    """The FastAPI app; the Service starts in the lifespan (never at import time)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = Service(settings)
        service.start()
        app.state.service = service
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(title="Repeat recommendations", version="1", lifespan=lifespan,
                  description="Recommendations, similar products, orders and A/B variants for a shop's site.")
    app.include_router(router)

    @app.exception_handler(FieldError)
    async def field_error(request: Request, exc: FieldError) -> JSONResponse:
        return JSONResponse(error_body(exc.field, exc.reason), status_code=exc.status)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse(error_body("request", str(exc)), status_code=422)

    @app.exception_handler(RepeatError)
    async def repeat_error(request: Request, exc: RepeatError) -> JSONResponse:  # e.g. a damaged model file
        return JSONResponse(error_body("model", str(exc)), status_code=503)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request"}
        reason = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        field = _field_of(first.get("loc", ()))
        if first.get("type") == "missing":
            reason = "missing field"
        elif first.get("type") == "json_invalid":
            field, reason = "body", f"not valid JSON ({first.get('ctx', {}).get('error', 'cannot parse')})"
        body = error_body(field, reason)
        body["errors"] = [{"field": _field_of(e.get("loc", ())), "reason": str(e.get("msg", ""))} for e in errors]
        return JSONResponse(body, status_code=422)

    app.add_middleware(BodyCap)
    return app
