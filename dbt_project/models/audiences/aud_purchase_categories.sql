-- Purchase category: buyers with their favourite category and how many categories they bought
-- from. One row per reachable buyer with at least one purchased item.
with contacts as (
{{ audience_contacts(['email']) }}
),

purchased_items as (

    select items.customer_id, items.category
    from {{ ref('fct_order_items') }} as items
    inner join {{ ref('fct_orders') }} as orders
        on items.order_id = orders.order_id
    where orders.is_purchase and items.category is not null

),

breadth as (

    select customer_id, count(distinct category) as categories_bought
    from purchased_items
    group by customer_id

)

select
    {{ audience_contact_columns() }},
    customers.favourite_category,
    cast(breadth.categories_bought as integer) as categories_bought
from breadth
inner join {{ ref('dim_customers') }} as customers
    on breadth.customer_id = customers.customer_id
inner join contacts
    on breadth.customer_id = contacts.customer_id
