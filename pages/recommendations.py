"""Recommendations: train a model, set the business rules, compare models honestly, export a campaign list.

Deep link: `?segment=NAME` opens the Export tab's campaign on that RFM segment (the Customers page's
"Recommend products to <segment>" button links here so).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st

from pages.parts import common, eval_widgets, frame, metric_help, model_runs, rules_form
from recs import preview
from recs.errors import RepeatError

frame.enter()
st.title("Recommendations")
st.caption("Which products to put in front of which customer to bring them back — trained on your own history, "
           "compared against strong simple baselines, with business rules and a campaign list to take away.")
cur = common.products_needed(common.require_orders())


@st.cache_data(show_spinner=False)
def _date_range(_cur, key) -> tuple[dt.date, dt.date]:
    from recs.metrics import date_range

    return date_range(_cur)


@st.cache_data(show_spinner=False)
def _categories(_cur, key) -> list[str]:
    from recs.metrics import categories

    return categories(_cur)


@st.cache_data(show_spinner=False)
def _snapshot(_cur, key, until) -> dict:
    return preview.training_snapshot(_cur, until)


def _list_table(frame: pd.DataFrame, key: str) -> None:
    """A list of recommendations with human column labels and a wide reason column (the CSV keeps the names),
    then every reason in full as text, one customer at a time: a table cell cuts a long reason."""
    metric_help.show(frame, width="stretch")
    if frame.empty:
        return
    with st.expander("Reasons in full", icon=":material/notes:"):
        customers = list(dict.fromkeys(frame["customer_id"]))
        who = customers[0]
        if len(customers) > 1:
            who = st.selectbox("Customer", customers, key=f"{key}-why-customer")
        rows = frame[frame["customer_id"] == who]
        for row in rows.itertuples():  # names and reasons come from the shop's files: shown as text
            name = row.product_name if isinstance(row.product_name, str) and row.product_name else row.product_id
            st.markdown(f"{int(row.rank)}. **{common.plain(name)}** ({common.literal(row.product_id)}): "
                        f"{common.plain(row.reason)}")


key = common.data_key(cur)
first_day, last_day = _date_range(cur, key)
summary = st.container()  # filled at the end, after a training this run may have done
picked_segment = st.query_params.get("segment")
if picked_segment is not None:  # once: the Export tab's choice is the user's from now on
    from recs.metrics import segment_names

    del st.query_params["segment"]
    if picked_segment in segment_names():
        st.session_state["export-segment"] = picked_segment
    else:
        picked_segment = None
if picked_segment is not None:
    st.info(f"Campaign for **{picked_segment}** (from the Customers page): choose or train a model, then open the "
            f"**Export** tab, where {picked_segment} is already chosen.", icon=":material/campaign:")
tab_train, tab_rules, tab_eval, tab_export = st.tabs(["Train", "Rules and preview", "Evaluate", "Export"])

# ------------------------------------------------------------------------------------------------ train
with tab_train:
    from recs.interactions import WEIGHTINGS
    from recs.models import REGISTRY

    c1, c2, c3 = st.columns([2, 1, 1])
    with c1:
        name = model_runs.model_select("Model", key="train-model")
        st.caption(REGISTRY[name].description)
    weighting = c2.selectbox("Weighting", WEIGHTINGS, index=WEIGHTINGS.index(REGISTRY[name].default_weighting),
                             key=f"train-weighting-{name}",
                             help="binary: bought or not; count: orders; log: log(1 + orders); recency: recent "
                                  "orders count more")
    all_data = c3.checkbox("Train on all data", value=True, key="train-all")
    until = None
    if not all_data:
        until = c3.date_input("Train until (exclusive)", value=last_day, min_value=first_day,
                              max_value=last_day + dt.timedelta(days=1), key="train-until")
    with st.expander("Parameters", expanded=False):
        params = model_runs.param_widgets(name, "train")
    model_runs.report_cancelled_training()
    if st.button("Train", type="primary", icon=":material/model_training:", key="train-button"):
        trained = model_runs.train(cur, name, params, None if until is None else pd.Timestamp(until), weighting)
        if trained is not None:
            st.success(f"Trained **{name}** in {trained.fit_seconds:.2f} s and stored it next to the "
                       "database (it survives a restart).")

    from pages.parts import run_list

    run_list.runs_section(cur)  # every stored run: use one, delete one
    from recs.service.status import serving_status  # the API service: last full training, orders folded since

    serving = serving_status(common.db_path())
    if serving.service_used:
        st.caption(serving.sentence() + " `python -m recs refresh` retrains it in full.")

# ------------------------------------------------------------------------------------------------ rules
now = model_runs.chosen(cur)
with tab_rules:
    st.write("These rules apply the same way to the preview, the Customer and Product pages, the evaluation "
             "and the exported campaign list.")
    rules, rule_notes = rules_form.rules_form(_categories(cur, key), model=None if now is None else now.model)
    for line in rules.describe():
        st.markdown(f"- {common.literal(line)}")  # product ids and categories come from files: shown as text
    rules_form.show_notes(None if now is None else now.model, rules, rule_notes)
    st.subheader("Preview for one customer")
    if now is None:
        st.info("Train or load a model to preview its recommendations.")
    else:
        sample = preview.search_customers(cur, "", 1)["customer_id"]
        who = st.text_input("Customer id", value=str(sample.iloc[0]) if len(sample) else "", key="preview-customer")
        k_preview = st.slider("How many", 1, 30, 10, key="preview-k")
        if who.strip():
            try:
                recs_frame = now.model.recommend([who.strip()], k=k_preview, rules=rules)
            except RepeatError as exc:
                common.show_error(exc)
            else:
                _list_table(recs_frame, "preview")
                common.download_csv(recs_frame, f"preview-{who.strip()}.csv", key="dl-preview")
                st.page_link("pages/customer.py", label="Open this customer on the Customer page",
                             icon=":material/person_search:", query_params={"customer": who.strip()})

# ------------------------------------------------------------------------------------------------ evaluate
with tab_eval:
    from recs.models import model_names

    st.write("Train on the purchases before a cutoff, test on the next days. **new**: only products the customer "
             "had not bought count; **all**: re-buys count too. Both are always shown. The current model keeps "
             "its parameters; the others use their defaults (or a small search with tuning on).")
    names = model_names()
    with st.form("eval-form"):
        c1, c2, c3 = st.columns(3)
        default_cut = max(first_day + dt.timedelta(days=1), last_day - dt.timedelta(days=30))
        cutoff = c1.date_input("Cutoff", value=default_cut, min_value=first_day + dt.timedelta(days=1),
                               max_value=last_day, key="eval-cutoff")
        horizon = c2.number_input("Horizon (days)", value=30, min_value=1, max_value=365, step=1, key="eval-h")
        k_eval = c3.number_input("K", value=10, min_value=1, max_value=100, step=1, key="eval-k")
        fast = [n for n in ("popular", "repeat", "item_knn", "ease") if n in names] or names[:2]
        chosen_models = st.multiselect("Models", names, default=fast, key="eval-models")
        tune = st.checkbox("Tune parameters on a validation window before the cutoff (slower)", key="eval-tune")
        run_eval = st.form_submit_button("Run evaluation", type="primary", icon=":material/leaderboard:")
    if run_eval:
        from recs.evaluation import compare_to_best, evaluate_models

        bar = st.progress(0.0, text="Evaluating…")
        try:
            # the current model is evaluated with the parameters it was trained with (unless tuning)
            own = {} if now is None or tune else {now.name: dict(now.params)}
            per_customer: dict = {}
            result = evaluate_models(cur, pd.Timestamp(cutoff), horizon_days=int(horizon), k=int(k_eval),
                                     models=chosen_models or None, params=own, rules=rules, tune=tune,
                                     progress=model_runs.progress_callback(bar), per_customer=per_customer)
        except RepeatError as exc:
            bar.empty()
            common.show_error(exc)
        else:
            bar.empty()
            st.session_state["reco_eval"] = {"frame": result, "cutoff": str(cutoff), "horizon": int(horizon),
                                             "compare": compare_to_best(per_customer)}
            if now is not None and not tune:  # the current run's figures, kept beside it (Train tab's table)
                model_runs.record_evaluation(now, result, cutoff, int(horizon))
                st.rerun()  # the table of runs was drawn above this run's figures: draw it again with them
    evaluation = st.session_state.get("reco_eval")
    if evaluation is not None:
        frame: pd.DataFrame = evaluation["frame"]
        st.caption(f"Cutoff {evaluation['cutoff']}, {evaluation['horizon']}-day horizon, "
                   f"{int(frame['customers'].max()) if len(frame) else 0:,} test customers.")
        from recs.evaluation import best_models, blank_notes
        from recs.evaluation.evaluate import FIGURES

        for mode, best_name in best_models(frame).items():  # highest NDCG; a tie: first name alphabetically
            if best_name is not None:
                best = frame[(frame["mode"] == mode) & (frame["model"] == best_name)].iloc[0]
                st.markdown(f"- **{mode}**: best is **{best_name}** with NDCG@{int(best['k'])} "
                            f"{best['ndcg']:.3f} (hit rate {best['hit_rate']:.0%}).")
        for note in blank_notes(frame):
            st.info("Blank figures: " + common.literal(note), icon=":material/info:")
        st.dataframe(frame.style.format({c: "{:.4f}" for c in FIGURES if c in frame}, na_rep=""),
                     hide_index=True, width="stretch")
        common.download_csv(frame, f"evaluation-{evaluation['cutoff']}.csv", key="dl-eval")
        metrics = [m for m in ("ndcg", "recall", "precision", "map", "hit_rate") if m in frame]
        long = frame.melt(id_vars=["model", "mode"], value_vars=metrics, var_name="metric", value_name="value")
        fig = px.bar(long, x="model", y="value", color="metric", barmode="group", facet_col="mode",
                     category_orders={"mode": ["new", "all"]}, title="Ranking quality by model (higher is better)")
        st.plotly_chart(fig, width="stretch")
        if evaluation.get("compare") is not None and len(evaluation["compare"]):
            eval_widgets.gap_section(evaluation["compare"], evaluation["cutoff"])

# ------------------------------------------------------------------------------------------------ export
with tab_export:
    from recs.export import ALL_CUSTOMERS, campaign_list
    from recs.metrics import segment_names
    from recs.predict.report import AUDIENCES

    if now is None:
        st.info("Train or load a model first (Train tab); the campaign list uses the current model and rules.")
    else:
        export_ok = model_runs.export_confirmed(cur, now)  # a stale run needs the box ticked
        with st.form("export-form"):
            c1, c2 = st.columns([2, 1])
            segment = c1.selectbox("Customers", [ALL_CUSTOMERS, *segment_names(), *AUDIENCES], key="export-segment",
                                   help="An RFM segment, or a predicted audience (Predict page): high-value customers "
                                        "at risk, or customers due to re-buy a product (that product first)")
            k_export = c2.number_input("Products per customer (K)", value=10, min_value=1, max_value=100, step=1,
                                       key="export-k")
            c1, c2, c3 = st.columns(3)
            share = c1.number_input("Hold out a control share (0 = none)", value=0.0, min_value=0.0,
                                    max_value=0.9, step=0.05, key="export-holdout",
                                    help="A random share of customers left out of the file and recorded as "
                                         "'control', to measure the lift on the Experiments page")
            experiment = c2.text_input("Experiment id", value="", key="export-experiment")
            seed = c3.number_input("Seed", value=0, min_value=0, step=1, key="export-seed")
            build = st.form_submit_button("Build campaign list", type="primary", icon=":material/campaign:")
        if build and not export_ok:
            model_runs.refuse_stale_export()
        elif build:
            bar = st.progress(0.0, text="Recommending…")
            try:
                campaign = campaign_list(cur, now.model, k=int(k_export), rules=rules, segment=segment,
                                         holdout=share if share > 0 else None,
                                         experiment_id=experiment if share > 0 else None, seed=int(seed),
                                         cutoff=now.until, progress=model_runs.progress_callback(bar))
            except RepeatError as exc:
                bar.empty()
                common.show_error(exc)
            else:
                bar.empty()
                st.session_state["reco_campaign"] = {"campaign": campaign, "model": now.name}
        from recs.rules import INTENTS, intent_of

        st.caption(f"Campaign intent: **{INTENTS[intent_of(rules)]}** (change it under **Rules and preview**).")
        rules_form.show_notes(now.model, rules, [])
        built = st.session_state.get("reco_campaign")
        if built is not None:
            campaign = built["campaign"]
            most = int(campaign.frame["rank"].max()) if campaign.rows else 0  # an empty list has no rank
            text = f"**{campaign.customers:,}** customers × up to {most} products"
            if campaign.held_out:
                text += (f"; **{campaign.held_out:,}** held out as control in experiment "
                         f"**{common.plain(campaign.experiment_id)}** (see the Experiments page after the campaign)")
            st.markdown(text + ".")
            if campaign.without:
                who = ("No customer got any product" if campaign.without == campaign.customers
                       else f"{campaign.without:,} of {campaign.customers:,} customers got no product")
                st.warning(f"{who}: {common.plain(campaign.empty_reason)}.", icon=":material/info:")
            shown = campaign.frame.head(200)
            if len(shown) < campaign.rows:
                st.caption(f"The first {len(shown):,} of {campaign.rows:,} rows; the download has them all.")
            _list_table(shown, "campaign")
            common.download_csv(campaign.frame, f"campaign-{built['model']}-{campaign.segment or 'all'}.csv",
                                label="Download campaign list", key="dl-campaign")

# ------------------------------------------------------------------------------------------------ summary
now = model_runs.chosen(cur)
with summary:
    if now is None:
        st.info("No model chosen yet: pick one in the **Train** tab and press **Train** (or choose a stored run "
                "under **Model runs** and press **Use this run**).")
    else:
        snap = _snapshot(cur, key, now.until)
        cols = st.columns(5)
        cols[0].metric("Model", now.name)
        cols[1].metric("Fit time", f"{now.fit_seconds:.2f} s")
        cols[2].metric("Lines", f"{snap['lines']:,}")
        cols[3].metric("Customers", f"{snap['customers']:,}")
        cols[4].metric("Products bought", f"{snap['products']:,}")
        from recs.models import REGISTRY

        label = getattr(REGISTRY.get(now.name), "label", None) or now.name
        cutoff_day = str(now.train_cutoff).replace("T00:00:00", "").replace("T", " ")
        st.caption(f"{label} ({now.name}) trained on {now.train_until or 'all data'} (lines strictly before "
                   f"{cutoff_day}), weighting {now.weighting}. Parameters: "
                   + ", ".join(f"{k}={v}" for k, v in now.params.items()))
        model_runs.run_notes(cur, now)  # run id; a warning when it is stale
