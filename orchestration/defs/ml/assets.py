"""The churn model and scores, and the BG/NBD + Gamma-Gamma CLV predictions.

Both read the marts dbt built for the current as-of date (`marts.as_of_date`) and write `ml.*`
tables, which dbt declares as sources for customer_ltv and the audiences.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from orchestration.defs.dbt.engine import engine_warehouse
from orchestration.defs.dbt.resources import BuildOptions
from orchestration.defs.metadata import metric_metadata, report_link
from orchestration.defs.ml.resources import ModelMinimums
from orchestration.defs.warehouse_resource import WAREHOUSE_POOL, WarehouseResource
from retention.core.settings import artifacts_dir
from retention.core.warehouse.base import Warehouse, read_table

ML_GROUP = "ml"
CHURN_MODEL = dg.AssetKey(["ml", "churn_model_runs"])
CHURN_SCORES = dg.AssetKey(["ml", "churn_scores"])
CLV_MODEL = dg.AssetKey(["ml", "clv_model_runs"])
CLV_PREDICTIONS = dg.AssetKey(["ml", "clv_predictions"])

# The relations ml/ reads (see ml/features.py, ml/outputs.py and ml/clv_pipeline.py).
AS_OF = dg.AssetKey(["marts", "as_of_date"])
FCT_ORDERS = dg.AssetKey(["marts", "fct_orders"])
CHURN_FEATURES = dg.AssetKey(["intermediate", "int_churn_features_by_cutoff"])
CHURN_INPUTS = [
    AS_OF,
    FCT_ORDERS,
    dg.AssetKey(["intermediate", "int_churn_cutoffs"]),
    CHURN_FEATURES,
    dg.AssetKey(["intermediate", "int_churn_labels_by_cutoff"]),
    dg.AssetKey(["marts", "fct_order_items"]),
    dg.AssetKey(["marts", "dim_customers"]),
    dg.AssetKey(["staging", "stg_shop__events"]),
    dg.AssetKey(["staging", "stg_shop__feedback"]),
    dg.AssetKey(["staging", "stg_shop__shipment_events"]),
]
CLV_INPUTS = [AS_OF, FCT_ORDERS]
CHURN_TRAINED_CHECK = "churn_model_trained"
CLV_FIT_CHECK = "clv_fit_usable"


def _trained_check(result: Any) -> dg.AssetCheckResult:
    """Pass when scored; WARN when not trained for lack of data; ERROR when training failed."""
    if result.status == "scored":
        return dg.AssetCheckResult(
            asset_key=CHURN_MODEL,
            check_name=CHURN_TRAINED_CHECK,
            passed=True,
            metadata={"chosen_model": str(result.metrics.get("chosen_model", ""))},
        )
    severity = (
        dg.AssetCheckSeverity.ERROR if result.status == "failed" else (dg.AssetCheckSeverity.WARN)
    )
    return dg.AssetCheckResult(
        asset_key=CHURN_MODEL,
        check_name=CHURN_TRAINED_CHECK,
        passed=False,
        severity=severity,
        description=f"churn model {result.status}: {result.metrics.get('reason', '')}",
    )


def _band_sizes(warehouse: Warehouse, table: str, column: str) -> dict[str, int]:
    rows = read_table(
        warehouse,
        f"select coalesce({column}, '(null)') as band, count(*) as n from {table} "
        "group by 1 order by 2 desc",
    ).to_pylist()
    return {row["band"]: row["n"] for row in rows}


@dg.multi_asset(
    name="churn",
    group_name=ML_GROUP,
    specs=[
        dg.AssetSpec(
            CHURN_MODEL,
            deps=CHURN_INPUTS,
            kinds={"scikitlearn", "duckdb"},
            description="Churn classifier trained as of the build date (artifact + model card "
            "under artifacts/churn/); one row per training in ml.churn_model_runs.",
        ),
        dg.AssetSpec(
            CHURN_SCORES,
            deps=[*CHURN_INPUTS, CHURN_MODEL],
            kinds={"duckdb"},
            description="Churn probability and risk band for every customer.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            CHURN_TRAINED_CHECK,
            asset=CHURN_MODEL,
            description="A churn model was trained (or reused); warns when the store had too "
            "little history and fails (ERROR) when training crashed. Either way every customer "
            "got a not_scored row, so customer_ltv and the audiences still build.",
        )
    ],
    pool=WAREHOUSE_POOL,
)
def churn(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    build_options: BuildOptions,
    model_minimums: ModelMinimums,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Train (or reuse) the churn model and replace ml.churn_scores on the build's target.

    Never fails the step for the model's sake: with too little data or a crash in training,
    every customer gets a not_scored row with the reason, so downstream assets still run.
    """
    from ml.churn_pipeline import build_churn_scores, churn_failed
    from ml.config import ChurnConfig

    config = ChurnConfig(minimums=model_minimums.minimums())
    with engine_warehouse(warehouse, build_options.dbt_target, write=True) as engine:
        try:
            result = build_churn_scores(engine, artifacts_dir=artifacts_dir(), config=config)
        except Exception as error:  # a crash must not stop customer_ltv and the audiences
            context.log.exception("churn training failed; customers are written not_scored")
            result = churn_failed(engine, error)
        bands = _band_sizes(engine, "ml.churn_scores", "risk_band")
    yield dg.MaterializeResult(
        asset_key=CHURN_MODEL,
        metadata={
            "status": result.status,
            "model_version": result.model_version,
            "reused": result.reused,
            "run_id": result.run_id or "",
            "as_of": str(result.as_of),
            **(
                {"model_card": dg.MetadataValue.path(str(result.card_path))}
                if result.card_path
                else {}
            ),
            **metric_metadata(result.metrics),
            **report_link(),
        },
    )
    yield _trained_check(result)
    yield dg.MaterializeResult(
        asset_key=CHURN_SCORES,
        metadata={
            "dagster/row_count": sum(bands.values()),
            "rows_scored": result.rows_scored,
            "segment_sizes": dg.MetadataValue.json(bands),
            "not_scored": dg.MetadataValue.json(result.not_scored),
            "model_version": result.model_version,
            **report_link(),
        },
    )


def backtest_metadata(backtest: dict) -> dict[str, object]:
    """The chosen CLV model's backtest figures (bias, MAE, top-decile capture, warnings)."""
    if backtest.get("status") != "evaluated":
        return {"backtest": str(backtest.get("reason", "not run"))}
    chosen = backtest["chosen_model"]
    values = backtest["candidates"][chosen]
    bias = values["bias"]
    return {
        "chosen_model": chosen,
        "backtest_bias": "n/a (no revenue in the window)" if bias is None else float(bias),
        "backtest_mae": float(values["mae"]),
        "top_decile_capture": float(values["top_decile_capture"]),
        "backtest_warnings": dg.MetadataValue.json(backtest.get("warnings", [])),
    }


@dg.multi_asset(
    name="clv",
    group_name=ML_GROUP,
    specs=[
        dg.AssetSpec(
            CLV_MODEL,
            deps=CLV_INPUTS,
            kinds={"scipy", "duckdb"},
            description="BG/NBD + Gamma-Gamma fit as of the build date; one row per fit in "
            "ml.clv_model_runs (parameters with their time unit).",
        ),
        dg.AssetSpec(
            CLV_PREDICTIONS,
            deps=[*CLV_INPUTS, CLV_MODEL],
            kinds={"duckdb"},
            description="p_alive, expected purchases and predicted 365-day CLV per customer.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            CLV_FIT_CHECK,
            asset=CLV_MODEL,
            description="BG/NBD and Gamma-Gamma were fitted and are not degenerate; warns when "
            "the store had too little history or a parameter sits on its bound, fails (ERROR) "
            "when fitting crashed. customer_ltv still builds (not_scored tiers).",
        )
    ],
    pool=WAREHOUSE_POOL,
)
def clv(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    build_options: BuildOptions,
    model_minimums: ModelMinimums,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Fit BG/NBD + Gamma-Gamma and replace ml.clv_predictions on the build's target."""
    from ml.clv_pipeline import FAILED, build_clv_predictions, clv_not_fitted
    from ml.config import ClvConfig

    config = ClvConfig(minimums=model_minimums.minimums())
    with engine_warehouse(warehouse, build_options.dbt_target, write=True) as engine:
        try:
            result = build_clv_predictions(engine, config=config)
        except Exception as error:  # a crash must not stop customer_ltv and the audiences
            context.log.exception("CLV fit failed; customers are written without predictions")
            message = " ".join(str(error).split())
            reason = f"clv_failed: {type(error).__name__}: {message}"
            result = clv_not_fitted(engine, None, reason, status=FAILED)
        total_clv = (
            read_table(
                engine,
                "select coalesce(sum(predicted_clv_365d), 0) as total from ml.clv_predictions",
            )
            .column(0)[0]
            .as_py()
        )
    yield dg.MaterializeResult(
        asset_key=CLV_MODEL,
        metadata={
            "status": result.status,
            "run_id": result.run_id,
            "as_of": str(result.as_of),
            **metric_metadata(result.parameters, prefix="parameter"),
            **backtest_metadata(result.backtest),
            **report_link(),
        },
    )
    yield dg.MaterializeResult(
        asset_key=CLV_PREDICTIONS,
        metadata={
            "dagster/row_count": sum(result.reasons.values()) or result.rows_scored,
            "rows_scored": result.rows_scored,
            "segment_sizes": dg.MetadataValue.json(result.reasons),
            "predicted_clv_365d_total": float(total_clv),
            **report_link(),
        },
    )
    severity = (
        dg.AssetCheckSeverity.ERROR if result.status == "failed" else (dg.AssetCheckSeverity.WARN)
    )
    problems = result.degenerate or [str(result.parameters.get("reason", ""))]
    yield dg.AssetCheckResult(
        asset_key=CLV_MODEL,
        check_name=CLV_FIT_CHECK,
        passed=result.status == "scored",
        severity=severity,
        description=None
        if result.status == "scored"
        else f"CLV {result.status}: " + "; ".join(problems),
    )
