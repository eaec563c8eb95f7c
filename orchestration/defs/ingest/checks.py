"""Raw data checks: are the orders recent enough to act on?"""

import datetime as dt

import dagster as dg
from pydantic import Field

from orchestration.defs.ingest.assets import raw_key
from orchestration.defs.warehouse import WarehouseResource


class FreshnessConfig(dg.Config):
    """How old the newest order may be before the raw data counts as stale."""

    max_age_hours: float = Field(default=48.0, description="Allowed age of the newest order.")


@dg.asset_check(
    asset=raw_key("orders"),
    description="The newest raw order is recent (stale exports mean stale audiences).",
)
def raw_orders_freshness(
    config: FreshnessConfig, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    """WARN when the newest `raw.orders.ordered_at` is older than `max_age_hours`."""
    with warehouse.read() as con:
        newest, rows = con.execute("select max(ordered_at), count(*) from raw.orders").fetchone()
    if newest is None:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description="raw.orders has no rows",
            metadata={"rows": rows},
        )
    age_hours = (dt.datetime.now() - newest).total_seconds() / 3600
    return dg.AssetCheckResult(
        passed=age_hours <= config.max_age_hours,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"newest order {newest:%Y-%m-%d %H:%M}, {age_hours:.0f}h ago "
        f"(allowed {config.max_age_hours:.0f}h)",
        metadata={
            "newest_order_at": newest.isoformat(),
            "age_hours": round(age_hours, 1),
            "max_age_hours": config.max_age_hours,
        },
    )
