-- Full-price loyalists: repeat buyers (orders_count >= full_price_min_orders) whose purchases
-- are almost all at full price (full_price_share >= full_price_min_share): no discounts needed.
with contacts as (
{{ audience_contacts(['email']) }}
),

loyalists as (

    select customer_id, orders_count, full_price_share, discount_affinity
    from {{ ref('dim_customers') }}
    where orders_count >= {{ audience_var('full_price_min_orders') }}
        and full_price_share >= {{ audience_var('full_price_min_share') }}

)

select
    {{ audience_contact_columns() }},
    cast(loyalists.orders_count as integer) as purchase_count,
    cast(loyalists.full_price_share as double) as full_price_share,
    cast(loyalists.discount_affinity as double) as discount_affinity
from loyalists
inner join contacts
    on loyalists.customer_id = contacts.customer_id
