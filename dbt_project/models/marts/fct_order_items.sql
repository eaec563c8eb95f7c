with

items as (
    select * from {{ ref('stg_shop__order_items') }}
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
