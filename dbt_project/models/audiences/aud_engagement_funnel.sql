-- Engagement level x funnel stage: one row per reachable customer (email), e.g. highly engaged
-- subscribers who never bought, first-time buyers, repeat, loyal, lapsed.
with contacts as (
{{ audience_contacts(['email']) }}
),

customers as (

    select customer_id, engagement_level, funnel_stage
    from {{ ref('dim_customers') }}

)

select
    {{ audience_contact_columns() }},
    customers.engagement_level,
    customers.funnel_stage,
    customers.engagement_level || ' x ' || customers.funnel_stage as segment_key,
    case
        when customers.funnel_stage = 'subscriber'
            and customers.engagement_level in ('high', 'medium')
            then 'engaged_never_bought'
        when customers.funnel_stage = 'subscriber' then 'unengaged_never_bought'
        else customers.funnel_stage
    end as lifecycle_segment
from customers
inner join contacts
    on customers.customer_id = contacts.customer_id
