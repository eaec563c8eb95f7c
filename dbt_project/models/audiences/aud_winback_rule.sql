-- Win-back, fixed rule: buyers with no purchase in the last winback_days (120) days.
-- Compare with aud_predicted_churners in rpt_winback_overlap.
with as_of as (

    select as_of_date from {{ ref('as_of_date') }}

),

contacts as (
{{ audience_contacts(['email']) }}
),

lapsed as (

    select
        customers.customer_id,
        customers.last_order_at,
        customers.orders_count,
        customers.revenue,
        {{ dbt.datediff('customers.last_order_at', 'as_of.as_of_date', 'day') }}
            as days_since_last_order
    from {{ ref('dim_customers') }} as customers
    cross join as_of
    where customers.orders_count > 0
        and customers.last_order_at < {{ dbt.dateadd(
            'day', -audience_var('winback_days'), 'as_of.as_of_date') }}

)

select
    {{ audience_contact_columns() }},
    lapsed.last_order_at,
    cast(lapsed.days_since_last_order as integer) as days_since_last_order,
    cast(lapsed.orders_count as integer) as purchase_count,
    cast(lapsed.revenue as double) as revenue
from lapsed
inner join contacts
    on lapsed.customer_id = contacts.customer_id
