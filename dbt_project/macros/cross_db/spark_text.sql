{#-
  Spark implementations of the text macros dispatched in macros/text_functions.sql.
  Spark SQL string literals treat a backslash as an escape character (DuckDB's do not), so
  regular expressions are written with every backslash doubled.
-#}
{% macro spark__regex_full_match(expression, pattern) -%}
  ({{ expression }} rlike '^(?:{{ spark_escape_backslashes(pattern) }})$')
{%- endmacro %}

{#- A string with each backslash doubled, for use inside a Spark SQL string literal. -#}
{% macro spark_escape_backslashes(text) -%}
  {{ text | replace("\\", "\\\\") }}
{%- endmacro %}
