{#-
  on-run-start: create every raw table of the contract (source `shop`,
  models/staging/_shop__sources.yml) that ingest has not created yet, empty, with the columns
  declared there plus the source's `lineage_columns`.
-#}
{% macro create_missing_raw_tables() %}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- set lineage = [] -%}
  {%- for node in graph.sources.values() if node.source_name == 'shop' -%}
    {%- if loop.first -%}
      {%- for name, data_type in node.meta.lineage_columns.items() -%}
        {%- do lineage.append([name, data_type, node.original_file_path ~ ': lineage column ' ~ name]) -%}
      {%- endfor -%}
    {%- endif -%}
  {%- endfor -%}
  {%- do create_missing_source_tables('shop', 'raw', lineage) -%}
{% endmacro %}
