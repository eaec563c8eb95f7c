{#-
  Every month from the earliest to the latest `month_column` of `relation` (a model or CTE
  name), as one `month_start` date per month, so months without activity still get a row.
  Portable: a digit cross join (up to 1,000 months), dbt.dateadd and dbt.datediff.
-#}
{% macro month_spine(relation, month_column) -%}
    select cast({{ dbt.dateadd('month', 'month_offsets.n', 'bounds.first_month') }} as date)
        as month_start
    from ({{ integer_series(3) }}) as month_offsets
    cross join (
        select min({{ month_column }}) as first_month, max({{ month_column }}) as last_month
        from {{ relation }}
    ) as bounds
    where month_offsets.n <= {{ dbt.datediff('bounds.first_month', 'bounds.last_month', 'month') }}
{%- endmacro %}
