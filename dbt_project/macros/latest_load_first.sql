{#-
  The ORDER BY that ranks duplicate raw rows so the latest load wins (then the later file and
  line): rank 1 is the row staging keeps. `alias` qualifies the lineage columns, e.g. 'source'.
-#}
{% macro latest_load_first(alias=none) -%}
    {%- set p = alias ~ '.' if alias else '' -%}
    order by {{ p }}_loaded_at desc, {{ p }}_source_file desc, {{ p }}_source_line desc
{%- endmacro %}
