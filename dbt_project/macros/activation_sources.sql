{#-
  The sync engine's tables that dbt reads as sources (models/activation/_activation__sources.yml):
  the consent read-back activation.provider_consent (activation/consent.py) and the experiment
  assignments activation.audience_assignments (activation/experiment.py). The engine writes them;
  this only creates them empty if missing, so `dbt build` works before any sync.
-#}
{% macro create_missing_activation_tables() %}
  {%- set tables = {
    'provider_consent': [
      ['destination', dbt.type_string()], ['channel', dbt.type_string()],
      ['contact', dbt.type_string()], ['provider_status', dbt.type_string()],
      ['sync_name', dbt.type_string()], ['observed_at', dbt.type_timestamp()],
    ],
    'audience_assignments': [
      ['experiment', dbt.type_string()], ['audience', dbt.type_string()],
      ['customer_id', dbt.type_string()], ['group_name', dbt.type_string()],
      ['sync_name', dbt.type_string()], ['entry_date', 'date'],
      ['first_assigned_at', dbt.type_timestamp()],
    ],
  } -%}
  {%- if execute -%}
    {%- do run_query('create schema if not exists activation') -%}
    {%- for name, columns in tables.items() -%}
      {%- set column_ddl = [] -%}
      {%- for column in columns -%}
        {%- do column_ddl.append(column[0] ~ ' ' ~ column[1]) -%}
      {%- endfor -%}
      {%- do run_query('create table if not exists activation.' ~ name ~ ' (' ~ column_ddl | join(', ') ~ ')') -%}
    {%- endfor -%}
  {%- endif -%}
{% endmacro %}
