-- LTV tier: every buyer with a CLV tier (high / medium / low / not_scored, from customer_ltv)
-- plus historical and predicted value. One row per reachable buyer.
with contacts as (
{{ audience_contacts(['email']) }}
),

buyers as (

    select customer_id, clv_tier, historical_revenue, predicted_clv_365d, p_alive
    from {{ ref('customer_ltv') }}
    where historical_orders_count > 0

)

select
    {{ audience_contact_columns() }},
    buyers.clv_tier,
    cast(buyers.historical_revenue as double) as historical_revenue,
    cast(buyers.predicted_clv_365d as double) as predicted_clv_365d,
    cast(buyers.p_alive as double) as p_alive
from buyers
inner join contacts
    on buyers.customer_id = contacts.customer_id
