{#- Floating-point division that yields NULL instead of failing when the denominator is 0. -#}
{% macro safe_divide(numerator, denominator) -%}
  (cast({{ numerator }} as {{ double_column_type() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}
