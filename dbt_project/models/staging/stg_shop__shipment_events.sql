{{ config(
    materialized=incremental_on_duckdb('view'),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    post_hook=[
        "{{ delete_vanished_keys('order_id', 'select order_id from ' ~ source('shop', 'shipment_events') ~ ' where occurred_at < (select cast(as_of_date as timestamp) from ' ~ ref('as_of_date') ~ ')') }}",
        "{{ record_incremental_state([(source('shop', 'shipment_events'), '_loaded_at')], ref('as_of_date')) }}",
    ],
) }}
{%- set since = incremental_since(ref('as_of_date')) %}

with

source as (
    select * from {{ source('shop', 'shipment_events') }}
),

as_of as (
    select cast(as_of_date as {{ dbt.type_timestamp() }}) as as_of_at from {{ ref('as_of_date') }}
),

deduplicated as (
    select
        source.*,
        row_number() over (
            partition by source.order_id, source.status, source.occurred_at
            {{ latest_load_first('source') }}
        ) as row_rank
    from source
    cross join as_of
    where source.occurred_at < as_of.as_of_at
    {%- if since is not none %}
        -- incremental: every event of the orders with an event loaded since the last build
        -- or dated in its window
        and source.order_id in (
            select order_id from {{ source('shop', 'shipment_events') }}
            where {{ changed_since(since, '_loaded_at', ['occurred_at']) }}
        )
    {%- endif %}
),

renamed as (
    select
        order_id,
        lower(trim(status)) as shipment_status,
        occurred_at,
        nullif(trim(carrier), '') as carrier,
        nullif(trim(tracking_number), '') as tracking_number,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at
    from deduplicated
    where row_rank = 1
)

select * from renamed
