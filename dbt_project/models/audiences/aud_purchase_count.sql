-- Purchase count: buyers by number of purchases (cancelled / returned orders never count):
-- 1, 2, 3-4, 5+. One row per reachable buyer.
with contacts as (
{{ audience_contacts(['email']) }}
),

buyers as (

    select customer_id, orders_count
    from {{ ref('dim_customers') }}
    where orders_count > 0

)

select
    {{ audience_contact_columns() }},
    cast(buyers.orders_count as integer) as purchase_count,
    case
        when buyers.orders_count = 1 then '1'
        when buyers.orders_count = 2 then '2'
        when buyers.orders_count <= 4 then '3-4'
        else '5+'
    end as purchase_count_band
from buyers
inner join contacts
    on buyers.customer_id = contacts.customer_id
