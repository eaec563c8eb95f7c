{#-
  The reachable customers of one audience: int_audience_contacts plus the chosen `channel`
  (audience_channel), keeping only customers with consent on at least one of `allowed`.
  Use as the `contacts` CTE of every aud_* model, then join the audience's members to it.
-#}
{% macro audience_contacts(allowed=['email', 'sms', 'whatsapp']) %}
    select *
    from (
        select
            contacts.*,
            {{ audience_channel(allowed) | indent(12) }} as channel
        from {{ ref('int_audience_contacts') }} as contacts
    ) as reachable
    where channel is not null
{% endmacro %}


{#- The columns every aud_* model starts with (docs/INTERFACES.md), read from `contacts`. -#}
{% macro audience_contact_columns(relation='contacts') %}
    {{ relation }}.customer_id,
    {{ relation }}.email,
    {{ relation }}.phone,
    {{ relation }}.has_email_consent,
    {{ relation }}.has_sms_consent,
    {{ relation }}.has_whatsapp_consent,
    {{ relation }}.channel,
    {{ relation }}.first_name
{%- endmacro %}
