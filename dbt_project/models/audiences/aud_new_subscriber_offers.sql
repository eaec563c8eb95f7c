-- Short-term offer for new SMS / WhatsApp subscribers: customers who signed up in the last
-- new_subscriber_days with consent on SMS or WhatsApp; they leave when the offer expires.
-- Signup date stands in for the subscription date (the raw contract has no consent timestamp).
with as_of as (

    select as_of_date from {{ ref('as_of_date') }}

),

contacts as (
{{ audience_contacts(['sms', 'whatsapp']) }}
),

new_subscribers as (

    select
        customers.customer_id,
        customers.signed_up_at,
        cast({{ dbt.dateadd(
            'day', audience_var('new_subscriber_days'), 'cast(customers.signed_up_at as date)')
        }} as date) as offer_expires_on
    from {{ ref('dim_customers') }} as customers
    cross join as_of
    where customers.signed_up_at < as_of.as_of_date
        and customers.signed_up_at >= {{ dbt.dateadd(
            'day', -audience_var('new_subscriber_days'), 'as_of.as_of_date') }}

)

select
    {{ audience_contact_columns() }},
    new_subscribers.signed_up_at,
    'WELCOME-' || upper(substr({{ dbt.hash('new_subscribers.customer_id') }}, 1, 8)) as offer_code,
    new_subscribers.offer_expires_on
from new_subscribers
inner join contacts
    on new_subscribers.customer_id = contacts.customer_id
