"""Experiments: did the e-mails work? Verdict first, then intervals, the split check, CUPED, segments, power."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from pages.parts import common, frame, metric_help
from recs.errors import RepeatError
from recs.experiments import analyze, charts, data, stats, verdict
from recs.experiments import segments as segments_mod

frame.enter()

st.title("Experiments")
st.caption("Did the treatment (e.g. recommendation e-mails) lift what customers bought in the window after "
           "assignment? Statistics and their limits: docs/experiments.md.")

common.warehouse_page_note()
cur = common.require_orders()
key = common.data_key(cur, with_assignments=True)
shop = metric_help.shop_settings()


@st.cache_data(show_spinner=False)
def _experiments(_cur, key) -> list[str]:
    return data.experiment_ids(_cur)


@st.cache_data(show_spinner=False)
def _variants(_cur, key, experiment: str) -> list[str]:
    return data.variants(_cur, experiment)


@st.cache_data(show_spinner=False)
def _analysis(_cur, key, experiment: str, window: int, pre: int, control: str):
    return analyze.analyze_experiment(_cur, experiment, window, pre, control)


@st.cache_data(show_spinner=False)
def _cumulative(_cur, key, experiment: str, window: int, pre: int, control: str):
    """Computed when its section is reached: the browser draws the verdict and the forest plot meanwhile."""
    return analyze.cumulative(_cur, _analysis(_cur, key, experiment, window, pre, control))


@st.cache_resource(show_spinner=False, max_entries=16)
def _figure(kind: str, _cur, key, experiment: str, window: int, pre: int, control: str, metric: str = "",
            currency: str | None = None):
    """The forest plot or the cumulative curves, built once per data version, choice and currency and shared by
    every session (the same object; st.plotly_chart only reads it)."""
    if kind == "forest":
        return charts.forest_plot(_analysis(_cur, key, experiment, window, pre, control).table, currency)
    return charts.cumulative_plot(_cumulative(_cur, key, experiment, window, pre, control), metric, currency)


@st.cache_data(show_spinner=False)
def _rfm_as_of(_cur, key, moment) -> dict[str, str]:
    return segments_mod.rfm_as_of(_cur, moment)


@st.cache_data(show_spinner="Computing RFM segments as of each assignment day...")
def _segments(_cur, key, experiment: str, window: int, pre: int, control: str) -> tuple[pd.DataFrame, str]:
    """The exploratory per-segment table, computed once per data version and parameters (not on every rerun)."""
    result = _analysis(_cur, key, experiment, window, pre, control)
    return analyze.segment_table(_cur, result, lookup=lambda moment: _rfm_as_of(_cur, key, moment))


experiments = _experiments(cur, key)
if not experiments:
    st.info("This database has no experiment assignments yet. Import an assignments file "
            "(experiment_id, customer_id, variant, assigned_at) on the **Data** page, or export a campaign with a "
            "holdout from the **Recommendations** page (`python -m recs recommend ... --holdout 0.1 --experiment ID`)"
            "; the experiment then shows up here.")
    st.page_link("pages/data.py", label="Go to the Data page", icon=":material/upload:")
    st.stop()

c1, c2, c3 = st.columns([2, 2, 1])
experiment = c1.selectbox("Experiment", experiments, key="exp_id")
window = c2.slider("Window: days after each customer's assignment", 1, 120, 30, key="exp_window")
pre = c3.number_input("CUPED pre-period (days)", min_value=1, max_value=1000, value=180, step=30, key="exp_pre")
variants = _variants(cur, key, experiment)
c4, c5 = st.columns(2)
control = c4.selectbox("Control variant", variants,
                       index=variants.index(analyze.DEFAULT_CONTROL) if analyze.DEFAULT_CONTROL in variants else 0,
                       key="exp_control")
headline = c5.selectbox("Headline metric", [m for m in analyze.METRICS], index=2,
                        format_func=lambda m: verdict.LABELS[m], key="exp_metric")

try:
    with st.spinner("Analysing the experiment..."):
        result = _analysis(cur, key, experiment, int(window), int(pre), control)
except RepeatError as exc:
    common.show_error(exc)
    st.stop()

# --- Verdict first -------------------------------------------------------------------------------------------
treatments = [v for v in result.variants if v != result.control]
for variant in treatments or [None]:
    level, text = verdict.verdict(result, headline, variant, currency=shop.currency)
    getattr(st, level)(common.plain(text))  # experiment and variant names come from a file: shown as text
g = result.guards
end_text = "no orders" if g.data_end is None else f"{g.data_end:%Y-%m-%d %H:%M}"
st.caption(f"{g.included:,} of {g.assigned:,} assigned customers analysed · {g.in_two_variants:,} in two variants "
           f"(excluded) · {g.past_data_end:,} whose {window}-day window runs past the data's end ({end_text}) "
           "(excluded) · customers with no orders count as zeros.")
for note in result.notes:
    st.warning(common.plain(note))
if len(result.flagged):
    with st.expander(f"{len(result.flagged):,} customer(s) assigned to more than one variant (excluded)"):
        metric_help.show(result.flagged, shop.currency, width="stretch")
        common.download_csv(result.flagged, f"abtest_{experiment}_two_variants.csv", key="dl-flagged")

# p-values from 0.87 down to 1e-10 stay readable in a narrow column (two significant digits; the CSV keeps all)
P_VALUE_COLUMNS = {c: st.column_config.NumberColumn(format="%.2g") for c in ("p-value", "p-value (Holm)")}

# --- Results table and forest plot ---------------------------------------------------------------------------
st.subheader("Lift per metric")
table = result.table
st.dataframe(verdict.readable_table(table, shop.currency), hide_index=True, width="stretch", placeholder="—",
             column_config={"Metric": st.column_config.TextColumn(width="medium"),
                            "Note": st.column_config.TextColumn(width="large"), **P_VALUE_COLUMNS})
common.download_csv(table[analyze.COLUMNS], f"abtest_{experiment}_{window}d.csv", "Download CSV (CLI format)",
                    key="dl-abtest")
if len(treatments) > 1:
    st.caption("More than one treatment: read **p-value (Holm)** (Holm-corrected across treatments) for the "
               "verdict.")
if table["lift_rel"].notna().any() and table["p_value"].notna().any():
    st.plotly_chart(_figure("forest", cur, key, experiment, int(window), int(pre), control, "", shop.currency),
                    width="stretch", key="exp_forest")
    st.caption("Relative lift with its 95% interval (delta method). Green: the whole interval above zero; "
               "red: below; grey: includes zero.")

# --- Cumulative by day ---------------------------------------------------------------------------------------
st.subheader("Cumulative by day since assignment")
cum_metric = st.radio("Metric", ["revenue_per_customer", "conversion", "orders_per_customer"], horizontal=True,
                      format_func=lambda m: verdict.LABELS[m], key="exp_cum_metric")
cum = _cumulative(cur, key, experiment, int(window), int(pre), control)
if not g.included:  # an empty chart says nothing: say why instead
    st.info("Nothing to draw yet: no assigned customer has a complete window (see above).")
elif len(cum):
    st.plotly_chart(_figure("cumulative", cur, key, experiment, int(window), int(pre), control, cum_metric,
                            shop.currency),
                    width="stretch", key="exp_cum")
common.download_csv(cum, f"abtest_{experiment}_cumulative.csv", key="dl-cum")

# --- Split check and CUPED -----------------------------------------------------------------------------------
left, right = st.columns(2)
with left:
    st.subheader("Sample ratio check (SRM)")
    srm = result.srm
    total = sum(srm["counts"].values())
    srm_frame = pd.DataFrame({
        "variant": list(srm["counts"]), "customers": list(srm["counts"].values()),
        "share": [n / total if total else np.nan for n in srm["counts"].values()],
        "planned_share": [srm["planned"][v] for v in srm["counts"]],
    })
    st.dataframe(srm_frame, hide_index=True, width="stretch",
                 column_config={"variant": "Variant", "customers": st.column_config.NumberColumn("Customers"),
                                "share": st.column_config.NumberColumn("Share", format="percent"),
                                "planned_share": st.column_config.NumberColumn("Planned share", format="percent")})
    sentence, healthy = verdict.split_sentence(result)
    (st.success if healthy else st.error)(f"Chi-square = {srm['chi2']:.2f}: {common.plain(sentence)}.")
    common.download_csv(srm_frame, f"abtest_{experiment}_srm.csv", key="dl-srm")
with right:
    st.subheader("CUPED variance reduction")
    cuped = result.cuped
    vr = cuped["variance_reduction"]
    st.metric("Variance of revenue per customer removed", "n/a" if np.isnan(vr) else f"{100 * vr:.1f}%")
    raw = table[(table["metric"] == "revenue_per_customer") & table["ci_low"].notna()]
    adj = table[(table["metric"] == "revenue_per_customer_cuped") & table["ci_low"].notna()]
    if len(raw) and len(adj):
        w_raw = float((raw["ci_high"] - raw["ci_low"]).iloc[0])
        w_adj = float((adj["ci_high"] - adj["ci_low"]).iloc[0])
        st.write(f"95% interval width: {shop.money(w_raw)} plain, {shop.money(w_adj)} with CUPED "
                 f"(theta = {cuped['theta']:.3f}, covariate: revenue in the {result.pre_days} days before assignment).")

# --- Exploratory segments ------------------------------------------------------------------------------------
st.subheader("By segment (exploratory)")
if st.toggle("Show lift by RFM segment and new/returning customers (slow on a big shop: one RFM per assignment day)",
             value=False, key="exp_segments_on"):
    segments, segment_source = _segments(cur, key, experiment, int(window), int(pre), control)
    st.caption("Exploratory, not the experiment's verdict: many segments mean many chances of a fluke, and no "
               "correction is applied. RFM segment as of assignment "
               + ("(the Customers page's RFM rules)." if segment_source == "metrics"
                  else "(the experiments' own recency/frequency rules, docs/experiments.md)."))
    st.dataframe(verdict.readable_table(segments, shop.currency), hide_index=True, width="stretch",
                 column_config=P_VALUE_COLUMNS)
    common.download_csv(segments, f"abtest_{experiment}_segments.csv", key="dl-seg")

# --- Power / MDE ---------------------------------------------------------------------------------------------
st.subheader("Plan the next experiment: power and minimum detectable effect")
ctrl = result.customers[result.customers["variant"] == result.control]
base_rate = float(ctrl["conversion"].mean()) if len(ctrl) else 0.1
base_sd = float(ctrl["revenue"].std()) if len(ctrl) > 1 else 1.0
p1, p2, p3 = st.columns(3)
n_arm = p1.number_input("Customers per arm", min_value=10, value=max(int(len(ctrl)), 100), step=100, key="pw_n")
alpha = p2.select_slider("Significance level α", [0.01, 0.05, 0.1], value=0.05, key="pw_alpha")
power = p3.select_slider("Power", [0.7, 0.8, 0.9, 0.95], value=0.8, key="pw_power")
try:
    rate = min(max(base_rate, 1e-4), 1 - 1e-4)
    mde_rate = stats.mde(baseline_rate=rate, n_per_arm=int(n_arm), alpha=alpha, power=power)
    mde_rev = stats.mde(sd=max(base_sd, 1e-9), n_per_arm=int(n_arm), alpha=alpha, power=power)
    m1, m2 = st.columns(2)
    m1.metric("Smallest detectable lift in conversion", f"{100 * mde_rate:.2f} pp",
              help=f"baseline {100 * rate:.2f}% (control, this window)")
    m2.metric("Smallest detectable lift in revenue per customer", shop.money(mde_rev),
              help=f"baseline sd {shop.money(base_sd)} (control, this window)")
    want = st.number_input("Lift in conversion you want to detect (percentage points)", min_value=0.01,
                           value=max(round(100 * mde_rate, 2), 0.01), step=0.5, key="pw_lift")
    need = stats.sample_size(baseline_rate=rate, lift=want / 100, alpha=alpha, power=power)
    st.write(f"To detect +{want:.2f} pp on a {100 * rate:.2f}% baseline you need about **{need:,} customers per "
             f"arm** (normal approximation, two-sided test at α = {alpha}, power {power:.0%}).")
except ValueError as exc:
    st.warning(f"Cannot compute power: {common.plain(exc)}")
