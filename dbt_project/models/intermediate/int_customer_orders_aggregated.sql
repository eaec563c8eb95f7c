with

orders as (
    select * from {{ ref('fct_orders') }}
    where customer_id is not null
),

as_of as (
    select as_of_date from {{ ref('as_of_date') }}
),

latest_purchase as (
    select
        customer_id,
        delivery_status,
        row_number() over (
            partition by customer_id order by ordered_at desc, order_id desc
        ) as recency_rank
    from orders
    where is_purchase
),

per_customer as (
    select
        customer_id,
        count(*) as orders_placed_count,
        count(case when is_purchase then 1 end) as orders_count,
        count(case when status = 'cancelled' then 1 end) as cancelled_orders_count,
        count(case when status = 'returned' then 1 end) as returned_orders_count,
        sum(case when is_purchase then net_revenue else 0 end) as revenue,
        count(case when is_purchase and has_discount then 1 end) as discounted_orders_count,
        min(case when is_purchase then ordered_at end) as first_order_at,
        max(case when is_purchase then ordered_at end) as last_order_at,
        count(case when is_purchase and has_delivery_problem then 1 end)
            as delivery_problem_orders_count
    from orders
    group by customer_id
)

select
    per_customer.customer_id,
    per_customer.orders_placed_count,
    per_customer.orders_count,
    per_customer.cancelled_orders_count,
    per_customer.returned_orders_count,
    per_customer.revenue,
    {{ safe_divide('per_customer.revenue', 'per_customer.orders_count') }} as avg_order_value,
    per_customer.discounted_orders_count,
    {{ safe_divide('per_customer.discounted_orders_count', 'per_customer.orders_count') }}
        as discount_affinity,
    per_customer.delivery_problem_orders_count,
    per_customer.first_order_at,
    per_customer.last_order_at,
    cast(per_customer.first_order_at as date) as first_order_date,
    cast(per_customer.last_order_at as date) as last_order_date,
    {{ dbt.datediff('cast(per_customer.last_order_at as date)', 'as_of.as_of_date', 'day') }}
        as days_since_last_order,
    latest_purchase.delivery_status as last_delivery_status
from per_customer
cross join as_of
left join latest_purchase
    on per_customer.customer_id = latest_purchase.customer_id
    and latest_purchase.recency_rank = 1
