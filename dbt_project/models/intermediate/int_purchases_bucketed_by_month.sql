-- One row per purchase (not cancelled or returned as of the build date) with its calendar
-- month: the shared input of cohort_retention and cx_metrics.
select
    customer_id,
    order_id,
    net_revenue,
    cast({{ dbt.date_trunc('month', 'order_date') }} as date) as activity_month
from {{ ref('fct_orders') }}
where is_purchase and customer_id is not null
