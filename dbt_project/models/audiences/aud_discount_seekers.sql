-- Discount seekers: buyers with a discount on at least discount_seeker_min_affinity of their
-- orders: the customers promotions are for.
with contacts as (
{{ audience_contacts(['email']) }}
),

seekers as (

    select customer_id, orders_count, discount_affinity
    from {{ ref('dim_customers') }}
    where orders_count > 0
        and discount_affinity >= {{ audience_var('discount_seeker_min_affinity') }}

)

select
    {{ audience_contact_columns() }},
    cast(seekers.orders_count as integer) as purchase_count,
    cast(seekers.discount_affinity as double) as discount_affinity
from seekers
inner join contacts
    on seekers.customer_id = contacts.customer_id
