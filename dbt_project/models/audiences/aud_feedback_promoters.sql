-- Promoters: customers whose latest NPS answer in the last feedback_lookback_days is 9-10,
-- invited to write a review or refer a friend (with a personal referral code).
with as_of as (

    select as_of_date from {{ ref('as_of_date') }}

),

contacts as (
{{ audience_contacts(['email']) }}
),

latest_nps as (

    select
        feedback.customer_id,
        feedback.nps_score,
        feedback.submitted_at,
        row_number() over (
            partition by feedback.customer_id
            order by feedback.submitted_at desc, feedback.order_id
        ) as recency_rank
    from {{ ref('stg_shop__feedback') }} as feedback
    cross join as_of
    where feedback.nps_score is not null
        and feedback.submitted_at >= {{ dbt.dateadd(
            'day', -audience_var('feedback_lookback_days'), 'as_of.as_of_date') }}

)

select
    {{ audience_contact_columns() }},
    cast(latest_nps.nps_score as integer) as nps_score,
    latest_nps.submitted_at as nps_submitted_at,
    'REFER-' || upper(substr({{ dbt.hash('latest_nps.customer_id') }}, 1, 8)) as referral_code
from latest_nps
inner join contacts
    on latest_nps.customer_id = contacts.customer_id
where latest_nps.recency_rank = 1
    and latest_nps.nps_score >= 9
