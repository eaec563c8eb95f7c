{{ config(
    materialized=incremental_on_duckdb('view'),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    post_hook=[
        "{{ delete_vanished_keys('order_id', 'select order_id from ' ~ source('shop', 'order_items')) }}",
        "{{ record_incremental_state([(source('shop', 'order_items'), '_loaded_at')]) }}",
    ],
) }}
{%- set since = incremental_since() %}

with

source as (
    select * from {{ source('shop', 'order_items') }}
),

deduplicated as (
    select
        *,
        row_number() over (
            partition by order_id, product_id, size
            {{ latest_load_first() }}
        ) as row_rank
    from source
    {%- if since is not none %}
    -- incremental: every line of the orders with a line loaded since the last build
    where order_id in (
        select order_id from {{ source('shop', 'order_items') }}
        where {{ changed_since(since, '_loaded_at') }}
    )
    {%- endif %}
),

renamed as (
    select
        order_id,
        product_id,
        nullif(trim(size), '') as size,
        quantity,
        unit_price,
        list_price,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at
    from deduplicated
    where row_rank = 1
)

-- items have no date of their own: fct_order_items keeps those of orders before as_of
select * from renamed
