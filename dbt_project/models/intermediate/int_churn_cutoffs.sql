{#- The point-in-time cutoffs the churn model reads (ml/churn_pipeline.py): scoring at as_of,
    validation one label horizon before it and training two horizons before it. -#}
{%- set horizon_days = var('churn_horizon_days') -%}
{%- set roles = ['scoring', 'validation', 'training'] -%}

with

as_of as (
    select as_of_date from {{ ref('as_of_date') }}
),

cutoffs as (
    {%- for role in roles %}
    select
        '{{ role }}' as cutoff_role,
        cast({{ dbt.dateadd('day', -loop.index0 * horizon_days, 'as_of_date') }} as date)
            as cutoff_date,
        as_of_date
    from as_of
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select
    cutoff_role,
    cutoff_date,
    cast(cutoff_date as timestamp) as cutoff_at,
    {{ horizon_days }} as horizon_days,
    cast({{ dbt.dateadd('day', horizon_days, 'cutoff_date') }} as date) as label_end_date,
    cast({{ dbt.dateadd('day', horizon_days, 'cutoff_date') }} as date) <= as_of_date
        as is_label_observable
from cutoffs
