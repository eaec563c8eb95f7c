{#-
  The build's point-in-time date. Every other model reads it from here. The var, else env
  RETENTION_AS_OF_DATE: an env var read here re-parses only this file when it changes, where a
  new --vars value makes dbt re-parse the whole project.
-#}
{%- set as_of_var = var('as_of_date') or env_var('RETENTION_AS_OF_DATE', '') -%}

with

latest_order as (
    select max(ordered_at) as latest_ordered_at from {{ source('shop', 'orders') }}
)

select
{%- if as_of_var %}
    cast('{{ as_of_var }}' as date) as as_of_date
{%- else %}
    coalesce(
        cast({{ dbt.dateadd('day', 1, 'cast(latest_ordered_at as date)') }} as date),
        cast({{ dbt.current_timestamp() }} as date)
    ) as as_of_date
{%- endif %}
from latest_order
