{#- Engine-specific string functions, dispatched so models stay portable. -#}

{#- Keep only the digits 0-9 of a string expression. -#}
{% macro strip_non_digits(expression) %}
  {{ return(adapter.dispatch('strip_non_digits', 'retention_warehouse')(expression)) }}
{% endmacro %}

{% macro default__strip_non_digits(expression) -%}
  regexp_replace({{ expression }}, '[^0-9]', '')
{%- endmacro %}

{% macro duckdb__strip_non_digits(expression) -%}
  regexp_replace({{ expression }}, '[^0-9]', '', 'g')
{%- endmacro %}


{#- True when the whole string expression matches a regular expression. -#}
{% macro regex_full_match(expression, pattern) %}
  {{ return(adapter.dispatch('regex_full_match', 'retention_warehouse')(expression, pattern)) }}
{% endmacro %}

{% macro default__regex_full_match(expression, pattern) -%}
  ({{ expression }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro duckdb__regex_full_match(expression, pattern) -%}
  regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}
