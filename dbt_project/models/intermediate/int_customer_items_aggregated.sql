with

items as (
    select * from {{ ref('fct_order_items') }}
    where is_purchase and customer_id is not null
),

category_ranked as (
    select
        customer_id,
        category,
        row_number() over (
            partition by customer_id
            order by sum(quantity) desc, sum(line_revenue) desc, category
        ) as preference_rank
    from items
    where category is not null
    group by customer_id, category
),

size_ranked as (
    select
        customer_id,
        size,
        row_number() over (
            partition by customer_id
            order by sum(quantity) desc, max(ordered_at) desc, size
        ) as preference_rank
    from items
    where size is not null
    group by customer_id, size
),

per_customer as (
    select
        customer_id,
        cast(sum(quantity) as {{ dbt.type_bigint() }}) as items_purchased,
        count(distinct product_id) as distinct_products_purchased,
        cast(sum(case when is_full_price then quantity else 0 end) as {{ dbt.type_bigint() }})
            as full_price_items
    from items
    group by customer_id
)

select
    per_customer.customer_id,
    per_customer.items_purchased,
    per_customer.distinct_products_purchased,
    {{ safe_divide('per_customer.full_price_items', 'per_customer.items_purchased') }}
        as full_price_share,
    category_ranked.category as favourite_category,
    size_ranked.size as preferred_size
from per_customer
left join category_ranked
    on per_customer.customer_id = category_ranked.customer_id
    and category_ranked.preference_rank = 1
left join size_ranked
    on per_customer.customer_id = size_ranked.customer_id
    and size_ranked.preference_rank = 1
