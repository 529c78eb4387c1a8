"""`bpr`: Bayesian Personalised Ranking (Rendle et al. 2009), a thin wrapper over
`implicit.cpu.bpr.BayesianPersonalizedRanking` (not re-implemented here).

Learns factors so a customer's bought products outrank sampled unbought ones. One training thread, so the same
`seed` gives the same factors (implicit's multi-threaded SGD is not reproducible). The last item factor is
implicit's item bias. Explanations and similar products use the cosine of item factors.
"""

from __future__ import annotations

from recs.interactions import Interactions
from recs.models._factors import FactorRecommender, fit_implicit, make_implicit, unit_rows
from recs.models.base import ParamSpec


class BPR(FactorRecommender):
    name = "bpr"
    label = "BPR (pairwise ranking)"
    description = ("Matrix factorisation trained to rank bought products above unbought ones (Bayesian "
                   "Personalised Ranking, `implicit` library).")
    params = {
        "factors": ParamSpec(64, int, 1, 512, help="number of hidden taste dimensions"),
        "learning_rate": ParamSpec(0.05, float, 1e-5, 1.0, help="SGD step size"),
        "regularization": ParamSpec(0.01, float, 0.0, 10.0, help="L2 penalty on the factors"),
        "iterations": ParamSpec(50, int, 1, 1000, help="passes over the purchases"),
        "seed": ParamSpec(42, int, 0, 2**31 - 1, help="random seed (same seed, same model)"),
    }
    param_grid = {"factors": [32, 64], "learning_rate": [0.01, 0.05], "regularization": [0.001, 0.01]}
    default_weighting = "binary"
    order = 65
    why = "similar taste profile"

    def _fit(self, data: Interactions) -> None:
        model = make_implicit("implicit.cpu.bpr.BayesianPersonalizedRanking", factors=self.factors,
                              learning_rate=self.learning_rate, regularization=self.regularization,
                              iterations=self.iterations, random_state=self.seed, num_threads=1)
        self._progress(0.1, f"bpr: {self.iterations} passes over {data.matrix.nnz:,} purchases")
        binary = data.matrix.copy()
        binary.data[:] = 1.0
        self.user_factors_, self.item_factors_ = fit_implicit(model, binary, data, self.name)

    def _derive(self) -> None:
        self._unit = unit_rows(self.item_factors_[:, :-1])  # drop the bias column for similarity
