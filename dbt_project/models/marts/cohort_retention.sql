with

purchases as (
    select customer_id, order_id, net_revenue, activity_month
    from {{ ref('int_purchases_bucketed_by_month') }}
),

first_purchases as (
    select customer_id, min(activity_month) as cohort_month
    from purchases
    group by customer_id
),

cohort_sizes as (
    select cohort_month, count(*) as cohort_size
    from first_purchases
    group by cohort_month
),

activity as (
    select
        first_purchases.cohort_month,
        purchases.activity_month,
        count(distinct purchases.customer_id) as customers_active,
        count(*) as orders_count,
        sum(purchases.net_revenue) as revenue
    from purchases
    inner join first_purchases on purchases.customer_id = first_purchases.customer_id
    group by first_purchases.cohort_month, purchases.activity_month
),

-- every month from the first purchase to the last, so months without purchases show 0
months as (
    select month_start as activity_month
    from ({{ month_spine('purchases', 'activity_month') }}) as spine
),

-- every cohort x every later month
grid as (
    select cohort_sizes.cohort_month, cohort_sizes.cohort_size, months.activity_month
    from cohort_sizes
    inner join months on months.activity_month >= cohort_sizes.cohort_month
),

filled as (
    select
        grid.cohort_month,
        grid.activity_month,
        {{ dbt.datediff('grid.cohort_month', 'grid.activity_month', 'month') }}
            as months_since_first_order,
        grid.cohort_size,
        coalesce(activity.customers_active, 0) as customers_active,
        coalesce(activity.orders_count, 0) as orders_count,
        coalesce(activity.revenue, 0) as revenue
    from grid
    left join activity
        on grid.cohort_month = activity.cohort_month
        and grid.activity_month = activity.activity_month
)

select
    cohort_month,
    activity_month,
    months_since_first_order,
    cohort_size,
    customers_active,
    {{ safe_divide('customers_active', 'cohort_size') }} as retention_rate,
    orders_count,
    revenue,
    {{ safe_divide(
        'sum(revenue) over (partition by cohort_month order by activity_month'
        ~ ' rows between unbounded preceding and current row)',
        'cohort_size'
    ) }} as cumulative_revenue_per_customer
from filled
