-- One row per channel and contact (normalised email, or E.164 phone for sms/whatsapp): the
-- warehouse's consent across every customer holding that contact, the status providers reported
-- back to the sync engine, and the resulting consent. Most restrictive wins on both sides:
-- unsubscribed > not_subscribed > subscribed, so an address two customers share is unsubscribed
-- if either unsubscribed, and a provider-side unsubscribe or suppression withdraws it everywhere.
with

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

warehouse_rows as (
    select 'email' as channel, email as contact, customer_id, email_consent as status, loaded_at
    from customers
    where email is not null
    union all
    select 'sms' as channel, phone as contact, customer_id, sms_consent as status, loaded_at
    from customers
    where phone is not null
    union all
    select 'whatsapp' as channel, phone as contact, customer_id, whatsapp_consent as status, loaded_at
    from customers
    where phone is not null
),

warehouse as (
    select
        channel,
        contact,
        count(distinct customer_id) as customer_count,
        max(case status when 'unsubscribed' then 3 when 'subscribed' then 1 else 2 end)
            as warehouse_rank,
        max(loaded_at) as warehouse_loaded_at
    from warehouse_rows
    group by channel, contact
),

provider_rows as (
    select
        channel,
        contact,
        destination,
        provider_status,
        observed_at,
        case
            when provider_status in ('unsubscribed', 'suppressed', 'cleaned') then 3
            when provider_status = 'subscribed' then 1
            else 0
        end as provider_rank
    from {{ source('activation', 'provider_consent') }}
    where contact is not null
),

provider_ranked as (
    select
        provider_rows.*,
        row_number() over (
            partition by channel, contact
            order by provider_rank desc, observed_at desc, destination
        ) as row_rank
    from provider_rows
),

provider as (
    select
        channel,
        contact,
        provider_rank,
        provider_status,
        destination as provider_destination,
        observed_at as provider_observed_at
    from provider_ranked
    where row_rank = 1
),

joined as (
    select
        coalesce(warehouse.channel, provider.channel) as channel,
        coalesce(warehouse.contact, provider.contact) as contact,
        coalesce(warehouse.customer_count, 0) as customer_count,
        case warehouse.warehouse_rank
            when 3 then 'unsubscribed' when 1 then 'subscribed' else 'not_subscribed'
        end as warehouse_status,
        warehouse.warehouse_loaded_at,
        provider.provider_status,
        provider.provider_destination,
        provider.provider_observed_at,
        coalesce(warehouse.warehouse_rank, 2) as warehouse_rank,
        coalesce(provider.provider_rank, 0) as provider_rank
    from warehouse
    full outer join provider
        on warehouse.channel = provider.channel
        and warehouse.contact = provider.contact
)

select
    channel,
    contact,
    customer_count,
    warehouse_status,
    warehouse_loaded_at,
    provider_status,
    provider_destination,
    provider_observed_at,
    case
        when warehouse_rank = 3 or provider_rank = 3 then 'unsubscribed'
        when warehouse_rank = 1 then 'subscribed'
        else 'not_subscribed'
    end as consent_status,
    case
        when warehouse_rank = 3 and provider_rank = 3 then 'both'
        when warehouse_rank = 3 then 'warehouse'
        when provider_rank = 3 then 'provider'
    end as withdrawn_in,
    warehouse_rank = 1 and provider_rank < 3 as is_contactable
from joined
