-- Abandoned cart: customers whose latest add_to_cart / checkout_started in the last
-- abandoned_cart_lookback_days is at least abandoned_cart_hours old with no order placed since.
-- Event-style: one row per customer and abandonment, keyed by event_key (a newer cart event is a
-- new abandonment and a new message). Routed to the preferred consented channel.
with as_of as (

    select cast(as_of_date as {{ dbt.type_timestamp() }}) as as_of_at
    from {{ ref('as_of_date') }}

),

contacts as (
{{ audience_contacts(['email', 'sms', 'whatsapp']) }}
),

cart_events as (

    select
        events.customer_id,
        events.event_type,
        events.occurred_at,
        events.product_id
    from {{ ref('stg_shop__events') }} as events
    cross join as_of
    where events.event_type in ('add_to_cart', 'checkout_started')
        and events.occurred_at >= {{ dbt.dateadd(
            'day', -audience_var('abandoned_cart_lookback_days'), 'as_of.as_of_at') }}
        and events.occurred_at <= {{ dbt.dateadd(
            'hour', -audience_var('abandoned_cart_hours'), 'as_of.as_of_at') }}

),

abandoned_events as (

    -- Cart events with no order by the same customer placed at or after them.
    select cart_events.*
    from cart_events
    where not exists (
        select 1
        from {{ ref('fct_orders') }} as orders
        where orders.customer_id = cart_events.customer_id
            and orders.ordered_at >= cart_events.occurred_at
    )

),

abandonments as (

    select
        customer_id,
        max(occurred_at) as abandoned_at,
        max(case when event_type = 'checkout_started' then 1 else 0 end) as reached_checkout,
        count(distinct product_id) as products_in_cart
    from abandoned_events
    group by customer_id

),

last_product as (

    select
        customer_id,
        product_id,
        row_number() over (
            partition by customer_id
            order by occurred_at desc, product_id
        ) as recency_rank
    from abandoned_events
    where product_id is not null

)

select
    {{ audience_contact_columns() }},
    'abandoned_cart:' || abandonments.customer_id || ':'
        || cast(abandonments.abandoned_at as {{ dbt.type_string() }}) as event_key,
    abandonments.abandoned_at,
    case when abandonments.reached_checkout = 1 then 'checkout' else 'cart' end as abandoned_stage,
    last_product.product_id as cart_product_id,
    cast(abandonments.products_in_cart as integer) as products_in_cart
from abandonments
inner join contacts
    on abandonments.customer_id = contacts.customer_id
left join last_product
    on abandonments.customer_id = last_product.customer_id
    and last_product.recency_rank = 1
