-- Thank-you message minutes after an order: one row per purchase (not cancelled / returned)
-- placed in the last trigger_lookback_days, keyed by event_key so each order is thanked once.
with as_of as (

    select as_of_date from {{ ref('as_of_date') }}

),

contacts as (
{{ audience_contacts(['sms', 'whatsapp']) }}
),

recent_orders as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.net_revenue,
        row_number() over (
            partition by orders.customer_id
            order by orders.ordered_at, orders.order_id
        ) as purchase_number
    from {{ ref('fct_orders') }} as orders
    where orders.is_purchase

)

select
    {{ audience_contact_columns() }},
    'order_thank_you:' || recent_orders.order_id as event_key,
    recent_orders.order_id,
    recent_orders.ordered_at,
    cast(recent_orders.net_revenue as double) as order_total,
    recent_orders.purchase_number = 1 as is_first_order
from recent_orders
cross join as_of
inner join contacts
    on recent_orders.customer_id = contacts.customer_id
where recent_orders.ordered_at >= {{ dbt.dateadd(
    'day', -audience_var('trigger_lookback_days'), 'as_of.as_of_date') }}
