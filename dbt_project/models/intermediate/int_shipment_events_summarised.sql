with

shipment_events as (
    select * from {{ ref('stg_shop__shipment_events') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by order_id
            order by occurred_at desc, shipment_status desc, tracking_number desc
        ) as recency_rank
    from shipment_events
),

per_order as (
    select
        order_id,
        count(*) as shipment_events_count,
        min(case when shipment_status <> 'label_created' then occurred_at end) as first_in_transit_at,
        min(case when shipment_status = 'delivered' then occurred_at end) as delivered_at,
        max(case when shipment_status = 'exception' then 1 else 0 end) = 1 as has_exception
    from shipment_events
    group by order_id
),

latest as (
    select order_id, shipment_status as last_shipment_status, carrier
    from ranked
    where recency_rank = 1
)

select
    per_order.order_id,
    per_order.shipment_events_count,
    per_order.first_in_transit_at,
    per_order.delivered_at,
    per_order.has_exception,
    latest.last_shipment_status,
    latest.carrier
from per_order
inner join latest on per_order.order_id = latest.order_id
