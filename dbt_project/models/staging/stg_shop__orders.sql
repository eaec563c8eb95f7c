{{ config(
    materialized=incremental_on_duckdb('view'),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    post_hook=[
        "{{ delete_vanished_keys('order_id', 'select order_id from ' ~ source('shop', 'orders') ~ ' where ordered_at < (select cast(as_of_date as timestamp) from ' ~ ref('as_of_date') ~ ')') }}",
        "{{ record_incremental_state([(source('shop', 'orders'), '_loaded_at')], ref('as_of_date')) }}",
    ],
) }}
{%- set cancelled_at = optional_column(source('shop', 'orders'), 'cancelled_at', dbt.type_timestamp()) -%}
{%- set returned_at = optional_column(source('shop', 'orders'), 'returned_at', dbt.type_timestamp()) -%}
{%- set since = incremental_since(ref('as_of_date')) -%}

with

source as (
    select * from {{ source('shop', 'orders') }}
),

as_of as (
    select cast(as_of_date as {{ dbt.type_timestamp() }}) as as_of_at from {{ ref('as_of_date') }}
),

deduplicated as (
    select
        source.*,
        as_of.as_of_at,
        row_number() over (
            partition by source.order_id
            {{ latest_load_first('source') }}
        ) as row_rank
    from source
    cross join as_of
    where source.ordered_at < as_of.as_of_at
    {%- if since is not none %}
        -- incremental: only orders with a row loaded since the last build or a date in its window
        and source.order_id in (
            select order_id from {{ source('shop', 'orders') }}
            where {{ changed_since(since, '_loaded_at', ['ordered_at', 'shipped_at', 'delivered_at', cancelled_at, returned_at]) }}
        )
    {%- endif %}
),

renamed as (
    select
        order_id,
        nullif(trim(customer_id), '') as customer_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        -- point in time: a cancellation or return dated on or after as_of had not happened
        -- yet, so the order keeps the status it had then
        case
            when {{ cancelled_at }} < as_of_at then 'cancelled'
            when {{ returned_at }} < as_of_at then 'returned'
            when lower(trim(status)) in ('cancelled', 'returned')
                and coalesce({{ cancelled_at }}, {{ returned_at }}) is not null
                then case
                    when delivered_at < as_of_at then 'delivered'
                    when shipped_at < as_of_at then 'shipped'
                    else 'placed'
                end
            else lower(trim(status))
        end as status,
        upper(trim(currency)) as currency,
        subtotal,
        coalesce(discount_amount, 0) as discount_amount,
        coalesce(shipping_amount, 0) as shipping_amount,
        total,
        nullif(trim(discount_code), '') as discount_code,
        -- point in time: what happened on or after as_of was not known yet
        case when shipped_at < as_of_at then shipped_at end as shipped_at,
        case when delivered_at < as_of_at then delivered_at end as delivered_at,
        case when {{ cancelled_at }} < as_of_at then {{ cancelled_at }} end as cancelled_at,
        case when {{ returned_at }} < as_of_at then {{ returned_at }} end as returned_at,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at
    from deduplicated
    where row_rank = 1
)

select * from renamed
