-- Every customer with contact data, consents, stated channel preference and recent engagement
-- per channel (dim_customers, engagement_window_days): the input of audience_channel(), which
-- every aud_* model uses through audience_contacts(). One row per customer. Consent also needs
-- the contact to be contactable in consent_ledger (most restrictive across every customer
-- sharing it, and no provider withdrew it; a contact the ledger does not hold (unit tests) keeps
-- its own consent), and the customer to own the contact (int_audience_contact_owners: one
-- customer per normalised email and per phone), so no audience holds one person twice.
select
    customers.customer_id,
    customers.email,
    customers.phone,
    customers.first_name,
    customers.last_name,
    customers.stated_preferred_channel as preferred_channel,
    coalesce(
        customers.has_email_consent
        and coalesce(email_ledger.is_contactable, true)
        and email_owner.owner_customer_id = customers.customer_id,
        false
    ) as has_email_consent,
    coalesce(
        customers.has_sms_consent
        and coalesce(sms_ledger.is_contactable, true)
        and phone_owner.owner_customer_id = customers.customer_id,
        false
    ) as has_sms_consent,
    coalesce(
        customers.has_whatsapp_consent
        and coalesce(whatsapp_ledger.is_contactable, true)
        and phone_owner.owner_customer_id = customers.customer_id,
        false
    ) as has_whatsapp_consent,
    coalesce(customers.email_engagements_in_window, 0) as email_engagement,
    coalesce(customers.sms_engagements_in_window, 0) as sms_engagement,
    coalesce(customers.whatsapp_engagements_in_window, 0) as whatsapp_engagement
from {{ ref('dim_customers') }} as customers
left join {{ ref('int_audience_contact_owners') }} as email_owner
    on email_owner.contact_type = 'email' and email_owner.contact = customers.email
left join {{ ref('int_audience_contact_owners') }} as phone_owner
    on phone_owner.contact_type = 'phone' and phone_owner.contact = customers.phone
left join {{ ref('consent_ledger') }} as email_ledger
    on email_ledger.channel = 'email' and email_ledger.contact = customers.email
left join {{ ref('consent_ledger') }} as sms_ledger
    on sms_ledger.channel = 'sms' and sms_ledger.contact = customers.phone
left join {{ ref('consent_ledger') }} as whatsapp_ledger
    on whatsapp_ledger.channel = 'whatsapp' and whatsapp_ledger.contact = customers.phone
