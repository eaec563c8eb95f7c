-- Win-back, model-predicted: buyers the churn model puts in a high-risk band (churn_risk_bands)
-- who are still likely alive (BG/NBD p_alive > churn_min_p_alive), i.e. worth winning back
-- before they are gone. Compare with aud_winback_rule in rpt_winback_overlap.
with as_of as (

    select as_of_date from {{ ref('as_of_date') }}

),

contacts as (
{{ audience_contacts(['email']) }}
),

latest_scores as (

    select
        customer_id,
        churn_probability,
        risk_band,
        row_number() over (
            partition by customer_id
            order by scored_at desc, model_version desc
        ) as recency_rank
    from {{ source('ml', 'churn_scores') }}

),

churners as (

    select
        scores.customer_id,
        scores.churn_probability,
        scores.risk_band,
        ltv.p_alive,
        customers.last_order_at,
        {{ dbt.datediff('customers.last_order_at', 'as_of.as_of_date', 'day') }}
            as days_since_last_order
    from latest_scores as scores
    inner join {{ ref('customer_ltv') }} as ltv
        on scores.customer_id = ltv.customer_id
    inner join {{ ref('dim_customers') }} as customers
        on scores.customer_id = customers.customer_id
    cross join as_of
    where scores.recency_rank = 1
        and scores.risk_band in ({{ audience_var_list('churn_risk_bands') }})
        and ltv.p_alive > {{ audience_var('churn_min_p_alive') }}
        and customers.orders_count > 0

)

select
    {{ audience_contact_columns() }},
    cast(churners.churn_probability as double) as churn_probability,
    churners.risk_band,
    cast(churners.p_alive as double) as p_alive,
    churners.last_order_at,
    cast(churners.days_since_last_order as integer) as days_since_last_order
from churners
inner join contacts
    on churners.customer_id = contacts.customer_id
