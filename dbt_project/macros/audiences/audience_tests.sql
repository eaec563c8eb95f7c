{#-
  Generic data tests for activatable audiences.
  channel_has_consent: fails on every row whose channel (the column tested) is missing or lacks
  consent: channel 'email' needs has_email_consent, 'sms' has_sms_consent, 'whatsapp'
  has_whatsapp_consent.
-#}
{% test channel_has_consent(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} is null
    or not coalesce(
        case {{ column_name }}
            when 'email' then has_email_consent
            when 'sms' then has_sms_consent
            when 'whatsapp' then has_whatsapp_consent
        end,
        false
    )
{% endtest %}


{#- not_empty: fails (one row) when the model has no rows at all. -#}
{% test not_empty(model) %}
select count(*) as row_count
from {{ model }}
having count(*) = 0
{% endtest %}


{#-
  one_customer_per_contact: fails on every contact (the column tested: email, or phone) that
  rows routed to `channels` give to more than one customer. Two customer records with one
  normalised email or phone are one person (int_audience_contact_owners); an audience that
  held both would create two profiles at one provider, or overwrite one with the other. Every
  audience declares it on each identifier column its syncs send (tests/audiences checks that).
-#}
{% test one_customer_per_contact(model, column_name, channels) %}
select
    {{ column_name }} as contact,
    count(distinct customer_id) as customer_count
from {{ model }}
where {{ column_name }} is not null
    and channel in ('{{ channels | join("', '") }}')
group by {{ column_name }}
having count(distinct customer_id) > 1
{% endtest %}
