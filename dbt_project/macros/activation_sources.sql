{#-
  The sync engine's tables (source `activation`, models/activation/_activation__sources.yml,
  the one declaration activation/tables.py reads too). The engine writes and migrates them;
  this only creates the missing ones empty (on DuckDB with their declared primary key), so
  `dbt build` works before any sync.
-#}
{% macro create_missing_activation_tables() %}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- do run_query('create schema if not exists activation') -%}
  {%- set keys = {} -%}
  {%- for node in graph.sources.values() if node.source_name == 'activation' -%}
    {%- do keys.update({node.name: node.config.meta.get('primary_key') or node.meta.get('primary_key') or []}) -%}
  {%- endfor -%}
  {%- for name, columns in contract_source_columns('activation').items() -%}
    {%- set column_ddl = [] -%}
    {%- for column in columns -%}
      {%- do column_ddl.append(column[0] ~ ' ' ~ contract_column_type(column[1], column[2])) -%}
    {%- endfor -%}
    {%- if keys[name] and target.type == 'duckdb' -%}
      {%- do column_ddl.append('primary key (' ~ keys[name] | join(', ') ~ ')') -%}
    {%- endif -%}
    {%- do run_query('create table if not exists activation.' ~ name ~ ' (' ~ column_ddl | join(', ') ~ ')') -%}
  {%- endfor -%}
{% endmacro %}
