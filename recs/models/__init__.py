"""The model registry: every module in recs/models/ (not starting with `_`) is imported, and every
Recommender subclass it defines with a `name` is registered. A new model is one new file; nobody edits this.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

from recs.errors import InputError
from recs.models.base import ParamSpec, Recommender

SKIP = {"base", "ranking", "store"}  # modules without models
REGISTRY: dict[str, type[Recommender]] = {}


def _discover() -> None:
    found: dict[str, type[Recommender]] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name in SKIP:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if (issubclass(obj, Recommender) and obj.__module__ == module.__name__ and obj.name
                    and not inspect.isabstract(obj)):
                if obj.name in found and found[obj.name] is not obj:
                    raise RuntimeError(f"two models are named {obj.name!r}: {found[obj.name]} and {obj}")
                found[obj.name] = obj
    REGISTRY.clear()
    REGISTRY.update(dict(sorted(found.items(), key=lambda kv: (kv[1].order, kv[0]))))


def model_names() -> list[str]:
    """Registered model names, in display order."""
    return list(REGISTRY)


def get_class(name: str) -> type[Recommender]:
    """The class registered as `name`; InputError listing the known names otherwise."""
    try:
        return REGISTRY[str(name)]
    except KeyError:
        raise InputError(f"unknown model {name!r}; known models: {', '.join(REGISTRY)}") from None


def get_model(name: str, **params: Any) -> Recommender:
    """A new, unfitted model `name` with `params` (unknown model or parameter -> InputError)."""
    return get_class(name)(**params)


_discover()

__all__ = ["REGISTRY", "ParamSpec", "Recommender", "get_class", "get_model", "model_names"]
