with

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

order_stats as (
    select * from {{ ref('int_customer_orders_aggregated') }}
),

item_stats as (
    select * from {{ ref('int_customer_items_aggregated') }}
),

engagement as (
    select * from {{ ref('int_customer_engagement_aggregated') }}
),

as_of as (
    select as_of_date from {{ ref('as_of_date') }}
),

-- customers known only from their orders (e.g. CDNOW) are customers too
customer_ids as (
    select customer_id from customers
    union
    select customer_id from order_stats
),

joined as (
    select
        customer_ids.customer_id,
        customers.customer_id is not null as is_in_customer_export,
        customers.email,
        coalesce(customers.is_email_valid, false) as is_email_valid,
        customers.phone,
        customers.phone_raw,
        coalesce(customers.is_phone_valid, false) as is_phone_valid,
        customers.first_name,
        customers.last_name,
        customers.country,
        customers.country_iso2,
        customers.city,
        customers.acquisition_channel,
        coalesce(customers.email_consent, 'not_subscribed') as email_consent,
        coalesce(customers.sms_consent, 'not_subscribed') as sms_consent,
        coalesce(customers.whatsapp_consent, 'not_subscribed') as whatsapp_consent,
        customers.preferred_channel as stated_preferred_channel,
        customers.signed_up_at,
        customers.birth_date,
        order_stats.first_order_at,
        order_stats.last_order_at,
        order_stats.first_order_date,
        coalesce(order_stats.orders_placed_count, 0) as orders_placed_count,
        coalesce(order_stats.orders_count, 0) as orders_count,
        coalesce(order_stats.cancelled_orders_count, 0) as cancelled_orders_count,
        coalesce(order_stats.returned_orders_count, 0) as returned_orders_count,
        coalesce(order_stats.revenue, 0) as revenue,
        order_stats.avg_order_value,
        order_stats.discount_affinity,
        order_stats.days_since_last_order,
        order_stats.last_delivery_status,
        coalesce(order_stats.delivery_problem_orders_count, 0) as delivery_problem_orders_count,
        item_stats.favourite_category,
        item_stats.preferred_size,
        item_stats.full_price_share,
        coalesce(item_stats.items_purchased, 0) as items_purchased,
        coalesce(engagement.actions_recent, 0) as engagement_actions_recent,
        coalesce(engagement.actions_in_window, 0) as engagement_actions_in_window,
        coalesce(engagement.email_engagements_in_window, 0) as email_engagements_in_window,
        coalesce(engagement.sms_engagements_in_window, 0) as sms_engagements_in_window,
        coalesce(engagement.whatsapp_engagements_in_window, 0) as whatsapp_engagements_in_window,
        engagement.last_engaged_at,
        as_of.as_of_date
    from customer_ids
    cross join as_of
    left join customers on customer_ids.customer_id = customers.customer_id
    left join order_stats on customer_ids.customer_id = order_stats.customer_id
    left join item_stats on customer_ids.customer_id = item_stats.customer_id
    left join engagement on customer_ids.customer_id = engagement.customer_id
),

with_consent as (
    select
        *,
        email_consent = 'subscribed' and is_email_valid as has_email_consent,
        sms_consent = 'subscribed' and is_phone_valid as has_sms_consent,
        whatsapp_consent = 'subscribed' and is_phone_valid as has_whatsapp_consent,
        {{ dbt.datediff('first_order_date', 'as_of_date', 'year') }} as first_order_years_elapsed
    from joined
),

traits as (
    select
        *,
        -- stated preference wins; else the consented channel with the most recent engagement
        -- (ties: email, then sms, then whatsapp); NULL when no channel is consented
        case
            when stated_preferred_channel is not null then stated_preferred_channel
            when has_email_consent
                and email_engagements_in_window
                    >= case when has_sms_consent then sms_engagements_in_window else -1 end
                and email_engagements_in_window
                    >= case when has_whatsapp_consent then whatsapp_engagements_in_window else -1 end
                then 'email'
            when has_sms_consent
                and sms_engagements_in_window
                    >= case when has_whatsapp_consent then whatsapp_engagements_in_window else -1 end
                then 'sms'
            when has_whatsapp_consent then 'whatsapp'
        end as preferred_channel,
        case
            when engagement_actions_recent >= {{ var('engagement_high_min_actions') }} then 'high'
            when engagement_actions_recent >= 1 then 'medium'
            when engagement_actions_in_window >= 1 then 'low'
            else 'none'
        end as engagement_level,
        case
            when orders_count = 0 then 'subscriber'
            when days_since_last_order >= {{ var('funnel_churned_after_days') }} then 'churned'
            when days_since_last_order >= {{ var('funnel_lapsed_after_days') }} then 'lapsed'
            when orders_count >= {{ var('funnel_loyal_min_orders') }} then 'loyal'
            when orders_count >= 2 then 'repeat'
            else 'first_time_buyer'
        end as funnel_stage,
        cast({{ dbt.dateadd('year', 'first_order_years_elapsed', 'first_order_date') }} as date)
            as anniversary_this_year
    from with_consent
)

select
    customer_id,
    is_in_customer_export,
    email,
    is_email_valid,
    phone,
    phone_raw,
    is_phone_valid,
    first_name,
    last_name,
    country,
    country_iso2,
    city,
    acquisition_channel,
    email_consent,
    sms_consent,
    whatsapp_consent,
    has_email_consent,
    has_sms_consent,
    has_whatsapp_consent,
    stated_preferred_channel,
    preferred_channel,
    case
        when stated_preferred_channel is not null then 'stated'
        when preferred_channel is not null then 'inferred'
        else 'none'
    end as preferred_channel_source,
    signed_up_at,
    first_order_at,
    last_order_at,
    orders_placed_count,
    orders_count,
    cancelled_orders_count,
    returned_orders_count,
    revenue,
    avg_order_value,
    favourite_category,
    preferred_size,
    items_purchased,
    discount_affinity,
    full_price_share,
    engagement_actions_recent,
    engagement_actions_in_window,
    email_engagements_in_window,
    sms_engagements_in_window,
    whatsapp_engagements_in_window,
    last_engaged_at,
    engagement_level,
    funnel_stage,
    birth_date,
    cast(extract(month from birth_date) as {{ dbt.type_int() }}) as birth_month,
    cast(extract(day from birth_date) as {{ dbt.type_int() }}) as birth_day,
    case
        when anniversary_this_year >= as_of_date then anniversary_this_year
        else cast({{ dbt.dateadd('year', 'first_order_years_elapsed + 1', 'first_order_date') }} as date)
    end as first_order_anniversary,
    last_delivery_status,
    delivery_problem_orders_count,
    days_since_last_order
from traits
