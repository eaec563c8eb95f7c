with

purchases as (
    select customer_id, order_id, net_revenue, activity_month
    from {{ ref('int_purchases_bucketed_by_month') }}
),

customer_months as (
    select customer_id, activity_month, count(*) as orders_count, sum(net_revenue) as revenue
    from purchases
    group by customer_id, activity_month
),

first_months as (
    select customer_id, min(activity_month) as first_month
    from customer_months
    group by customer_id
),

flagged as (
    select
        customer_months.*,
        cast({{ dbt.dateadd('month', -1, 'customer_months.activity_month') }} as date)
            as previous_month,
        customer_months.activity_month > first_months.first_month as is_returning
    from customer_months
    inner join first_months on customer_months.customer_id = first_months.customer_id
),

purchase_metrics as (
    select
        flagged.activity_month as metric_month,
        count(*) as customers_purchasing,
        sum(flagged.orders_count) as orders_count,
        sum(flagged.revenue) as revenue,
        count(case when flagged.is_returning then 1 end) as returning_customers,
        count(case when previous.customer_id is not null then 1 end) as retained_customers
    from flagged
    left join customer_months as previous
        on flagged.customer_id = previous.customer_id
        and flagged.previous_month = previous.activity_month
    group by flagged.activity_month
),

feedback_metrics as (
    select
        cast({{ dbt.date_trunc('month', 'submitted_date') }} as date) as metric_month,
        count(case when nps_score is not null then 1 end) as nps_responses,
        count(case when nps_score >= 9 then 1 end) as nps_promoters,
        count(case when nps_score <= 6 then 1 end) as nps_detractors,
        count(case when csat_score is not null then 1 end) as csat_responses,
        count(case when csat_score >= 4 then 1 end) as csat_positive
    from {{ ref('stg_shop__feedback') }}
    group by 1
),

active_months as (
    select metric_month from purchase_metrics
    union all
    select metric_month from feedback_metrics
),

-- every month from the first purchase or answer to the last, so quiet months show 0
months as (
    select month_start as metric_month
    from ({{ month_spine('active_months', 'metric_month') }}) as spine
),

joined as (
    select
        months.metric_month,
        coalesce(purchase_metrics.customers_purchasing, 0) as customers_purchasing,
        coalesce(purchase_metrics.orders_count, 0) as orders_count,
        coalesce(purchase_metrics.revenue, 0) as revenue,
        coalesce(purchase_metrics.returning_customers, 0) as returning_customers,
        coalesce(purchase_metrics.retained_customers, 0) as retained_customers,
        coalesce(previous_month.customers_purchasing, 0) as previous_month_customers,
        coalesce(feedback_metrics.nps_responses, 0) as nps_responses,
        coalesce(feedback_metrics.nps_promoters, 0) as nps_promoters,
        coalesce(feedback_metrics.nps_detractors, 0) as nps_detractors,
        coalesce(feedback_metrics.csat_responses, 0) as csat_responses,
        coalesce(feedback_metrics.csat_positive, 0) as csat_positive
    from months
    left join purchase_metrics on months.metric_month = purchase_metrics.metric_month
    left join feedback_metrics on months.metric_month = feedback_metrics.metric_month
    left join purchase_metrics as previous_month
        on cast({{ dbt.dateadd('month', -1, 'months.metric_month') }} as date)
            = previous_month.metric_month
)

select
    metric_month,
    customers_purchasing,
    orders_count,
    revenue,
    returning_customers,
    {{ safe_divide('returning_customers', 'customers_purchasing') }} as repeat_purchase_rate,
    previous_month_customers,
    retained_customers,
    {{ safe_divide('retained_customers', 'previous_month_customers') }} as retention_rate,
    nps_responses,
    nps_promoters,
    nps_detractors,
    100 * {{ safe_divide('nps_promoters - nps_detractors', 'nps_responses') }} as nps,
    csat_responses,
    csat_positive,
    100 * {{ safe_divide('csat_positive', 'csat_responses') }} as csat
from joined
