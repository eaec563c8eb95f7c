-- Win-back overlap report (not an audience): how the fixed 120-day rule (aud_winback_rule) and
-- the model (aud_predicted_churners) agree. One row per group: rule_only, model_only, both.
with rule_members as (

    select customer_id, days_since_last_order from {{ ref('aud_winback_rule') }}

),

model_members as (

    select customer_id, churn_probability, days_since_last_order
    from {{ ref('aud_predicted_churners') }}

),

members as (

    select
        coalesce(rule_members.customer_id, model_members.customer_id) as customer_id,
        case
            when model_members.customer_id is null then 'rule_only'
            when rule_members.customer_id is null then 'model_only'
            else 'both'
        end as overlap_group,
        coalesce(rule_members.days_since_last_order, model_members.days_since_last_order)
            as days_since_last_order,
        model_members.churn_probability
    from rule_members
    full outer join model_members
        on rule_members.customer_id = model_members.customer_id

),

groups as (

    select 'rule_only' as overlap_group, 1 as sort_order
    union all
    select 'model_only', 2
    union all
    select 'both', 3

),

totals as (

    select count(*) as union_customers from members

)

select
    groups.overlap_group,
    cast(count(members.customer_id) as bigint) as customers,
    cast({{ safe_divide('count(members.customer_id)', 'max(totals.union_customers)') }}
        as double) as share_of_union,
    cast(avg(members.days_since_last_order) as double) as avg_days_since_last_order,
    cast(avg(members.churn_probability) as double) as avg_churn_probability
from groups
cross join totals
left join members
    on groups.overlap_group = members.overlap_group
group by groups.overlap_group, groups.sort_order
order by groups.sort_order
