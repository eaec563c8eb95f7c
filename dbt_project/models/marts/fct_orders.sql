{{ config(
    materialized=incremental_on_duckdb('table'),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    post_hook=[
        "{{ delete_vanished_keys('order_id', 'select order_id from ' ~ ref('stg_shop__orders')) }}",
        "{{ record_incremental_state([(ref('stg_shop__orders'), 'loaded_at'), (ref('stg_shop__shipment_events'), 'loaded_at')], ref('as_of_date')) }}",
    ],
) }}
{#- has_delivery_problem ages with as_of: the window also covers orders that may turn late. -#}
{%- set since = incremental_since(ref('as_of_date'), extra_days=var('late_delivery_days') | int + 1) %}
{%- set order_times = ['ordered_at', 'shipped_at', 'delivered_at', 'cancelled_at', 'returned_at'] %}

with

orders as (
    select * from {{ ref('stg_shop__orders') }}
    {%- if since is not none %}
    -- incremental: orders whose order or shipment rows changed since the last build, or in its window
    where order_id in (
        select order_id from {{ ref('stg_shop__orders') }}
        where {{ changed_since(since, 'loaded_at', order_times) }}
        union
        select order_id from {{ ref('stg_shop__shipment_events') }}
        where {{ changed_since(since, 'loaded_at', ['occurred_at']) }}
    )
    {%- endif %}
),

shipments as (
    select * from {{ ref('int_shipment_events_summarised') }}
),

as_of as (
    select as_of_date from {{ ref('as_of_date') }}
),

joined as (
    select
        orders.*,
        orders.status not in ('cancelled', 'returned') as is_purchase,
        coalesce(orders.delivered_at, shipments.delivered_at) as delivered_at_resolved,
        shipments.last_shipment_status,
        shipments.carrier,
        coalesce(shipments.has_exception, false) as has_shipment_exception,
        as_of.as_of_date
    from orders
    cross join as_of
    left join shipments on orders.order_id = shipments.order_id
),

timed as (
    select
        *,
        {{ dbt.datediff('ordered_at', 'shipped_at', 'day') }} as days_to_ship,
        {{ dbt.datediff('ordered_at', 'delivered_at_resolved', 'day') }} as days_to_deliver,
        {{ dbt.datediff('order_date', 'as_of_date', 'day') }} as days_since_order
    from joined
)

select
    order_id,
    customer_id,
    ordered_at,
    order_date,
    status,
    is_purchase,
    currency,
    subtotal,
    total as gross_total,
    discount_amount,
    shipping_amount,
    total - shipping_amount as order_value,
    case when is_purchase then total - shipping_amount else 0 end as net_revenue,
    (discount_amount > 0 or discount_code is not null) as has_discount,
    discount_code,
    shipped_at,
    delivered_at_resolved as delivered_at,
    days_to_ship,
    days_to_deliver,
    last_shipment_status,
    carrier,
    case
        when status in ('cancelled', 'returned') then status
        when last_shipment_status is not null then last_shipment_status
        when delivered_at_resolved is not null or status = 'delivered' then 'delivered'
        when shipped_at is not null or status = 'shipped' then 'in_transit'
        else 'not_shipped'
    end as delivery_status,
    (
        has_shipment_exception
        or coalesce(days_to_deliver > {{ var('late_delivery_days') }}, false)
        or (
            status = 'shipped'
            and delivered_at_resolved is null
            and days_since_order > {{ var('late_delivery_days') }}
        )
    ) as has_delivery_problem
from timed
