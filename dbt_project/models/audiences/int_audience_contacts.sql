-- Every customer with contact data, consents, stated channel preference and recent engagement
-- per channel (dim_customers, engagement_window_days): the input of audience_channel(), which
-- every aud_* model uses through audience_contacts(). One row per customer. Consent also needs
-- the contact to be contactable in consent_ledger (no customer sharing it and no provider
-- withdrew it); a contact the ledger does not hold (unit tests) keeps its own consent.
select
    customers.customer_id,
    customers.email,
    customers.phone,
    customers.first_name,
    customers.last_name,
    customers.stated_preferred_channel as preferred_channel,
    coalesce(customers.has_email_consent and coalesce(email_ledger.is_contactable, true), false)
        as has_email_consent,
    coalesce(customers.has_sms_consent and coalesce(sms_ledger.is_contactable, true), false)
        as has_sms_consent,
    coalesce(
        customers.has_whatsapp_consent and coalesce(whatsapp_ledger.is_contactable, true), false
    ) as has_whatsapp_consent,
    coalesce(customers.email_engagements_in_window, 0) as email_engagement,
    coalesce(customers.sms_engagements_in_window, 0) as sms_engagement,
    coalesce(customers.whatsapp_engagements_in_window, 0) as whatsapp_engagement
from {{ ref('dim_customers') }} as customers
left join {{ ref('consent_ledger') }} as email_ledger
    on email_ledger.channel = 'email' and email_ledger.contact = customers.email
left join {{ ref('consent_ledger') }} as sms_ledger
    on sms_ledger.channel = 'sms' and sms_ledger.contact = customers.phone
left join {{ ref('consent_ledger') }} as whatsapp_ledger
    on whatsapp_ledger.channel = 'whatsapp' and whatsapp_ledger.contact = customers.phone
