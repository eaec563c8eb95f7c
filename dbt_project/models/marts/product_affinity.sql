with

baskets as (
    select distinct order_id, product_id
    from {{ ref('fct_order_items') }}
    where is_purchase
),

totals as (
    select count(distinct order_id) as total_orders from baskets
),

product_orders as (
    select product_id, count(*) as orders_with_product
    from baskets
    group by product_id
),

pairs as (
    select
        basket.product_id,
        paired.product_id as paired_product_id,
        count(*) as pair_orders
    from baskets as basket
    inner join baskets as paired
        on basket.order_id = paired.order_id
        and basket.product_id <> paired.product_id
    group by basket.product_id, paired.product_id
),

measured as (
    select
        pairs.product_id,
        pairs.paired_product_id,
        pairs.pair_orders,
        product.orders_with_product,
        paired.orders_with_product as orders_with_paired_product,
        totals.total_orders,
        {{ safe_divide('pairs.pair_orders', 'totals.total_orders') }} as support,
        {{ safe_divide('pairs.pair_orders', 'product.orders_with_product') }} as confidence,
        {{ safe_divide(
            'pairs.pair_orders * totals.total_orders',
            'product.orders_with_product * paired.orders_with_product'
        ) }} as lift
    from pairs
    cross join totals
    inner join product_orders as product on pairs.product_id = product.product_id
    inner join product_orders as paired on pairs.paired_product_id = paired.product_id
)

select *
from measured
where support >= {{ var('affinity_min_support') }}
    and pair_orders >= {{ var('affinity_min_pair_orders') }}
