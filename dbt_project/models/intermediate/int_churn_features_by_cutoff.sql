{#- Point-in-time churn features: one row per (cutoff, customer with a purchase before the cutoff).
    Every input row is filtered to `< cutoff` (orders, items, events, feedback, shipment events,
    sign-ups), so a feature at cutoff c only reflects what was knowable at the start of day c.
    ml/features.py reads one cutoff at a time; a view, so the filter reaches every input. -#}
{%- set trend_days = 90 -%}  {#- the window of the *_90d features; *_trend = it minus the one before -#}
{#- The event types of the raw contract (retention/core/raw_contract.py EVENT_TYPES). -#}
{%- set event_types = [
    'email_open', 'email_click', 'sms_click', 'site_visit',
    'product_view', 'add_to_cart', 'checkout_started', 'quiz_answer',
] -%}

with

cutoffs as (
    select
        cutoff_date,
        cutoff_at,
        cast({{ dbt.dateadd('day', -trend_days, 'cutoff_date') }} as date) as window_start_date,
        cast({{ dbt.dateadd('day', -2 * trend_days, 'cutoff_date') }} as date) as prior_start_date
    from {{ ref('int_churn_cutoffs') }}
),

cutoff_windows as (
    select
        *,
        cast(window_start_date as timestamp) as window_start_at,
        cast(prior_start_date as timestamp) as prior_start_at
    from cutoffs
),

orders as (
    select
        cutoffs.cutoff_date,
        cutoffs.window_start_date,
        cutoffs.prior_start_date,
        fct_orders.customer_id,
        cast(fct_orders.ordered_at as date) as order_date,
        fct_orders.is_purchase,
        fct_orders.net_revenue,
        fct_orders.has_discount
    from {{ ref('fct_orders') }} as fct_orders
    inner join cutoff_windows as cutoffs on fct_orders.ordered_at < cutoffs.cutoff_at
    where fct_orders.customer_id is not null
),

purchases as (
    select * from orders where is_purchase
),

{#- The gap before a purchase day is the same at every later cutoff, so it is computed once. -#}
purchase_days as (
    select
        customer_id,
        order_date,
        {{ dbt.datediff(
            '(lag(order_date) over (partition by customer_id order by order_date))',
            'order_date', 'day') }} as gap_days
    from (
        select distinct customer_id, cast(ordered_at as date) as order_date
        from {{ ref('fct_orders') }}
        where is_purchase and customer_id is not null
    ) as distinct_days
),

order_stats as (
    select
        cutoff_date,
        customer_id,
        min(order_date) as first_order_date,
        {{ dbt.datediff('max(order_date)', 'cutoff_date', 'day') }} as recency_days,
        count(*) as frequency,
        sum(net_revenue) as monetary,
        cast(sum(net_revenue) as double) / count(*) as avg_order_value,
        count(case when order_date >= window_start_date then 1 end) as orders_90d,
        count(case when order_date >= prior_start_date then 1 end) as orders_180d,
        count(case when order_date >= window_start_date then 1 end)
        - count(
            case when order_date >= prior_start_date and order_date < window_start_date then 1 end
        ) as orders_trend,
        avg(case when has_discount then cast(1 as double) else cast(0 as double) end)
            as discount_share
    from purchases
    group by cutoff_date, customer_id, window_start_date, prior_start_date
),

gap_stats as (
    select
        cutoffs.cutoff_date,
        purchase_days.customer_id,
        avg(purchase_days.gap_days) as ipt_mean_days,
        stddev_samp(purchase_days.gap_days) as ipt_std_days
    from purchase_days
    inner join cutoffs on purchase_days.order_date < cutoffs.cutoff_date
    where purchase_days.gap_days is not null
    group by cutoffs.cutoff_date, purchase_days.customer_id
),

unsuccessful as (
    select cutoff_date, customer_id, count(*) as cancelled_or_returned
    from orders
    where not is_purchase
    group by cutoff_date, customer_id
),

categories as (
    select
        cutoffs.cutoff_date,
        items.customer_id,
        count(distinct items.category) as category_breadth
    from {{ ref('fct_order_items') }} as items
    inner join cutoffs on items.ordered_at < cutoffs.cutoff_at
    group by cutoffs.cutoff_date, items.customer_id
),

events as (
    select
        cutoffs.cutoff_date,
        events.customer_id,
        events.event_type,
        events.occurred_at,
        events.occurred_at >= cutoffs.window_start_at as is_recent,
        events.occurred_at < cutoffs.window_start_at
        and events.occurred_at >= cutoffs.prior_start_at as is_prior
    from {{ ref('stg_shop__events') }} as events
    inner join cutoff_windows as cutoffs on events.occurred_at < cutoffs.cutoff_at
),

engagement as (
    select
        cutoff_date,
        customer_id,
        {%- for event in event_types %}
        count(case when event_type = '{{ event }}' and is_recent then 1 end) as {{ event }}_90d,
        count(case when event_type = '{{ event }}' and is_recent then 1 end)
        - count(case when event_type = '{{ event }}' and is_prior then 1 end) as {{ event }}_trend,
        {%- endfor %}
        count(case when is_recent then 1 end) as events_90d,
        count(case when is_recent then 1 end) - count(case when is_prior then 1 end)
            as events_trend,
        {{ dbt.datediff('max(cast(occurred_at as date))', 'cutoff_date', 'day') }}
            as last_event_days
    from events
    group by cutoff_date, customer_id
),

feedback as (
    select
        cutoffs.cutoff_date,
        feedback.customer_id,
        avg(feedback.nps_score) as nps_avg,
        max_by(feedback.nps_score, feedback.submitted_at) as nps_last,
        avg(feedback.csat_score) as csat_avg,
        count(*) as feedback_count
    from {{ ref('stg_shop__feedback') }} as feedback
    inner join cutoffs on feedback.submitted_at < cutoffs.cutoff_at
    group by cutoffs.cutoff_date, feedback.customer_id
),

shipments as (
    select
        cutoffs.cutoff_date,
        fct_orders.customer_id,
        count(distinct case when shipments.shipment_status = 'exception'
            then shipments.order_id end) as delivery_problems,
        avg(case when shipments.shipment_status = 'delivered'
            then cast({{ hours_between('fct_orders.ordered_at', 'shipments.occurred_at') }}
                as double) / 24
        end) as avg_days_to_deliver
    from {{ ref('stg_shop__shipment_events') }} as shipments
    inner join {{ ref('fct_orders') }} as fct_orders on fct_orders.order_id = shipments.order_id
    inner join cutoffs
        on shipments.occurred_at < cutoffs.cutoff_at
        and fct_orders.ordered_at < cutoffs.cutoff_at
    where shipments.shipment_status in ('exception', 'delivered')
    group by cutoffs.cutoff_date, fct_orders.customer_id
),

signups as (
    select
        cutoffs.cutoff_date,
        customers.customer_id,
        cast(customers.signed_up_at as date) as signup_date
    from {{ ref('dim_customers') }} as customers
    inner join cutoffs on customers.signed_up_at < cutoffs.cutoff_at
)

select
    stats.cutoff_date,
    stats.customer_id,
    cast(stats.recency_days as double) as recency_days,
    cast(stats.frequency as double) as frequency,
    cast(stats.monetary as double) as monetary,
    cast(stats.avg_order_value as double) as avg_order_value,
    cast(gaps.ipt_mean_days as double) as ipt_mean_days,
    cast(gaps.ipt_std_days as double) as ipt_std_days,
    cast(stats.orders_90d as double) as orders_90d,
    cast(stats.orders_180d as double) as orders_180d,
    -- how overdue the next purchase is, in the customer's own rhythm (orders-only signal)
    cast(stats.recency_days as double) / nullif(gaps.ipt_mean_days, 0) as recency_over_ipt,
    cast(stats.orders_trend as double) as orders_trend,
    cast(stats.discount_share as double) as discount_share,
    cast(coalesce(unsuccessful.cancelled_or_returned, 0) as double) as cancelled_or_returned,
    cast(coalesce(categories.category_breadth, 0) as double) as category_breadth,
    {%- for event in event_types %}
    cast(coalesce(engagement.{{ event }}_90d, 0) as double) as {{ event }}_90d,
    {%- endfor %}
    {%- for event in event_types %}
    cast(coalesce(engagement.{{ event }}_trend, 0) as double) as {{ event }}_trend,
    {%- endfor %}
    cast(coalesce(engagement.events_90d, 0) as double) as events_90d,
    cast(coalesce(engagement.events_trend, 0) as double) as events_trend,
    cast(engagement.last_event_days as double) as last_event_days,
    cast(feedback.nps_avg as double) as nps_avg,
    cast(feedback.nps_last as double) as nps_last,
    cast(feedback.csat_avg as double) as csat_avg,
    cast(coalesce(feedback.feedback_count, 0) as double) as feedback_count,
    cast(coalesce(shipments.delivery_problems, 0) as double) as delivery_problems,
    cast(shipments.avg_days_to_deliver as double) as avg_days_to_deliver,
    cast({{ dbt.datediff(
        'least(stats.first_order_date, coalesce(signups.signup_date, stats.first_order_date))',
        'stats.cutoff_date', 'day') }} as double) as tenure_days
from order_stats as stats
left join gap_stats as gaps
    on gaps.cutoff_date = stats.cutoff_date and gaps.customer_id = stats.customer_id
left join unsuccessful
    on unsuccessful.cutoff_date = stats.cutoff_date
    and unsuccessful.customer_id = stats.customer_id
left join categories
    on categories.cutoff_date = stats.cutoff_date and categories.customer_id = stats.customer_id
left join engagement
    on engagement.cutoff_date = stats.cutoff_date and engagement.customer_id = stats.customer_id
left join feedback
    on feedback.cutoff_date = stats.cutoff_date and feedback.customer_id = stats.customer_id
left join shipments
    on shipments.cutoff_date = stats.cutoff_date and shipments.customer_id = stats.customer_id
left join signups
    on signups.cutoff_date = stats.cutoff_date and signups.customer_id = stats.customer_id
