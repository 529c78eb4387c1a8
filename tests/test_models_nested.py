"""Nested models are saved and loaded through their own state (one .npz, no pickle), at any depth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recs.interactions import Interactions
from recs.models import get_model
from recs.models.base import Recommender
from tests.test_models_contract import small_data


class Blend(Recommender):
    """A test model made of other models: a single one, and a dict of them, fitted on the same data."""

    name = "test_blend"

    def _fit(self, data: Interactions) -> None:
        self.main_ = get_model("item_knn").fit(data)
        self.others_ = {"popular": get_model("popular", half_life_days=7.0).fit(data),
                        "svd": get_model("svd", factors=4).fit(data)}
        self.weights_ = np.array([0.5, 0.3, 0.2], dtype=np.float32)

    def score(self, rows: np.ndarray) -> np.ndarray:
        parts = [self.main_.score(rows), self.others_["popular"].score(rows), self.others_["svd"].score(rows)]
        return sum(w * p for w, p in zip(self.weights_, parts, strict=True)).astype(np.float32)


class Outer(Recommender):
    """A model holding a model that holds models; its inner model learns on other data than the outer one."""

    name = "test_outer"

    def _fit(self, data: Interactions) -> None:
        self.inner_ = Blend().fit(small_data("count"))

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.inner_.score(rows)


def test_nested_models_round_trip_through_their_own_state(tmp_path) -> None:
    data = small_data()
    model = Blend().fit(data)
    path = tmp_path / "blend.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as z:
        assert "m.main_/m.similarity_.data" in z.files and "m.others_/svd/m.item_factors_" in z.files
        assert not any(key.startswith("m.main_/d.") for key in z.files)  # the shared data is saved once
    again = Recommender.load(path)
    assert type(again.main_).__name__ == "ItemKNN" and set(again.others_) == {"popular", "svd"}
    assert again.others_["popular"].half_life_days == 7.0 and again.main_.data_ is again.data_
    pd.testing.assert_frame_equal(model.recommend(k=4), again.recommend(k=4))
    pd.testing.assert_frame_equal(model.others_["svd"].similar_items("p01", 3),
                                  again.others_["svd"].similar_items("p01", 3))


def test_nested_models_with_their_own_data_at_depth_two(tmp_path) -> None:
    model = Outer().fit(small_data())
    model.save(tmp_path / "outer.npz")
    again = Recommender.load(tmp_path / "outer.npz")
    assert again.inner_.data_.weighting == "count" and again.data_.weighting == "binary"
    assert again.inner_.main_.data_ is again.inner_.data_
    pd.testing.assert_frame_equal(model.recommend(k=3), again.recommend(k=3))
