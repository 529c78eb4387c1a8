"""Predictor names: what `--model` and the page accept, and the rows of a backtest."""

from __future__ import annotations

from recs.errors import InputError
from recs.predict.base import Predictor
from recs.predict.baselines import MeanBaseline, PastRateBaseline
from recs.predict.best import Best, BGNBDShared, Blend, LearnedShared

CHOICES = ("best", "bgnbd", "learned")  # what a user picks; `best` is the default everywhere
BACKTEST_MODELS = ("best", "bgnbd", "learned", "blend", "rfm_gbr", "past_rate", "mean")


def get_predictor(name: str) -> Predictor:
    """A new, unfitted predictor by name; InputError listing the known ones otherwise."""
    builders = {"best": Best, "bgnbd": BGNBDShared, "learned": LearnedShared, "blend": Blend,
                "rfm_gbr": lambda: LearnedShared(features="rfm"), "past_rate": PastRateBaseline, "mean": MeanBaseline}
    if name not in builders:
        raise InputError(f"unknown model {name!r}; choose one of: {', '.join(CHOICES)}")
    predictor = builders[name]()
    if name == "rfm_gbr":
        predictor.name = "rfm_gbr"
    return predictor
