"""PyTorch training of `gru4rec` (imported only inside `Gru4Rec._fit`, so PyTorch loads only to train).

Each order is a basket embedding (the mean of its products' input vectors, an EmbeddingBag); a GRU reads a
customer's orders in time order, and its state after order t scores every product for order t + 1 (dot product
with the products' output vectors plus a bias). Loss: sampled softmax, the target distribution spread evenly over
the next order's products, against the batch's target products plus `negatives` products drawn by
popularity^0.75 (all products when the catalogue is smaller).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from recs.models._neural import seeded_init, to_numpy


@dataclass(frozen=True)
class Sequences:
    """Every customer's last orders: products of basket k are items[basket_ptr[k]:basket_ptr[k + 1]], baskets of
    customer row r are customer_ptr[r]:customer_ptr[r + 1] (time order)."""

    items: np.ndarray
    basket_ptr: np.ndarray
    customer_ptr: np.ndarray


class Net(torch.nn.Module):
    def __init__(self, n_items: int, factors: int) -> None:
        super().__init__()
        self.item_in = torch.nn.EmbeddingBag(n_items, factors, mode="mean")
        self.gru = torch.nn.GRU(factors, factors, batch_first=True)
        self.item_out = torch.nn.Embedding(n_items, factors)
        self.item_bias = torch.nn.Embedding(n_items, 1)

    def states(self, seq: Sequences, ids: np.ndarray, device: torch.device) -> tuple[torch.Tensor, np.ndarray]:
        """GRU outputs at the valid steps of the (customers x steps) basket ids (-1 = padding), row-major."""
        valid = ids >= 0
        items, offsets = gather(seq, ids[valid])
        bags = self.item_in(torch.from_numpy(items).to(device), torch.from_numpy(offsets).to(device))
        x = torch.zeros(ids.shape[0], ids.shape[1], bags.shape[1], device=device)
        mask = torch.from_numpy(valid).to(device)
        x[mask] = bags
        out, _ = self.gru(x)
        return out[mask], valid


def gather(seq: Sequences, baskets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(products of the baskets concatenated, offset of each basket), the EmbeddingBag input."""
    starts, ends = seq.basket_ptr[baskets], seq.basket_ptr[baskets + 1]
    lengths = ends - starts
    offsets = np.cumsum(lengths) - lengths
    pos = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))
    return seq.items[pos].astype(np.int64), offsets.astype(np.int64)


def step_ids(seq: Sequences, customers: np.ndarray, first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(customers x max count) basket ids: customer c's baskets first[c] .. first[c] + count[c] - 1, -1 padded."""
    width = int(count.max()) if len(count) else 0
    t = np.arange(width)[None, :]
    ids = seq.customer_ptr[customers][:, None] + first[:, None] + t
    return np.where(t < count[:, None], ids, -1)


def train(seq: Sequences, n_items: int, popularity: np.ndarray, factors: int, epochs: int, learning_rate: float,
          negatives: int, batch: int, max_customers: int, max_orders: int, seed: int,
          progress: Callable[[float, str], None]) -> dict[str, np.ndarray]:
    """Fitted arrays: item_in, item_out, item_bias, the GRU weights, and every customer's state after their last
    `max_orders` orders (customer_state, zeros without orders)."""
    rng = np.random.default_rng(seed)
    net = Net(n_items, factors)
    seeded_init(net, rng, torch)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    net.to(device)
    opt = torch.optim.Adam(net.parameters(), lr=learning_rate)
    n_baskets = np.diff(seq.customer_ptr)
    learners = np.flatnonzero(n_baskets >= 2)
    if len(learners) > max_customers:  # a seeded sample bounds the time per epoch on big shops
        learners = np.sort(rng.choice(learners, max_customers, replace=False))
    weights = np.power(popularity + 1e-9, 0.75)
    weights /= weights.sum()
    n_batches = max(1, -(-len(learners) // batch))
    for epoch in range(epochs):
        order = rng.permutation(learners)
        for b in range(n_batches):
            progress(0.05 + 0.85 * (epoch + b / n_batches) / max(epochs, 1),
                     f"GRU4Rec: epoch {epoch + 1} of {epochs}, batch {b + 1} of {n_batches}")
            who = order[b * batch:(b + 1) * batch]
            if len(who) == 0:
                continue
            count = n_baskets[who] - 1
            states, valid = net.states(seq, step_ids(seq, who, np.zeros_like(count), count), device)
            targets = step_ids(seq, who, np.ones_like(count), count)[valid]
            loss = sampled_softmax(net, states, seq, targets, n_items, negatives, weights, rng, device)
            opt.zero_grad()
            loss.backward()
            opt.step()
    progress(0.92, "GRU4Rec: customer states")
    out = {"item_in": to_numpy(net.item_in.weight), "item_out": to_numpy(net.item_out.weight),
           "item_bias": to_numpy(net.item_bias.weight[:, 0])}
    out.update({f"gru_{name}": to_numpy(p) for name, p in net.gru.named_parameters()})
    out["customer_state"] = final_states(net, seq, max_orders, factors, device)
    return out


def sampled_softmax(net: Net, states: torch.Tensor, seq: Sequences, targets: np.ndarray, n_items: int,
                    negatives: int, weights: np.ndarray, rng: np.random.Generator,
                    device: torch.device) -> torch.Tensor:
    """Cross-entropy of each step's next order (spread evenly over its products) among the candidates."""
    items, offsets = gather(seq, targets)
    lengths = np.diff(np.append(offsets, len(items)))
    step = np.repeat(np.arange(len(targets)), lengths)
    if negatives <= 0 or negatives >= n_items:
        cand = np.arange(n_items)
    else:
        cand = np.unique(np.concatenate([items, rng.choice(n_items, negatives, p=weights)]))
    col = np.searchsorted(cand, items)
    c = torch.from_numpy(cand).to(device)
    logits = states @ net.item_out(c).T + net.item_bias(c)[:, 0]
    logp = torch.log_softmax(logits, dim=1)
    share = torch.from_numpy((1.0 / lengths[step]).astype(np.float32)).to(device)
    picked = logp[torch.from_numpy(step).to(device), torch.from_numpy(col).to(device)]
    return -(picked * share).sum() / len(targets)


def final_states(net: Net, seq: Sequences, max_orders: int, factors: int, device: torch.device) -> np.ndarray:
    """Each customer's GRU state after their last `max_orders` orders, 512 customers at a time."""
    n_customers = len(seq.customer_ptr) - 1
    n_baskets = np.diff(seq.customer_ptr)
    out = np.zeros((n_customers, factors), dtype=np.float32)
    with torch.no_grad():
        for s in range(0, n_customers, 512):
            who = np.arange(s, min(n_customers, s + 512))
            who = who[n_baskets[who] > 0]
            if len(who) == 0:
                continue
            count = np.minimum(n_baskets[who], max_orders)
            states, _ = net.states(seq, step_ids(seq, who, n_baskets[who] - count, count), device)
            last = np.cumsum(count) - 1  # the last valid step of each customer (row-major order)
            out[who] = to_numpy(states[torch.from_numpy(last).to(device)])
    return out
