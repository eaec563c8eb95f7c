-- First-order anniversaries: buyers whose next first-order anniversary falls within the next
-- anniversary_window_days, with how many years they will have been customers.
with as_of as (

    select as_of_date from {{ ref('as_of_date') }}

),

contacts as (
{{ audience_contacts(['email']) }}
),

anniversaries as (

    select
        customers.customer_id,
        customers.first_order_at,
        customers.first_order_anniversary
    from {{ ref('dim_customers') }} as customers
    cross join as_of
    where customers.first_order_anniversary >= as_of.as_of_date
        and customers.first_order_anniversary < {{ dbt.dateadd(
            'day', audience_var('anniversary_window_days'), 'as_of.as_of_date') }}

)

select
    {{ audience_contact_columns() }},
    anniversaries.first_order_at,
    cast(anniversaries.first_order_anniversary as date) as anniversary_date,
    cast({{ dbt.datediff('anniversaries.first_order_at', 'anniversaries.first_order_anniversary',
        'year') }} as integer) as years_as_customer
from anniversaries
inner join contacts
    on anniversaries.customer_id = contacts.customer_id
