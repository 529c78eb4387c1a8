"""What the neural models (gru4rec, ncf) share without importing PyTorch: the base class that scores and explains
from fitted numpy arrays, and the PyTorch session used only while fitting.

PyTorch is imported inside `torch_session` (called from `_fit`), never when `recs.models` is imported: pages and
the CLI load every model module, and a saved model is served from its numpy arrays alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from recs.errors import InputError
from recs.models._factors import pair_cosine, unit_rows
from recs.models.base import Recommender


@contextmanager
def torch_session(threads: int = 1) -> Iterator[tuple[Any, Any]]:
    """(torch, device) for one fit: the GPU when PyTorch sees one, else the CPU with `threads` threads (one by
    default: the same result run after run, and no spinning threads fighting other work on a small machine).
    The previous thread count is restored afterwards, also when the fit is cancelled."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, threads))
    try:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        yield torch, device
    finally:
        torch.set_num_threads(previous)


def seeded_init(module: Any, rng: np.random.Generator, torch: Any) -> None:
    """Initialise every parameter of `module` from numpy's seeded generator (uniform in +-1/sqrt(fan-in),
    biases 0), so the same seed gives the same network whatever PyTorch's global random state is."""
    with torch.no_grad():
        for _, p in sorted(module.named_parameters()):
            if p.dim() == 1:
                p.zero_()
            else:
                bound = 1.0 / np.sqrt(p.shape[-1])
                p.copy_(torch.from_numpy(rng.uniform(-bound, bound, size=tuple(p.shape)).astype(np.float32)))


def to_numpy(tensor: Any) -> np.ndarray:
    """A fitted tensor as a contiguous float32 numpy array; NaN or infinite weights fail loudly."""
    out = np.ascontiguousarray(tensor.detach().cpu().numpy().astype(np.float32))
    if not np.all(np.isfinite(out)):
        raise InputError("the neural model diverged (NaN or infinite weights): lower the learning rate")
    return out


class EmbeddingRecommender(Recommender):
    """Neural models once fitted: similar products and explanations by the cosine of the learned product vectors
    (`_item_vectors()`, set as `_unit` in `_derive`): a recommendation names the customer's purchases nearest to
    it in the learned embedding."""

    why = "close to it in the learned embedding"
    _unit: np.ndarray

    def _item_vectors(self) -> np.ndarray:
        raise NotImplementedError

    def _derive(self) -> None:
        self._unit = unit_rows(self._item_vectors().astype(np.float32))

    def similar(self, j: int) -> np.ndarray:
        out = (self._unit @ self._unit[j]).astype(np.float64)
        out[j] = 0.0
        return out

    def pair_weights(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return pair_cosine(self._unit, i, j)
