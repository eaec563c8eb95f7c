-- Detractors -> support follow-up: one row per feedback answer in the last
-- trigger_lookback_days with NPS 0-6 or CSAT 1-2, keyed by event_key so support reaches out once
-- per answer.
with as_of as (

    select as_of_date from {{ ref('as_of_date') }}

),

contacts as (
{{ audience_contacts(['email']) }}
),

unhappy as (

    select
        feedback.customer_id,
        feedback.order_id,
        feedback.submitted_at,
        feedback.nps_score,
        feedback.csat_score,
        feedback.comment
    from {{ ref('stg_shop__feedback') }} as feedback
    cross join as_of
    where (feedback.nps_score <= 6 or feedback.csat_score <= 2)
        and feedback.submitted_at >= {{ dbt.dateadd(
            'day', -audience_var('trigger_lookback_days'), 'as_of.as_of_date') }}

)

select
    {{ audience_contact_columns() }},
    'detractor_follow_up:' || unhappy.customer_id || ':'
        || coalesce(unhappy.order_id, '-') || ':'
        || cast(unhappy.submitted_at as {{ dbt.type_string() }}) as event_key,
    unhappy.order_id,
    unhappy.submitted_at,
    cast(unhappy.nps_score as integer) as nps_score,
    cast(unhappy.csat_score as integer) as csat_score,
    unhappy.comment
from unhappy
inner join contacts
    on unhappy.customer_id = contacts.customer_id
