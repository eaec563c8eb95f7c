{#-
  Fails for rows where the SQL boolean expression is false (NULL passes, as in dbt_utils).
  On a column, the expression is appended to the column name: `expression: ">= 0"`.
  Use the test config `where` to scope it.
-#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not ({{ column_name ~ ' ' if column_name is not none else '' }}{{ expression }})
{% endtest %}
