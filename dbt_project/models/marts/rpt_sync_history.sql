{#-
  Every finished (not dry-run) sync run, with the drift its read-back found and the audience
  size it synced: the report's one reading of the sync engine's tables. A view, so it shows
  runs made after the build. Runs recorded before `audience_size` existed fall back to the
  records held at the destination (running added - removed); `audience_model` and `target`
  are the latest known for the sync.
-#}
{{ config(materialized='view') }}

with

runs as (
    select * from {{ source('activation', 'sync_runs') }}
    where not coalesce(dry_run, false) and finished_at is not null
),

drift as (
    select
        run_id,
        count(*) filter (where drift = 'missing_at_provider') as missing_at_provider,
        count(*) filter (where drift = 'unexpected_at_provider') as unexpected_at_provider
    from {{ source('activation', 'sync_drift') }}
    group by run_id
),

sized as (
    select
        runs.*,
        sum(coalesce(runs.added, 0) - coalesce(runs.removed, 0)) over (
            partition by runs.sync_name order by runs.started_at rows unbounded preceding
        ) as held
    from runs
)

select
    sized.run_id,
    sized.sync_name,
    sized.destination,
    last_value(sized.audience_model ignore nulls) over sync_runs as audience_model,
    last_value(sized.target ignore nulls) over sync_runs as target,
    sized.started_at,
    sized.finished_at,
    sized.status,
    sized.added,
    sized.updated,
    sized.removed,
    sized.failed,
    sized.skipped_no_consent,
    sized.skipped_suppressed,
    sized.write_requests,
    sized.message,
    coalesce(sized.audience_size, sized.held) as audience_size,
    coalesce(drift.missing_at_provider, 0) as missing_at_provider,
    coalesce(drift.unexpected_at_provider, 0) as unexpected_at_provider
from sized
left join drift using (run_id)
window sync_runs as (
    partition by sized.sync_name order by sized.started_at
    rows between unbounded preceding and unbounded following
)
