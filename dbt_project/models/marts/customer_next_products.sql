with

purchased as (
    select distinct customer_id, product_id
    from {{ ref('fct_order_items') }}
    where is_purchase and customer_id is not null
),

-- only each product's strongest partners can become suggestions: this bounds the
-- customer x partner fan-out (the costly step on large stores) without changing the top picks
-- of typical customers (var next_products_partners_per_product)
affinity_ranked as (
    select
        *,
        row_number() over (
            partition by product_id
            order by lift desc, confidence desc, paired_product_id
        ) as partner_rank
    from {{ ref('product_affinity') }}
),

affinity as (
    select * from affinity_ranked
    where partner_rank <= {{ var('next_products_partners_per_product') }}
),

products as (
    select * from {{ ref('stg_shop__products') }}
),

candidates as (
    select
        purchased.customer_id,
        affinity.paired_product_id as product_id,
        affinity.product_id as because_of_product_id,
        affinity.lift,
        affinity.confidence
    from purchased
    inner join affinity on purchased.product_id = affinity.product_id
),

not_yet_bought as (
    select candidates.*
    from candidates
    left join purchased
        on candidates.customer_id = purchased.customer_id
        and candidates.product_id = purchased.product_id
    where purchased.product_id is null
),

-- a product suggested by several purchases keeps its strongest reason
best_reason as (
    select
        *,
        row_number() over (
            partition by customer_id, product_id
            order by lift desc, confidence desc, because_of_product_id
        ) as reason_rank
    from not_yet_bought
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by lift desc, confidence desc, product_id
        ) as recommendation_rank
    from best_reason
    where reason_rank = 1
)

select
    ranked.customer_id,
    ranked.recommendation_rank,
    ranked.product_id,
    products.product_name,
    products.category,
    ranked.because_of_product_id,
    ranked.lift,
    ranked.confidence
from ranked
left join products on ranked.product_id = products.product_id
where ranked.recommendation_rank <= {{ var('next_products_top_n') }}
