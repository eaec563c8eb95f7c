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
            partition by runs.sync_name order by runs.started_at
            rows between unbounded preceding and current row
        ) as held
    from runs
),

{#- the latest audience model and target recorded for each sync (older runs have none) #}
{%- for column in ['audience_model', 'target'] %}

latest_{{ column }} as (
    select sync_name, {{ column }}
    from (
        select
            sync_name,
            {{ column }},
            row_number() over (partition by sync_name order by started_at desc) as recency
        from runs
        where {{ column }} is not null
    ) as known
    where recency = 1
),
{%- endfor %}

final as (
    select
        sized.run_id,
        sized.sync_name,
        sized.destination,
        latest_audience_model.audience_model,
        latest_target.target,
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
        cast(coalesce(sized.audience_size, sized.held) as {{ dbt.type_bigint() }}) as audience_size,
        coalesce(drift.missing_at_provider, 0) as missing_at_provider,
        coalesce(drift.unexpected_at_provider, 0) as unexpected_at_provider
    from sized
    left join drift on sized.run_id = drift.run_id
    left join latest_audience_model on sized.sync_name = latest_audience_model.sync_name
    left join latest_target on sized.sync_name = latest_target.sync_name
)

select * from final
