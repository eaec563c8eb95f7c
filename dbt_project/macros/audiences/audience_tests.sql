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
