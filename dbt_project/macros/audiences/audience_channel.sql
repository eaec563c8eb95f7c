{#-
  The channel an audience row is sent on (docs/audiences.md, "Channel choice"), as a CASE over
  the columns of int_audience_contacts:
    1. the customer's stated preferred_channel, when it is allowed and consented;
    2. else the consented allowed channel with the most engagement in the last
       engagement_window_days (dim_customers; ties: the order of `allowed`), if any;
    3. else the first consented allowed channel;
    4. else NULL: the customer is not reachable and every audience drops the row.
  `allowed` lists the channels the audience's syncs cover, in order of preference.
-#}
{% macro audience_channel(allowed=['email', 'sms', 'whatsapp']) %}
  {%- set known = ['email', 'sms', 'whatsapp'] -%}
  {%- for channel in allowed -%}
    {%- if channel not in known -%}
      {{ exceptions.raise_compiler_error(
        "audience_channel: unknown channel '" ~ channel ~ "' in model " ~ model.name
        ~ "; allowed channels are " ~ known | join(', ')) }}
    {%- endif -%}
  {%- endfor -%}
  case
    {%- for channel in allowed %}
    when preferred_channel = '{{ channel }}' and has_{{ channel }}_consent then '{{ channel }}'
    {%- endfor %}
    {%- for channel in allowed %}
    when has_{{ channel }}_consent and {{ channel }}_engagement > 0
      {%- for other in allowed if other != channel %}
      and (not has_{{ other }}_consent or {{ channel }}_engagement >= {{ other }}_engagement)
      {%- endfor %}
      then '{{ channel }}'
    {%- endfor %}
    {%- for channel in allowed %}
    when has_{{ channel }}_consent then '{{ channel }}'
    {%- endfor %}
  end
{% endmacro %}
