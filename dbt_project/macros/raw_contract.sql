{#-
  The raw tables of retention/core/raw_contract.py (TABLES + LINEAGE_COLUMNS), column for column.
  tests/warehouse/test_raw_contract.py fails when the two drift apart.
-#}
{% macro raw_table_columns() %}
  {%- set lineage = [['_source_file', 'VARCHAR'], ['_source_line', 'BIGINT'], ['_loaded_at', 'TIMESTAMP']] -%}
  {%- set money = 'DECIMAL(18,2)' -%}
  {%- set tables = {
    'customers': [
      ['customer_id', 'VARCHAR'], ['email', 'VARCHAR'], ['phone', 'VARCHAR'],
      ['first_name', 'VARCHAR'], ['last_name', 'VARCHAR'], ['country', 'VARCHAR'],
      ['city', 'VARCHAR'], ['birth_date', 'DATE'], ['signed_up_at', 'TIMESTAMP'],
      ['acquisition_channel', 'VARCHAR'], ['email_consent', 'VARCHAR'], ['sms_consent', 'VARCHAR'],
      ['whatsapp_consent', 'VARCHAR'], ['preferred_channel', 'VARCHAR'],
    ],
    'orders': [
      ['order_id', 'VARCHAR'], ['customer_id', 'VARCHAR'], ['ordered_at', 'TIMESTAMP'],
      ['status', 'VARCHAR'], ['currency', 'VARCHAR'], ['subtotal', money],
      ['discount_amount', money], ['shipping_amount', money], ['total', money],
      ['discount_code', 'VARCHAR'], ['shipped_at', 'TIMESTAMP'], ['delivered_at', 'TIMESTAMP'],
      ['cancelled_at', 'TIMESTAMP'], ['returned_at', 'TIMESTAMP'],
    ],
    'order_items': [
      ['order_id', 'VARCHAR'], ['product_id', 'VARCHAR'], ['quantity', 'INTEGER'],
      ['unit_price', money], ['list_price', money], ['size', 'VARCHAR'],
    ],
    'products': [
      ['product_id', 'VARCHAR'], ['name', 'VARCHAR'], ['category', 'VARCHAR'], ['list_price', money],
    ],
    'events': [
      ['customer_id', 'VARCHAR'], ['event_type', 'VARCHAR'], ['occurred_at', 'TIMESTAMP'],
      ['channel', 'VARCHAR'], ['product_id', 'VARCHAR'], ['properties', 'JSON'],
    ],
    'feedback': [
      ['customer_id', 'VARCHAR'], ['order_id', 'VARCHAR'], ['submitted_at', 'TIMESTAMP'],
      ['nps_score', 'INTEGER'], ['csat_score', 'INTEGER'], ['comment', 'VARCHAR'],
    ],
    'shipment_events': [
      ['order_id', 'VARCHAR'], ['status', 'VARCHAR'], ['occurred_at', 'TIMESTAMP'],
      ['carrier', 'VARCHAR'], ['tracking_number', 'VARCHAR'],
    ],
  } -%}
  {%- set result = {} -%}
  {%- for name, columns in tables.items() -%}
    {%- do result.update({name: columns + lineage}) -%}
  {%- endfor -%}
  {{ return(result) }}
{% endmacro %}


{#- Map a contract (DuckDB) type to this adapter's type name. -#}
{% macro raw_column_type(duckdb_type) %}
  {{ return(adapter.dispatch('raw_column_type', 'retention_warehouse')(duckdb_type)) }}
{% endmacro %}

{% macro default__raw_column_type(duckdb_type) %}
  {%- set portable = {
    'VARCHAR': dbt.type_string(), 'JSON': dbt.type_string(), 'BIGINT': dbt.type_bigint(),
    'INTEGER': dbt.type_int(), 'TIMESTAMP': dbt.type_timestamp(),
  } -%}
  {{ return(portable.get(duckdb_type, duckdb_type)) }}
{% endmacro %}

{% macro duckdb__raw_column_type(duckdb_type) %}
  {{ return(duckdb_type) }}
{% endmacro %}


{#- on-run-start: create every contract table that ingest has not created yet, empty. -#}
{% macro create_missing_raw_tables() %}
  {%- set statements = ['create schema if not exists raw'] -%}
  {%- for name, columns in raw_table_columns().items() -%}
    {%- set column_ddl = [] -%}
    {%- for column in columns -%}
      {%- do column_ddl.append(column[0] ~ ' ' ~ raw_column_type(column[1])) -%}
    {%- endfor -%}
    {%- do statements.append('create table if not exists raw.' ~ name ~ ' (' ~ column_ddl | join(', ') ~ ')') -%}
  {%- endfor -%}
  {%- if execute -%}
    {%- for statement in statements -%}{%- do run_query(statement) -%}{%- endfor -%}
  {%- endif -%}
{% endmacro %}
