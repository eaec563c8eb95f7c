{#- The text value of top-level `key` in the JSON column `column` (NULL when absent). -#}
{% macro audience_json_text(column, key) %}
  {{- return(adapter.dispatch('audience_json_text', 'retention_warehouse')(column, key)) -}}
{% endmacro %}

{% macro default__audience_json_text(column, key) -%}
    json_extract_scalar({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro duckdb__audience_json_text(column, key) -%}
    json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro spark__audience_json_text(column, key) -%}
    get_json_object({{ column }}, '$.{{ key }}')
{%- endmacro %}
