{#-
  Audience rule parameters, each a dbt var with its default here (one place to read them).
  Override per run: dbt build --vars '{"winback_days": 90}' or in dbt_project.yml vars.
-#}
{% macro audience_var(name) %}
  {%- set defaults = {
    'welcome_series_days': 30,
    'abandoned_cart_hours': 4,
    'abandoned_cart_lookback_days': 7,
    'new_subscriber_days': 7,
    'trigger_lookback_days': 7,
    'aov_band_count': 3,
    'discount_seeker_min_affinity': 0.5,
    'full_price_min_share': 0.9,
    'full_price_min_orders': 2,
    'vip_clv_tiers': ['high'],
    'vip_rfm_segments': ['Champions'],
    'winback_days': 120,
    'churn_risk_bands': ['high'],
    'churn_min_p_alive': 0.3,
    'feedback_lookback_days': 90,
    'anniversary_window_days': 30,
  } -%}
  {%- if name not in defaults -%}
    {{ exceptions.raise_compiler_error(
      "audience_var('" ~ name ~ "'): unknown audience parameter; known: "
      ~ defaults.keys() | sort | join(', ') ~ " (macros/audiences/audience_vars.sql)") }}
  {%- endif -%}
  {{ return(var(name, defaults[name])) }}
{% endmacro %}


{#- A list var as a SQL literal list for IN (...): ['high'] -> 'high'. -#}
{% macro audience_var_list(name) %}
  {%- set values = audience_var(name) -%}
  {%- if values is string -%}{%- set values = [values] -%}{%- endif -%}
  {%- set quoted = [] -%}
  {%- for value in values -%}{%- do quoted.append("'" ~ (value | replace("'", "''")) ~ "'") -%}{%- endfor -%}
  {{ return(quoted | join(', ')) }}
{% endmacro %}
