with

buyers as (
    select * from {{ ref('int_customer_orders_aggregated') }}
    where orders_count > 0
),

rules as (
    select * from {{ ref('rfm_segment_rules') }}
),

-- 1-5 relative to this store's buyers; customer_id breaks ties so every engine agrees
scored as (
    select
        customer_id,
        last_order_at,
        days_since_last_order as recency_days,
        orders_count as frequency,
        revenue as monetary,
        ntile(5) over (order by days_since_last_order desc, customer_id) as r_score,
        ntile(5) over (order by orders_count, customer_id) as f_score,
        ntile(5) over (order by revenue, customer_id) as m_score
    from buyers
),

matched as (
    select
        scored.customer_id,
        rules.rfm_segment,
        rules.priority,
        row_number() over (
            partition by scored.customer_id order by rules.priority, rules.rfm_segment
        ) as match_rank
    from scored
    inner join rules
        on scored.r_score between rules.r_score_min and rules.r_score_max
        and scored.f_score between rules.f_score_min and rules.f_score_max
        and scored.m_score between rules.m_score_min and rules.m_score_max
)

select
    scored.customer_id,
    scored.last_order_at,
    scored.recency_days,
    scored.frequency,
    scored.monetary,
    scored.r_score,
    scored.f_score,
    scored.m_score,
    {{ dbt.concat(["cast(scored.r_score as " ~ dbt.type_string() ~ ")",
                   "cast(scored.f_score as " ~ dbt.type_string() ~ ")",
                   "cast(scored.m_score as " ~ dbt.type_string() ~ ")"]) }} as rfm_cell,
    matched.rfm_segment,
    matched.priority as rfm_segment_priority
from scored
-- left join: a score combination no rule covers shows up as a NULL segment (a failing test)
left join matched
    on scored.customer_id = matched.customer_id
    and matched.match_rank = 1
