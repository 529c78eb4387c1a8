"""`als`: implicit-feedback matrix factorisation by Alternating Least Squares (Hu, Koren & Volinsky 2008),
a thin wrapper over `implicit.cpu.als.AlternatingLeastSquares` (not re-implemented here).

Confidence c_ui = 1 + alpha * x_ui; score(u, j) = user_factors[u] . item_factors[j]. Seeded: the same
`seed` gives the same factors. Explanations and similar products use the cosine of item factors.
"""

from __future__ import annotations

from recs.interactions import Interactions
from recs.models._factors import FactorRecommender, fit_implicit, make_implicit, unit_rows
from recs.models.base import ParamSpec


class ALS(FactorRecommender):
    name = "als"
    label = "ALS (matrix factorisation)"
    description = ("Implicit-feedback matrix factorisation (alternating least squares, `implicit` library): "
                   "customers and products as vectors of hidden tastes; the score is their dot product.")
    params = {
        "factors": ParamSpec(64, int, 1, 512, help="number of hidden taste dimensions"),
        "regularization": ParamSpec(0.05, float, 0.0, 100.0, help="L2 penalty on the factors"),
        "alpha": ParamSpec(10.0, float, 0.01, 1000.0, help="confidence weight of a purchase (c = 1 + alpha * x)"),
        "iterations": ParamSpec(15, int, 1, 200, help="ALS sweeps"),
        "seed": ParamSpec(42, int, 0, 2**31 - 1, help="random seed of the initial factors (same seed, same model)"),
    }
    param_grid = {"factors": [32, 64, 128], "regularization": [0.01, 0.1], "alpha": [5.0, 20.0]}
    default_weighting = "binary"
    order = 60
    why = "similar taste profile"

    def _fit(self, data: Interactions) -> None:
        model = make_implicit("implicit.cpu.als.AlternatingLeastSquares", factors=self.factors,
                              regularization=self.regularization, alpha=self.alpha, iterations=self.iterations,
                              random_state=self.seed, num_threads=2)
        self._progress(0.1, f"als: {self.iterations} sweeps over {data.matrix.nnz:,} purchases")
        self.user_factors_, self.item_factors_ = fit_implicit(model, data.matrix, data, self.name)

    def _derive(self) -> None:
        self._unit = unit_rows(self.item_factors_)
