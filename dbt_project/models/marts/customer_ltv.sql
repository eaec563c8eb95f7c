with

customers as (
    select * from {{ ref('dim_customers') }}
),

predictions as (
    select
        *,
        row_number() over (
            partition by customer_id order by scored_at desc, model_run_id desc
        ) as recency_rank
    from {{ source('ml', 'clv_predictions') }}
),

latest_predictions as (
    select * from predictions where recency_rank = 1
),

ranked_predictions as (
    select
        customer_id,
        {{ safe_divide(
            'row_number() over (order by predicted_clv_365d desc, customer_id) - 1',
            'count(*) over ()'
        ) }} as clv_top_share  -- share of scored customers ranked above
    from latest_predictions
    -- only buyers are tiered: a customer who never bought is not_scored (their 0 is no forecast)
    where predicted_clv_365d is not null and coalesce(score_reason, '') <> 'no_orders'
),

joined as (
    select
        customers.customer_id,
        customers.revenue as historical_revenue,
        customers.orders_count as historical_orders_count,
        customers.avg_order_value as historical_avg_order_value,
        customers.first_order_at,
        customers.last_order_at,
        latest_predictions.customer_id is not null as has_prediction_row,
        latest_predictions.p_alive,
        latest_predictions.expected_purchases_90d,
        latest_predictions.expected_purchases_365d,
        latest_predictions.expected_avg_order_value,
        latest_predictions.predicted_clv_365d,
        latest_predictions.predicted_clv_365d_lower,
        latest_predictions.predicted_clv_365d_upper,
        latest_predictions.purchases_365d_lower,
        latest_predictions.purchases_365d_upper,
        latest_predictions.score_reason as ml_score_reason,
        latest_predictions.model_run_id,
        latest_predictions.scored_at,
        ranked_predictions.clv_top_share
    from customers
    left join latest_predictions on customers.customer_id = latest_predictions.customer_id
    left join ranked_predictions on customers.customer_id = ranked_predictions.customer_id
)

select
    customer_id,
    historical_revenue,
    historical_orders_count,
    historical_avg_order_value,
    first_order_at,
    last_order_at,
    p_alive,
    expected_purchases_90d,
    expected_purchases_365d,
    expected_avg_order_value,
    predicted_clv_365d,
    predicted_clv_365d_lower,
    predicted_clv_365d_upper,
    purchases_365d_lower,
    purchases_365d_upper,
    historical_revenue + coalesce(predicted_clv_365d, 0) as projected_value_365d,
    case
        when clv_top_share is null then 'not_scored'
        when clv_top_share < {{ var('clv_tier_high_top_share') }} then 'high'
        when clv_top_share < {{ var('clv_tier_medium_top_share') }} then 'medium'
        else 'low'
    end as clv_tier,
    -- why the predicted columns are (not) filled: the ML reason, or why no prediction exists
    coalesce(
        ml_score_reason,
        case
            when predicted_clv_365d is not null then 'scored'
            when historical_orders_count = 0 then 'no_orders'
            when has_prediction_row then 'prediction_missing'
            else 'not_scored_yet'
        end
    ) as score_reason,
    model_run_id,
    scored_at
from joined
