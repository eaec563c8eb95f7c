"""Audience size checks: warn when an audience jumps or collapses between runs."""

import dagster as dg
from pydantic import Field

ROW_COUNT = "dagster/row_count"
# materializations read to find the last run of the same kind (as-of builds are occasional)
MATERIALIZATIONS_READ = 20


class SizeChangeConfig(dg.Config):
    """How much an audience may change between two runs before someone should look."""

    max_change_share: float = Field(
        default=0.5, description="Allowed |new - previous| / previous (0.5 = +/-50%)."
    )


def run_as_of(run: dg.DagsterRun | None) -> str | None:
    """The as-of date a run built at (`build_options.as_of_date`), None for a default build.

    `build_options` is bound with no as-of date, so a run's config is the only place one is set.
    """
    resources = (run.run_config if run is not None else {}).get("resources") or {}
    return ((resources.get("build_options") or {}).get("config") or {}).get("as_of_date")


def row_counts(
    instance: dg.DagsterInstance, key: dg.AssetKey, current_run_id: str
) -> tuple[int | None, int | None]:
    """`dagster/row_count` of `key` in this run and in the latest other run of the same kind.

    Runs of the same kind built at the same as-of date (`run_as_of`): a default build compares
    with the last default build, `--as-of 2025-06-01` with the last build as of that day, never
    a past date with today. Read from the materializations (recorded on whichever engine built
    the audience), so the check needs no warehouse connection.
    """
    as_of = run_as_of(instance.get_run_by_id(current_run_id))
    current = previous = None
    kinds: dict[str, str | None] = {}
    for record in instance.fetch_materializations(key, limit=MATERIALIZATIONS_READ).records:
        value = record.asset_materialization.metadata.get(ROW_COUNT)
        if value is None:
            continue
        if record.run_id == current_run_id:
            current = int(value.value) if current is None else current
            continue
        if record.run_id not in kinds:
            kinds[record.run_id] = run_as_of(instance.get_run_by_id(record.run_id))
        if previous is None and kinds[record.run_id] == as_of:
            previous = int(value.value)
    return current, previous


def size_change(previous: int, current: int) -> float:
    """Relative change from `previous` to `current` (an audience appearing from 0 counts as 1.0)."""
    if previous == 0:
        return 0.0 if current == 0 else 1.0
    return abs(current - previous) / previous


def build_size_change_check(audience_key: dg.AssetKey) -> dg.AssetChecksDefinition:
    """A WARN check comparing the audience's row count with its previous run's."""

    @dg.asset_check(
        asset=audience_key,
        name="size_change_vs_last_run",
        description="The audience did not grow or shrink by more than max_change_share "
        "since the last run of the same kind (a default build vs the last default build, an "
        "--as-of build vs the last one at that date).",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, config: SizeChangeConfig
    ) -> dg.AssetCheckResult:
        current, previous = row_counts(context.instance, audience_key, context.run.run_id)
        if current is None or previous is None:
            return dg.AssetCheckResult(
                passed=True,
                description="first run of its kind (default or this --as-of date): nothing to "
                "compare with"
                if current is not None
                else "no row count recorded in this run",
                metadata={"current": current or 0},
            )
        change = size_change(previous, current)
        return dg.AssetCheckResult(
            passed=change <= config.max_change_share,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{previous} -> {current} members ({change:.0%} change vs allowed "
            f"{config.max_change_share:.0%})",
            metadata={
                "previous": previous,
                "current": current,
                "change_share": round(change, 4),
                "max_change_share": config.max_change_share,
            },
        )

    return _check
