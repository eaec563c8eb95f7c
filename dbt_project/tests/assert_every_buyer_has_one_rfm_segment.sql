-- Every customer with a purchase appears once in customer_rfm with a segment from the rules seed.
select dim_customers.customer_id, count(customer_rfm.customer_id) as rfm_rows
from {{ ref('dim_customers') }} as dim_customers
left join {{ ref('customer_rfm') }} as customer_rfm
    on dim_customers.customer_id = customer_rfm.customer_id
    and customer_rfm.rfm_segment is not null
where dim_customers.orders_count > 0
group by dim_customers.customer_id
having count(customer_rfm.customer_id) <> 1
