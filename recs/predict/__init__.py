"""Who comes back, when, and what they are worth: per-customer forecasts with honest backtests (docs/predict.md).

`forecast(con, until, horizon_days, model)` -> `Forecast` (one row per customer: FORECAST_COLUMNS);
`backtest(con, until, horizon_days)` -> `Backtest` (one row per model: BACKTEST_COLUMNS, plus the calibration
table); `due_to_rebuy(con, until, days)` -> products each customer is due to buy again. Models: `bgnbd`,
`learned`, `best` (the default) and the naive baselines, one module each.
"""

from recs.predict.backtest import BACKTEST_COLUMNS, Backtest, backtest, recent_backtest
from recs.predict.forecast import FORECAST_COLUMNS, Forecast, forecast
from recs.predict.rebuy import REBUY_COLUMNS, due_to_rebuy
from recs.predict.registry import CHOICES

__all__ = ["BACKTEST_COLUMNS", "CHOICES", "FORECAST_COLUMNS", "REBUY_COLUMNS", "Backtest", "Forecast", "backtest",
           "due_to_rebuy", "forecast", "recent_backtest"]
