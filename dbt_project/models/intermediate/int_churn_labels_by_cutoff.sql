{#- The churn label at every cutoff whose label window [cutoff, cutoff + horizon) ends by as_of:
    churned = no purchase in that window. Same population as int_churn_features_by_cutoff. -#}
with

cutoffs as (
    select
        cutoff_date,
        cutoff_at,
        label_end_date,
        cast(label_end_date as timestamp) as label_end_at
    from {{ ref('int_churn_cutoffs') }}
    where is_label_observable
),

purchases as (
    select customer_id, ordered_at
    from {{ ref('fct_orders') }}
    where is_purchase and customer_id is not null
),

buyers_before_cutoff as (
    select distinct cutoffs.cutoff_date, purchases.customer_id
    from purchases
    inner join cutoffs on purchases.ordered_at < cutoffs.cutoff_at
),

buyers_in_label_window as (
    select distinct cutoffs.cutoff_date, purchases.customer_id
    from purchases
    inner join cutoffs
        on purchases.ordered_at >= cutoffs.cutoff_at
        and purchases.ordered_at < cutoffs.label_end_at
)

select
    buyers.cutoff_date,
    buyers.customer_id,
    cutoffs.label_end_date,
    returned.customer_id is null as is_churned
from buyers_before_cutoff as buyers
inner join cutoffs on cutoffs.cutoff_date = buyers.cutoff_date
left join buyers_in_label_window as returned
    on returned.cutoff_date = buyers.cutoff_date
    and returned.customer_id = buyers.customer_id
