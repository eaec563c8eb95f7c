{#-
  dbt-spark 1.11's dateadd multiplies the interval without parentheses, so
  dbt.dateadd('year', 'years + 1', ...) adds `years + 12` years' worth of months on Spark
  (dim_customers.first_order_anniversary). Parenthesise the interval, then use dbt-spark's macro.
-#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) %}
  {{- return(dbt.spark__dateadd(datepart, '(' ~ interval ~ ')', from_date_or_timestamp)) -}}
{% endmacro %}
