-- Cross-sell / upsell: frequently-bought-together recommendations (customer_next_products) sent
-- right after order confirmation and again at delivery. One row per purchase and moment
-- ('order_confirmed', 'delivered') in the last trigger_lookback_days for customers with at least
-- one recommendation, keyed by event_key so each moment is sent once.
with as_of as (

    select as_of_date from {{ ref('as_of_date') }}

),

contacts as (
{{ audience_contacts(['email']) }}
),

moments as (

    select
        orders.order_id,
        orders.customer_id,
        'order_confirmed' as moment,
        orders.ordered_at as moment_at
    from {{ ref('fct_orders') }} as orders
    where orders.is_purchase

    union all

    select
        orders.order_id,
        orders.customer_id,
        'delivered' as moment,
        orders.delivered_at as moment_at
    from {{ ref('fct_orders') }} as orders
    cross join as_of
    where orders.is_purchase
        and orders.delivered_at < as_of.as_of_date

),

recent_moments as (

    select moments.*
    from moments
    cross join as_of
    where moments.moment_at >= {{ dbt.dateadd(
        'day', -audience_var('trigger_lookback_days'), 'as_of.as_of_date') }}

),

recommendations as (

    select
        customer_id,
        max(case when recommendation_rank = 1 then product_id end) as product_1_id,
        max(case when recommendation_rank = 1 then product_name end) as product_1_name,
        max(case when recommendation_rank = 2 then product_id end) as product_2_id,
        max(case when recommendation_rank = 2 then product_name end) as product_2_name,
        max(case when recommendation_rank = 3 then product_id end) as product_3_id,
        max(case when recommendation_rank = 3 then product_name end) as product_3_name
    from {{ ref('customer_next_products') }}
    where recommendation_rank <= 3
    group by customer_id

)

select
    {{ audience_contact_columns() }},
    'cross_sell:' || recent_moments.order_id || ':' || recent_moments.moment as event_key,
    recent_moments.order_id,
    recent_moments.moment,
    recent_moments.moment_at,
    recommendations.product_1_id,
    recommendations.product_1_name,
    recommendations.product_2_id,
    recommendations.product_2_name,
    recommendations.product_3_id,
    recommendations.product_3_name
from recent_moments
inner join recommendations
    on recent_moments.customer_id = recommendations.customer_id
inner join contacts
    on recent_moments.customer_id = contacts.customer_id
