-- One row per normalised contact (contact_type email: trimmed, lower-cased address; phone: E.164)
-- held by any customer, with the one customer who owns it for messaging. Several customer records
-- can hold one contact (a guest checkout and an account, an address re-typed in another case);
-- they are one person, so audiences reach the contact through its owner only
-- (int_audience_contacts). The owner: the customer with the most recent purchase, then the most
-- recent sign-up, then the lowest customer_id (a unique tie-breaker, so every engine agrees).
-- Consent is not part of the rule: consent_ledger already resolves it most restrictive across
-- every customer holding the contact.
with

customers as (
    select customer_id, email, phone, last_order_at, signed_up_at
    from {{ ref('dim_customers') }}
),

holders as (
    select 'email' as contact_type, email as contact, customer_id, last_order_at, signed_up_at
    from customers
    where email is not null
    union all
    select 'phone' as contact_type, phone as contact, customer_id, last_order_at, signed_up_at
    from customers
    where phone is not null
),

ranked as (
    select
        holders.*,
        row_number() over (
            partition by contact_type, contact
            order by
                case when last_order_at is null then 1 else 0 end,
                last_order_at desc,
                case when signed_up_at is null then 1 else 0 end,
                signed_up_at desc,
                customer_id
        ) as owner_rank,
        count(*) over (partition by contact_type, contact) as customer_count
    from holders
)

select
    contact_type,
    contact,
    customer_id as owner_customer_id,
    customer_count
from ranked
where owner_rank = 1
