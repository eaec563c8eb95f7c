{#-
  The ML output tables (docs/INTERFACES.md, "ML outputs"), declared as sources in
  models/ml/_ml__sources.yml. Python (ml/) writes them; this only creates them empty if missing
  so `dbt build` works before any scoring.
-#}
{% macro ml_table_columns() %}
  {%- set run_columns = [
    ['run_id', dbt.type_string()], ['trained_at', dbt.type_timestamp()],
    ['data_window_start', 'date'], ['data_window_end', 'date'],
    ['parameters', json_column_type()], ['metrics', json_column_type()],
  ] -%}
  {{ return({
    'churn_scores': [
      ['customer_id', dbt.type_string()], ['churn_probability', double_column_type()],
      ['risk_band', dbt.type_string()], ['score_reason', dbt.type_string()],
      ['model_version', dbt.type_string()], ['scored_at', dbt.type_timestamp()],
    ],
    'clv_predictions': [
      ['customer_id', dbt.type_string()], ['p_alive', double_column_type()],
      ['expected_purchases_90d', double_column_type()], ['expected_purchases_365d', double_column_type()],
      ['expected_avg_order_value', double_column_type()], ['predicted_clv_365d', double_column_type()],
      ['predicted_clv_365d_lower', double_column_type()], ['predicted_clv_365d_upper', double_column_type()],
      ['score_reason', dbt.type_string()], ['model_run_id', dbt.type_string()],
      ['scored_at', dbt.type_timestamp()],
    ],
    'churn_model_runs': run_columns,
    'clv_model_runs': run_columns,
  }) }}
{% endmacro %}


{% macro json_column_type() %}
  {{ return(adapter.dispatch('json_column_type', 'retention_warehouse')()) }}
{% endmacro %}

{% macro default__json_column_type() %}{{ return(dbt.type_string()) }}{% endmacro %}

{% macro duckdb__json_column_type() %}{{ return('JSON') }}{% endmacro %}


{#- on-run-start: create schema ml and any missing ML output table, empty. -#}
{% macro create_missing_ml_tables() %}
  {%- set statements = ['create schema if not exists ml'] -%}
  {%- for name, columns in ml_table_columns().items() -%}
    {%- set column_ddl = [] -%}
    {%- for column in columns -%}
      {%- do column_ddl.append(column[0] ~ ' ' ~ column[1]) -%}
    {%- endfor -%}
    {%- do statements.append('create table if not exists ml.' ~ name ~ ' (' ~ column_ddl | join(', ') ~ ')') -%}
  {%- endfor -%}
  {%- if execute -%}
    {%- for statement in statements -%}{%- do run_query(statement) -%}{%- endfor -%}
  {%- endif -%}
{% endmacro %}


{% macro double_column_type() %}
  {{ return(adapter.dispatch('double_column_type', 'retention_warehouse')()) }}
{% endmacro %}

{% macro default__double_column_type() %}{{ return('double') }}{% endmacro %}

{% macro bigquery__double_column_type() %}{{ return('float64') }}{% endmacro %}
