-- Birthdays: customers whose birthday is in the next 7 days ('this_week') or in the as_of month
-- ('this_month'). A 29 February birthday falls on 1 March in other years.
with as_of as (

    select as_of_date from {{ ref('as_of_date') }}

),

contacts as (
{{ audience_contacts(['email', 'sms']) }}
),

birthdays as (

    select
        customers.customer_id,
        customers.birth_month,
        customers.birth_day,
        as_of.as_of_date,
        cast({{ dbt.dateadd('day', 'customers.birth_day - 1', dbt.dateadd(
            'month', 'customers.birth_month - 1', dbt.date_trunc('year', 'as_of.as_of_date')))
        }} as date) as birthday_this_year
    from {{ ref('dim_customers') }} as customers
    cross join as_of
    where customers.birth_month is not null and customers.birth_day is not null

),

next_birthdays as (

    select
        *,
        case
            when birthday_this_year >= as_of_date then birthday_this_year
            else cast({{ dbt.dateadd('year', 1, 'birthday_this_year') }} as date)
        end as next_birthday
    from birthdays

),

celebrants as (

    select
        *,
        case
            when next_birthday < {{ dbt.dateadd('day', 7, 'as_of_date') }} then 'this_week'
            else 'this_month'
        end as birthday_window
    from next_birthdays
    where next_birthday < {{ dbt.dateadd('day', 7, 'as_of_date') }}
        or birth_month = extract(month from as_of_date)

)

select
    {{ audience_contact_columns() }},
    celebrants.birthday_window,
    celebrants.next_birthday,
    cast(celebrants.birth_month as integer) as birth_month,
    cast(celebrants.birth_day as integer) as birth_day
from celebrants
inner join contacts
    on celebrants.customer_id = contacts.customer_id
