-- Delivered -> feedback request: one row per purchase delivered in the last
-- trigger_lookback_days without feedback on that order yet, with a thank-you code: discount
-- seekers (discount_affinity >= discount_seeker_min_affinity) get a 10% coupon, everyone else
-- free shipping, so discounts go only where needed. Keyed by event_key: one request per order.
with as_of as (

    select as_of_date from {{ ref('as_of_date') }}

),

contacts as (
{{ audience_contacts(['email']) }}
),

delivered_orders as (

    select
        orders.order_id,
        orders.customer_id,
        orders.delivered_at
    from {{ ref('fct_orders') }} as orders
    cross join as_of
    where orders.is_purchase
        and orders.delivered_at < as_of.as_of_date
        and orders.delivered_at >= {{ dbt.dateadd(
            'day', -audience_var('trigger_lookback_days'), 'as_of.as_of_date') }}
        and not exists (
            select 1
            from {{ ref('stg_shop__feedback') }} as feedback
            where feedback.order_id = orders.order_id
        )

),

offers as (

    select
        delivered_orders.*,
        case
            when customers.discount_affinity >= {{ audience_var('discount_seeker_min_affinity') }}
                then 'coupon_10_percent'
            else 'free_shipping'
        end as offer_type
    from delivered_orders
    inner join {{ ref('dim_customers') }} as customers
        on delivered_orders.customer_id = customers.customer_id

)

select
    {{ audience_contact_columns() }},
    'feedback_request:' || offers.order_id as event_key,
    offers.order_id,
    offers.delivered_at,
    offers.offer_type,
    case offers.offer_type when 'coupon_10_percent' then 'THANKS10-' else 'FREESHIP-' end
        || upper(substr({{ dbt.hash('offers.order_id') }}, 1, 8)) as offer_code
from offers
inner join contacts
    on offers.customer_id = contacts.customer_id
