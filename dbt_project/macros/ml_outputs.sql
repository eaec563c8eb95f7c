{#-
  on-run-start: create schema ml and any missing ML output table, empty, with the columns of
  source `ml` (models/ml/_ml__sources.yml, docs/INTERFACES.md "ML outputs"). Python (ml/)
  writes them; this only lets `dbt build` work before any scoring.
-#}
{% macro create_missing_ml_tables() %}
  {%- do create_missing_source_tables('ml', 'ml') -%}
{% endmacro %}


{% macro double_column_type() %}
  {{ return(adapter.dispatch('double_column_type', 'retention_warehouse')()) }}
{% endmacro %}

{% macro default__double_column_type() %}{{ return('double') }}{% endmacro %}

{% macro bigquery__double_column_type() %}{{ return('float64') }}{% endmacro %}
