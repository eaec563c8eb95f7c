{#-
  A raw column added to the contract after a warehouse was made: the column itself when
  `relation` has it, else a typed NULL, so older raw tables still build.
-#}
{% macro optional_column(relation, column, data_type) -%}
  {%- set names = [] -%}
  {%- if execute -%}
    {%- for existing in adapter.get_columns_in_relation(relation) -%}
      {%- do names.append(existing.name | lower) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if column | lower in names -%}{{ column }}{%- else -%}cast(null as {{ data_type }}){%- endif -%}
{%- endmacro %}
