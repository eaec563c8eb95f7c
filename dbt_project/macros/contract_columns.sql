{#-
  Tables declared as dbt sources with a `data_type` on every column (models/staging/
  _shop__sources.yml, models/ml/_ml__sources.yml) are created from those declarations:
  the yml is the one definition of their columns; Python reads the same files.
-#}

{#- [name, data_type, where] per column of each table of source `source_name`, in yml order. -#}
{% macro contract_source_columns(source_name) %}
  {%- set result = {} -%}
  {%- for node in graph.sources.values() if node.source_name == source_name -%}
    {%- set columns = [] -%}
    {%- for column in node.columns.values() -%}
      {%- set where = node.original_file_path ~ ': column ' ~ node.name ~ '.' ~ column.name -%}
      {%- if not column.data_type -%}
        {{ exceptions.raise_compiler_error(where ~ ' has no data_type: add one (e.g. data_type: VARCHAR)') }}
      {%- endif -%}
      {%- do columns.append([column.name, column.data_type, where]) -%}
    {%- endfor -%}
    {%- do result.update({node.name: columns}) -%}
  {%- endfor -%}
  {{ return(result) }}
{% endmacro %}


{#-
  This adapter's spelling of a contract type (DuckDB spelling in the yml). The types a contract
  may use are the keys below (plus DECIMAL(p,s)); retention/core/source_schema.py accepts the
  same. Anything else stops the run naming the yml file and column.
-#}
{% macro contract_column_type(data_type, where) %}
  {%- set spelled = data_type | upper | replace(' ', '') -%}
  {%- if modules.re.match('^DECIMAL\\(\\d+,\\d+\\)$', spelled) -%}
    {{ return(spelled) }}
  {%- endif -%}
  {%- set types = adapter.dispatch('contract_types', 'retention_warehouse')() -%}
  {%- if spelled not in types -%}
    {{ exceptions.raise_compiler_error(where ~ ": unknown data_type '" ~ data_type ~ "' (use one of "
       ~ types.keys() | join(', ') ~ ', DECIMAL(p,s))') }}
  {%- endif -%}
  {{ return(types[spelled]) }}
{% endmacro %}

{% macro default__contract_types() %}
  {{ return({
    'VARCHAR': dbt.type_string(), 'JSON': dbt.type_string(), 'BOOLEAN': dbt.type_boolean(),
    'INTEGER': dbt.type_int(),
    'BIGINT': dbt.type_bigint(), 'DOUBLE': double_column_type(), 'DATE': 'date',
    'TIMESTAMP': dbt.type_timestamp(),
  }) }}
{% endmacro %}

{% macro duckdb__contract_types() %}
  {%- set types = {} -%}
  {%- for name in default__contract_types() -%}{%- do types.update({name: name}) -%}{%- endfor -%}
  {{ return(types) }}
{% endmacro %}


{#- Create schema `schema` and every table of source `source_name` missing there, empty, with
    its declared columns followed by `extra_columns` ([name, data_type, where] triples). -#}
{% macro create_missing_source_tables(source_name, schema, extra_columns=[]) %}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- do run_query('create schema if not exists ' ~ schema) -%}
  {%- for name, columns in contract_source_columns(source_name).items() -%}
    {%- set column_ddl = [] -%}
    {%- for column in columns + extra_columns -%}
      {%- do column_ddl.append(column[0] ~ ' ' ~ contract_column_type(column[1], column[2])) -%}
    {%- endfor -%}
    {%- do run_query('create table if not exists ' ~ schema ~ '.' ~ name ~ ' (' ~ column_ddl | join(', ') ~ ')') -%}
  {%- endfor -%}
{% endmacro %}
