{{ config(
    materialized=incremental_on_duckdb('view'),
    incremental_strategy='delete+insert',
    unique_key='submitted_date',
    post_hook=[
        "{{ delete_vanished_keys('submitted_date', 'select cast(submitted_at as date) as submitted_date from ' ~ source('shop', 'feedback') ~ ' where submitted_at < (select cast(as_of_date as timestamp) from ' ~ ref('as_of_date') ~ ')') }}",
        "{{ record_incremental_state([(source('shop', 'feedback'), '_loaded_at')], ref('as_of_date')) }}",
    ],
) }}
{%- set since = incremental_since(ref('as_of_date')) %}

with

source as (
    select * from {{ source('shop', 'feedback') }}
),

as_of as (
    select cast(as_of_date as {{ dbt.type_timestamp() }}) as as_of_at from {{ ref('as_of_date') }}
),

deduplicated as (
    select
        source.*,
        row_number() over (
            partition by source.customer_id, source.order_id, source.submitted_at
            {{ latest_load_first('source') }}
        ) as row_rank
    from source
    cross join as_of
    where source.submitted_at < as_of.as_of_at
    {%- if since is not none %}
        -- incremental: whole days with a response loaded since the last build or in its window
        and cast(source.submitted_at as date) in (
            select cast(submitted_at as date) from {{ source('shop', 'feedback') }}
            where {{ changed_since(since, '_loaded_at', ['submitted_at']) }}
        )
    {%- endif %}
),

renamed as (
    select
        customer_id,
        order_id,
        submitted_at,
        cast(submitted_at as date) as submitted_date,
        nps_score,
        csat_score,
        nullif(trim(comment), '') as comment,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at
    from deduplicated
    where row_rank = 1
)

select * from renamed
