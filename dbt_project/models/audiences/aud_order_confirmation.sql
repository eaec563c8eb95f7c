-- Order confirmation email: one row per purchase placed in the last trigger_lookback_days with
-- its totals and item count, keyed by event_key so each order is confirmed once.
with as_of as (

    select as_of_date from {{ ref('as_of_date') }}

),

contacts as (
{{ audience_contacts(['email']) }}
),

recent_orders as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.gross_total,
        orders.discount_amount,
        orders.net_revenue
    from {{ ref('fct_orders') }} as orders
    cross join as_of
    where orders.is_purchase
        and orders.ordered_at >= {{ dbt.dateadd(
            'day', -audience_var('trigger_lookback_days'), 'as_of.as_of_date') }}

),

order_items as (

    select order_id, sum(quantity) as items_count
    from {{ ref('fct_order_items') }}
    group by order_id

)

select
    {{ audience_contact_columns() }},
    'order_confirmation:' || recent_orders.order_id as event_key,
    recent_orders.order_id,
    recent_orders.ordered_at,
    cast(recent_orders.gross_total as double) as order_gross_total,
    cast(recent_orders.discount_amount as double) as order_discount,
    cast(recent_orders.net_revenue as double) as order_total,
    cast(coalesce(order_items.items_count, 0) as integer) as items_count
from recent_orders
inner join contacts
    on recent_orders.customer_id = contacts.customer_id
left join order_items
    on recent_orders.order_id = order_items.order_id
