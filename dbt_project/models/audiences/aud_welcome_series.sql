-- Welcome series: customers who signed up in the last welcome_series_days, each in exactly one
-- of six steps keyed by days since signup (and days since first order for "order shipped").
with as_of as (

    select as_of_date from {{ ref('as_of_date') }}

),

contacts as (
{{ audience_contacts(['email']) }}
),

recent_signups as (

    select
        customers.customer_id,
        customers.signed_up_at,
        customers.first_order_at,
        {{ dbt.datediff('customers.signed_up_at', 'as_of.as_of_date', 'day') }}
            as days_since_signup,
        {{ dbt.datediff('customers.first_order_at', 'as_of.as_of_date', 'day') }}
            as days_since_first_order
    from {{ ref('dim_customers') }} as customers
    cross join as_of
    where customers.signed_up_at < as_of.as_of_date
        and customers.signed_up_at >= {{ dbt.dateadd(
            'day', -audience_var('welcome_series_days'), 'as_of.as_of_date') }}

),

stepped as (

    -- First matching step wins, so every customer is in exactly one step.
    select
        *,
        case
            when days_since_first_order <= 7 then 2
            when days_since_signup <= 3 then 1
            when days_since_signup <= 10 then 3
            when days_since_signup <= 17 then 4
            when days_since_signup <= 24 then 5
            else 6
        end as welcome_step_number
    from recent_signups

)

select
    {{ audience_contact_columns() }},
    cast(stepped.welcome_step_number as integer) as welcome_step_number,
    case stepped.welcome_step_number
        when 1 then 'welcome'
        when 2 then 'order_shipped'
        when 3 then 'brand_story'
        when 4 then 'how_to_usage'
        when 5 then 'user_generated_content'
        else 'updates'
    end as welcome_step,
    stepped.signed_up_at,
    cast(stepped.days_since_signup as integer) as days_since_signup,
    stepped.first_order_at
from stepped
inner join contacts
    on stepped.customer_id = contacts.customer_id
