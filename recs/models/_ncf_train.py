"""PyTorch training of `ncf` (imported only inside `NCF._fit`, so PyTorch loads only to train).

NeuMF (He et al., WWW 2017): a GMF tower (customer vector x product vector, element-wise) and an MLP tower
(customer and product vectors concatenated, two ReLU layers of `factors` and `factors // 2`), joined by one
linear output; trained on (customer, product) purchases against `negatives` random products per purchase with
binary cross-entropy and Adam.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import torch

from recs.models._neural import seeded_init, to_numpy


class NeuMF(torch.nn.Module):
    def __init__(self, n_users: int, n_items: int, factors: int) -> None:
        super().__init__()
        half = max(1, factors // 2)
        self.user_gmf = torch.nn.Embedding(n_users, factors)
        self.item_gmf = torch.nn.Embedding(n_items, factors)
        self.user_mlp = torch.nn.Embedding(n_users, factors)
        self.item_mlp = torch.nn.Embedding(n_items, factors)
        self.layer1 = torch.nn.Linear(2 * factors, factors)
        self.layer2 = torch.nn.Linear(factors, half)
        self.output = torch.nn.Linear(factors + half, 1)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        gmf = self.user_gmf(users) * self.item_gmf(items)
        h = torch.relu(self.layer1(torch.cat([self.user_mlp(users), self.item_mlp(items)], dim=1)))
        h = torch.relu(self.layer2(h))
        return self.output(torch.cat([gmf, h], dim=1))[:, 0]


def train(matrix: sp.csr_matrix, factors: int, epochs: int, learning_rate: float, negatives: int, batch: int,
          max_pairs: int, l2: float, seed: int, progress: Callable[[float, str], None]) -> dict[str, np.ndarray]:
    """Fitted arrays of every layer (user_gmf, item_gmf, user_mlp, item_mlp, layer1_weight, layer1_bias, ...)."""
    rng = np.random.default_rng(seed)
    n_users, n_items = matrix.shape
    net = NeuMF(n_users, n_items, factors)
    seeded_init(net, rng, torch)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    net.to(device)
    opt = torch.optim.Adam(net.parameters(), lr=learning_rate, weight_decay=l2)
    coo = matrix.tocoo()
    pos_users, pos_items = coo.row.astype(np.int64), coo.col.astype(np.int64)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for epoch in range(epochs):
        pick = rng.permutation(len(pos_users))[:max_pairs]  # at most max_pairs purchases per epoch
        users = np.concatenate([pos_users[pick], np.repeat(pos_users[pick], negatives)])
        items = np.concatenate([pos_items[pick], rng.integers(0, n_items, len(pick) * negatives)])
        labels = np.concatenate([np.ones(len(pick)), np.zeros(len(pick) * negatives)]).astype(np.float32)
        order = rng.permutation(len(users))
        n_batches = max(1, -(-len(order) // batch))
        for b in range(n_batches):
            if b % 20 == 0:
                progress(0.05 + 0.9 * (epoch + b / n_batches) / max(epochs, 1),
                         f"NCF: epoch {epoch + 1} of {epochs}, batch {b + 1} of {n_batches}")
            sel = order[b * batch:(b + 1) * batch]
            u = torch.from_numpy(users[sel]).to(device)
            i = torch.from_numpy(items[sel]).to(device)
            loss = loss_fn(net(u, i), torch.from_numpy(labels[sel]).to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
    out = {name.replace(".", "_"): to_numpy(p) for name, p in net.named_parameters()}
    for key in ("user_gmf", "item_gmf", "user_mlp", "item_mlp"):
        out[key] = out.pop(f"{key}_weight")
    return out
