"""Raw data checks: are the orders recent enough to act on?"""

import datetime as dt
from typing import Literal

import dagster as dg
from pydantic import Field

from orchestration.defs.dbt.resources import BuildOptions
from orchestration.defs.ingest.assets import raw_key
from orchestration.defs.warehouse_resource import WarehouseResource

FRESHNESS_CHECK_OP = "raw__orders_raw_orders_freshness"


class FreshnessConfig(dg.Config):
    """How old the newest order may be before the raw data counts as stale, and against what."""

    max_age_hours: float = Field(default=48.0, description="Allowed age of the newest order.")
    reference: Literal["as_of", "now"] = Field(
        default="as_of",
        description="as_of: age at the build's as-of date (a store is fresh relative to its own "
        "point in time); now: age on the wall clock (the daily schedule, for live exports).",
    )


def reference_time(con, reference: str, as_of_date: str | None) -> dt.datetime | None:
    """The moment the newest order's age is measured at: now, the --as-of date, or (no --as-of)
    the day after the latest order, like dbt's as_of_date. None when raw.orders is empty."""
    if reference == "now":
        return dt.datetime.now()
    if as_of_date is not None:
        return dt.datetime.fromisoformat(as_of_date)
    latest = con.execute("select max(ordered_at) from raw.orders").fetchone()[0]
    if latest is None:
        return None
    return dt.datetime.combine(latest.date() + dt.timedelta(days=1), dt.time())


@dg.asset_check(
    asset=raw_key("orders"),
    description="The newest raw order is recent at the build's as-of date (stale exports mean "
    "stale audiences); the daily schedule measures against the wall clock.",
)
def raw_orders_freshness(
    config: FreshnessConfig, warehouse: WarehouseResource, build_options: BuildOptions
) -> dg.AssetCheckResult:
    """WARN when the newest order before the reference time is older than `max_age_hours`."""
    with warehouse.read() as con:
        at = reference_time(con, config.reference, build_options.as_of_date)
        newest, rows = (
            con.execute(
                "select max(ordered_at), count(*) from raw.orders where ordered_at < ?", [at]
            ).fetchone()
            if at is not None
            else (None, 0)
        )
    if newest is None:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description="raw.orders has no rows before the as-of date",
            metadata={"rows": rows},
        )
    age_hours = (at - newest).total_seconds() / 3600
    measured = "now" if config.reference == "now" else f"as of {at:%Y-%m-%d}"
    return dg.AssetCheckResult(
        passed=age_hours <= config.max_age_hours,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"newest order {newest:%Y-%m-%d %H:%M}, {age_hours:.0f}h old {measured} "
        f"(allowed {config.max_age_hours:.0f}h)",
        metadata={
            "newest_order_at": newest.isoformat(),
            "reference_at": at.isoformat(),
            "age_hours": round(age_hours, 1),
            "max_age_hours": config.max_age_hours,
        },
    )
