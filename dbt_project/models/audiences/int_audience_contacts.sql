-- Every customer with contact data, consents, stated channel preference and recent engagement
-- per channel (dim_customers, engagement_window_days): the input of audience_channel(), which
-- every aud_* model uses through audience_contacts(). One row per customer.
select
    customer_id,
    email,
    phone,
    first_name,
    last_name,
    stated_preferred_channel as preferred_channel,
    coalesce(has_email_consent, false) as has_email_consent,
    coalesce(has_sms_consent, false) as has_sms_consent,
    coalesce(has_whatsapp_consent, false) as has_whatsapp_consent,
    coalesce(email_engagements_in_window, 0) as email_engagement,
    coalesce(sms_engagements_in_window, 0) as sms_engagement,
    coalesce(whatsapp_engagements_in_window, 0) as whatsapp_engagement
from {{ ref('dim_customers') }}
