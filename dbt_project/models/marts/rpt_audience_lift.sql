{#-
  Lift of every audience experiment (holdout_share / variants on a sync), per audience and
  group: conversion within lift_window_days of each member's entry date, compared with the
  holdout. Intervals are 95% normal approximations: for proportions p(1-p)/n, for means
  var/n; relative lift uses the delta method. Point in time: members entered after as_of are
  unknown, orders on or after as_of are ignored (staging), and members whose window has not
  ended by as_of are counted as members_window_open and left out of every rate.
-#}
{%- set window_days = var('lift_window_days') -%}
{%- set min_members = var('lift_min_group_members') -%}
{%- set z = 1.959964 -%}  {#- two-sided 95% -#}
{%- set z_power = 0.841621 -%}  {#- 80% power -#}
{%- set metrics = ['purchase_rate', 'revenue_per_member', 'repeat_rate'] -%}

with

as_of as (
    select as_of_date from {{ ref('as_of_date') }}
),

assignments as (
    select
        assignments.experiment,
        assignments.audience,
        assignments.customer_id,
        assignments.group_name,
        assignments.entry_date,
        cast({{ dbt.dateadd('day', window_days, 'assignments.entry_date') }} as date) as window_end_date,
        as_of.as_of_date
    from {{ source('activation', 'audience_assignments') }} as assignments
    cross join as_of
    where assignments.entry_date <= as_of.as_of_date
),

members as (
    select
        *,
        window_end_date <= as_of_date as is_window_complete
    from assignments
),

orders as (
    select customer_id, order_date, net_revenue
    from {{ ref('fct_orders') }}
    where is_purchase
),

member_orders as (
    select
        members.experiment,
        members.audience,
        members.customer_id,
        count(*) as purchases,
        sum(orders.net_revenue) as revenue
    from members
    inner join orders
        on orders.customer_id = members.customer_id
        and orders.order_date >= members.entry_date
        and orders.order_date < members.window_end_date
    where members.is_window_complete
    group by members.experiment, members.audience, members.customer_id
),

outcomes as (
    select
        members.experiment,
        members.audience,
        members.group_name,
        members.is_window_complete,
        -- doubles, not decimal literals: Spark averages decimals at a fixed scale
        case when members.is_window_complete then
            cast(case when coalesce(member_orders.purchases, 0) > 0 then 1 else 0 end as {{ double_column_type() }})
        end as purchased,
        case when members.is_window_complete then
            cast(case when coalesce(member_orders.purchases, 0) > 1 then 1 else 0 end as {{ double_column_type() }})
        end as repeated,
        case when members.is_window_complete then
            cast(coalesce(member_orders.revenue, 0) as {{ double_column_type() }})
        end as revenue
    from members
    left join member_orders
        on member_orders.experiment = members.experiment
        and member_orders.audience = members.audience
        and member_orders.customer_id = members.customer_id
),

groups as (
    select
        experiment,
        audience,
        group_name,
        cast(count(*) as {{ dbt.type_int() }}) as members,
        cast(sum(case when is_window_complete then 1 else 0 end) as {{ dbt.type_int() }}) as members_measured,
        cast(sum(case when is_window_complete then 0 else 1 end) as {{ dbt.type_int() }}) as members_window_open,
        cast(sum(purchased) as {{ dbt.type_int() }}) as purchasers,
        sum(revenue) as revenue,
        avg(purchased) as purchase_rate,
        avg(revenue) as revenue_per_member,
        avg(repeated) as repeat_rate,
        avg(purchased) * (1 - avg(purchased)) / nullif(sum(case when is_window_complete then 1 else 0 end), 0)
            as purchase_rate_variance,
        var_samp(revenue) / nullif(sum(case when is_window_complete then 1 else 0 end), 0)
            as revenue_per_member_variance,
        avg(repeated) * (1 - avg(repeated)) / nullif(sum(case when is_window_complete then 1 else 0 end), 0)
            as repeat_rate_variance
    from outcomes
    group by experiment, audience, group_name
),

compared as (
    select
        groups.*,
        groups.group_name = 'holdout' as is_holdout,
        holdout.members_measured as holdout_members_measured,
        holdout.purchasers as holdout_purchasers
        {%- for metric in metrics %},
        holdout.{{ metric }} as holdout_{{ metric }},
        holdout.{{ metric }}_variance as holdout_{{ metric }}_variance
        {%- endfor %}
    from groups
    left join groups as holdout
        on holdout.experiment = groups.experiment
        and holdout.audience = groups.audience
        and holdout.group_name = 'holdout'
        and groups.group_name <> 'holdout'
),

lifts as (
    select
        *
        {%- for metric in metrics %},
        {{ metric }} - holdout_{{ metric }} as {{ metric }}_lift,
        sqrt({{ metric }}_variance + holdout_{{ metric }}_variance) as {{ metric }}_lift_se,
        {{ safe_divide(metric, 'holdout_' ~ metric) }} - 1 as {{ metric }}_relative_lift,
        sqrt(
            {{ safe_divide(metric ~ '_variance', 'holdout_' ~ metric ~ ' * holdout_' ~ metric) }}
            + {{ safe_divide(
                metric ~ ' * ' ~ metric ~ ' * holdout_' ~ metric ~ '_variance',
                'holdout_' ~ metric ~ ' * holdout_' ~ metric ~ ' * holdout_' ~ metric ~ ' * holdout_' ~ metric
            ) }}
        ) as {{ metric }}_relative_lift_se
        {%- endfor %},
        ({{ z }} + {{ z_power }}) * sqrt(
            {{ safe_divide('purchasers + holdout_purchasers', 'members_measured + holdout_members_measured') }}
            * (1 - {{ safe_divide('purchasers + holdout_purchasers', 'members_measured + holdout_members_measured') }})
            * ({{ safe_divide(1, 'members_measured') }} + {{ safe_divide(1, 'holdout_members_measured') }})
        ) as mde_purchase_rate
    from compared
),

final as (
    select
        experiment,
        audience,
        group_name,
        is_holdout,
        members,
        members_measured,
        members_window_open,
        purchasers,
        revenue,
        holdout_members_measured
        {%- for metric in metrics %},
        {{ metric }},
        holdout_{{ metric }},
        {{ metric }}_lift,
        {{ metric }}_lift - {{ z }} * {{ metric }}_lift_se as {{ metric }}_lift_ci_low,
        {{ metric }}_lift + {{ z }} * {{ metric }}_lift_se as {{ metric }}_lift_ci_high,
        {{ metric }}_relative_lift,
        {{ metric }}_relative_lift - {{ z }} * {{ metric }}_relative_lift_se as {{ metric }}_relative_lift_ci_low,
        {{ metric }}_relative_lift + {{ z }} * {{ metric }}_relative_lift_se as {{ metric }}_relative_lift_ci_high
        {%- endfor %},
        mde_purchase_rate,
        (
            purchase_rate_lift - {{ z }} * purchase_rate_lift_se > 0
            or purchase_rate_lift + {{ z }} * purchase_rate_lift_se < 0
        ) as is_purchase_rate_lift_significant,
        case
            when members_measured = 0 then
                'no member has a complete {{ window_days }}-day window yet: wait until entry date + {{ window_days }} days'
            when is_holdout then null
            when coalesce(holdout_members_measured, 0) = 0 then
                'no holdout member with a complete window: lift cannot be measured'
            when members_measured < {{ min_members }} or holdout_members_measured < {{ min_members }} then
                {{ dbt.concat([
                    "'sample too small (under " ~ min_members ~ " measured members in this group or the holdout): only a purchase-rate lift of about '",
                    "cast(round(100 * mde_purchase_rate, 1) as " ~ dbt.type_string() ~ ")",
                    "' points or more is detectable'",
                ]) }}
            when purchase_rate_lift - {{ z }} * purchase_rate_lift_se <= 0
                and purchase_rate_lift + {{ z }} * purchase_rate_lift_se >= 0 then
                {{ dbt.concat([
                    "'no significant lift; this sample detects a purchase-rate lift of about '",
                    "cast(round(100 * mde_purchase_rate, 1) as " ~ dbt.type_string() ~ ")",
                    "' points or more (80% power)'",
                ]) }}
        end as sample_note
    from lifts
)

select * from final
