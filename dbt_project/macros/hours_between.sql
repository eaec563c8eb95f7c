{#- Hour boundaries crossed from timestamp `start` to `end_` (DuckDB's date_diff('hour')); dbt-spark's
    datediff('hour') rounds elapsed seconds instead, so Spark counts whole hours since the epoch. -#}
{% macro hours_between(start, end_) -%}
  {{ return(adapter.dispatch('hours_between')(start, end_)) }}
{%- endmacro %}

{% macro default__hours_between(start, end_) -%}
  {{ dbt.datediff(start, end_, 'hour') }}
{%- endmacro %}

{% macro spark__hours_between(start, end_) -%}
  (floor(unix_seconds({{ end_ }}) / 3600) - floor(unix_seconds({{ start }}) / 3600))
{%- endmacro %}
