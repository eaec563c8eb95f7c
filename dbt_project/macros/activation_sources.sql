{#-
  The sync engine's experiment table (activation/experiment.py), declared as a source in
  models/activation/_activation__sources.yml. The engine writes it; this only creates it empty
  if missing so `dbt build` works before any sync.
-#}
{% macro create_missing_activation_tables() %}
  {%- set columns = [
    ['experiment', dbt.type_string()], ['audience', dbt.type_string()],
    ['customer_id', dbt.type_string()], ['group_name', dbt.type_string()],
    ['sync_name', dbt.type_string()], ['entry_date', 'date'],
    ['first_assigned_at', dbt.type_timestamp()],
  ] -%}
  {%- set column_ddl = [] -%}
  {%- for column in columns -%}
    {%- do column_ddl.append(column[0] ~ ' ' ~ column[1]) -%}
  {%- endfor -%}
  {%- if execute -%}
    {%- do run_query('create schema if not exists activation') -%}
    {%- do run_query('create table if not exists activation.audience_assignments (' ~ column_ddl | join(', ') ~ ')') -%}
  {%- endif -%}
{% endmacro %}
