{#- Actions that show engagement: opens and clicks of messages and site visits. -#}
{%- set action_types = "('email_open', 'email_click', 'sms_click', 'site_visit')" -%}

with

events as (
    select * from {{ ref('stg_shop__events') }}
    where customer_id is not null
),

windows as (
    select
        cast({{ dbt.dateadd('day', -var('engagement_recent_days'), 'as_of_date') }}
            as {{ dbt.type_timestamp() }}) as recent_start_at,
        cast({{ dbt.dateadd('day', -var('engagement_window_days'), 'as_of_date') }}
            as {{ dbt.type_timestamp() }}) as window_start_at
    from {{ ref('as_of_date') }}
),

flagged as (
    select
        events.customer_id,
        events.event_type,
        events.channel,
        events.occurred_at,
        events.event_type in {{ action_types }} as is_action,
        events.occurred_at >= windows.recent_start_at as is_recent,
        events.occurred_at >= windows.window_start_at as is_in_window
    from events
    cross join windows
)

select
    customer_id,
    count(case when is_action and is_recent then 1 end) as actions_recent,
    count(case when is_action and is_in_window then 1 end) as actions_in_window,
    count(case when event_type = 'email_open' and is_in_window then 1 end) as email_opens_in_window,
    count(case when event_type = 'email_click' and is_in_window then 1 end)
        as email_clicks_in_window,
    count(case when event_type = 'site_visit' and is_in_window then 1 end) as site_visits_in_window,
    count(
        case
            when is_in_window and event_type in ('email_open', 'email_click')
                and coalesce(channel, 'email') = 'email' then 1
        end
    ) as email_engagements_in_window,
    count(
        case
            when is_in_window and (event_type = 'sms_click' or channel = 'sms') then 1
        end
    ) as sms_engagements_in_window,
    count(case when is_in_window and channel = 'whatsapp' then 1 end)
        as whatsapp_engagements_in_window,
    max(case when is_action then occurred_at end) as last_engaged_at
from flagged
group by customer_id
