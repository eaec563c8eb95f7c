{{ config(
    materialized=incremental_on_duckdb('table'),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    post_hook=[
        "{{ delete_vanished_keys('order_id', 'select items.order_id from ' ~ ref('stg_shop__order_items') ~ ' as items inner join ' ~ ref('fct_orders') ~ ' as orders on items.order_id = orders.order_id') }}",
        "{{ record_incremental_state([(ref('stg_shop__order_items'), 'loaded_at'), (ref('stg_shop__orders'), 'loaded_at'), (ref('stg_shop__products'), 'loaded_at')], ref('as_of_date')) }}",
    ],
) }}
{%- set since = incremental_since(ref('as_of_date')) %}

with

items as (
    select * from {{ ref('stg_shop__order_items') }}
    {%- if since is not none %}
    -- incremental: every line of the orders whose lines, order or products changed since the
    -- last build, or whose order is in its window
    where order_id in (
        select order_id from {{ ref('stg_shop__order_items') }}
        where {{ changed_since(since, 'loaded_at') }}
            or product_id in (
                select product_id from {{ ref('stg_shop__products') }}
                where {{ changed_since(since, 'loaded_at') }}
            )
        union
        select order_id from {{ ref('stg_shop__orders') }}
        where {{ changed_since(since, 'loaded_at', ['ordered_at', 'shipped_at', 'delivered_at', 'cancelled_at', 'returned_at']) }}
    )
    {%- endif %}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

products as (
    select * from {{ ref('stg_shop__products') }}
),

joined as (
    select
        items.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.order_date,
        orders.is_purchase,
        items.product_id,
        products.product_name,
        products.category,
        items.size,
        items.quantity,
        items.unit_price,
        coalesce(items.list_price, products.list_price) as list_price
    from items
    -- point in time: only items of orders placed before as_of (fct_orders is filtered)
    inner join orders on items.order_id = orders.order_id
    left join products on items.product_id = products.product_id
)

select
    {{ dbt.concat(['order_id', "'|'", 'product_id', "'|'", "coalesce(size, '')"]) }} as order_item_id,
    order_id,
    customer_id,
    ordered_at,
    order_date,
    is_purchase,
    product_id,
    product_name,
    category,
    size,
    quantity,
    unit_price,
    list_price,
    quantity * unit_price as line_revenue,
    unit_price >= coalesce(list_price, unit_price) as is_full_price
from joined
