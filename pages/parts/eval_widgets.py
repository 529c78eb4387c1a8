"""The Evaluate tab's "Is the gap real?" section: each model's NDCG gap to the best with its 95 % interval."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from pages.parts import common


def gap_section(compare: pd.DataFrame, cutoff: str) -> None:
    """Plain-language verdicts, a dot-and-whisker chart of the paired gaps and the table to download."""
    st.subheader("Is the gap real?")
    st.caption("Every model is scored on the same test customers, so each one is compared with the best model "
               "customer by customer: the gap in NDCG and its 95 % interval (paired t interval). When the "
               "interval crosses 0, this test cannot tell the two models apart: pick on speed, coverage or "
               "explanations instead, or test on a longer horizon or another cutoff.")
    modes = list(dict.fromkeys(compare["mode"]))
    for mode in modes:
        part = compare[compare["mode"] == mode]
        best = part.iloc[0]["best"]
        tied = part[(part["model"] != best) & (part["ci_high"] >= 0)]["model"].tolist()
        worse = part[(part["model"] != best) & (part["ci_high"] < 0)]["model"].tolist()
        text = f"- **{mode}**: **{best}** is best"
        if tied:
            text += f"; {', '.join(f'**{m}**' for m in tied)} cannot be told apart from it on this test"
        if worse:
            text += f"; {', '.join(worse)} {'is' if len(worse) == 1 else 'are'} clearly behind"
        st.markdown(text + ".")
    fig = make_subplots(rows=1, cols=len(modes), subplot_titles=[f"{m} (vs {compare[compare['mode'] == m].iloc[0]['best']})"
                                                                  for m in modes], shared_yaxes=True)
    for i, mode in enumerate(modes, start=1):
        part = compare[compare["mode"] == mode]
        fig.add_trace(go.Scatter(
            x=part["gap_to_best"], y=part["model"], mode="markers", name=mode, showlegend=False,
            error_x={"type": "data", "symmetric": False, "array": part["ci_high"] - part["gap_to_best"],
                     "arrayminus": part["gap_to_best"] - part["ci_low"]},
            hovertemplate="%{y}: gap %{x:+.4f}<extra></extra>"), row=1, col=i)
        fig.add_vline(x=0, line_dash="dot", line_color="grey", row=1, col=i)
    fig.update_xaxes(title_text="NDCG gap to the best (95 % interval)")
    fig.update_layout(height=120 + 40 * compare["model"].nunique(), margin={"t": 60, "l": 110})
    st.plotly_chart(fig, width="stretch")
    st.dataframe(compare, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.4f")
                                for c in ("ndcg", "gap_to_best", "ci_low", "ci_high")})
    common.download_csv(compare, f"evaluation-gaps-{cutoff}.csv", key="dl-eval-gaps")
