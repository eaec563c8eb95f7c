{{ config(
    materialized=incremental_on_duckdb('view'),
    incremental_strategy='delete+insert',
    unique_key='event_date',
    post_hook=[
        "{{ delete_vanished_keys('event_date', 'select cast(occurred_at as date) as event_date from ' ~ source('shop', 'events') ~ ' where occurred_at < (select cast(as_of_date as timestamp) from ' ~ ref('as_of_date') ~ ')') }}",
        "{{ record_incremental_state([(source('shop', 'events'), '_loaded_at')], ref('as_of_date')) }}",
    ],
) }}
{%- set since = incremental_since(ref('as_of_date')) %}

with

source as (
    select * from {{ source('shop', 'events') }}
),

as_of as (
    select cast(as_of_date as {{ dbt.type_timestamp() }}) as as_of_at from {{ ref('as_of_date') }}
),

deduplicated as (
    select
        source.*,
        row_number() over (
            partition by
                source.customer_id, source.event_type, source.occurred_at, source.channel,
                source.product_id, cast(source.properties as {{ dbt.type_string() }})
            {{ latest_load_first('source') }}
        ) as row_rank
    from source
    cross join as_of
    where source.occurred_at < as_of.as_of_at
    {%- if since is not none %}
        -- incremental: whole days with an event loaded since the last build or in its window
        and cast(source.occurred_at as date) in (
            select cast(occurred_at as date) from {{ source('shop', 'events') }}
            where {{ changed_since(since, '_loaded_at', ['occurred_at']) }}
        )
    {%- endif %}
),

renamed as (
    select
        customer_id,
        lower(trim(event_type)) as event_type,
        occurred_at,
        cast(occurred_at as date) as event_date,
        nullif(lower(trim(channel)), '') as channel,
        product_id,
        properties,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at
    from deduplicated
    where row_rank = 1
)

select * from renamed
