-- CSAT and NPS by RFM segment (not an audience): all feedback before as_of, attributed to the
-- customer's current segment. CSAT = answers 4-5 / answers x 100; NPS = % promoters (9-10)
-- - % detractors (0-6). One row per segment with feedback; customers without RFM are 'No RFM'.
with feedback as (

    select customer_id, nps_score, csat_score
    from {{ ref('stg_shop__feedback') }}

),

segmented as (

    select
        coalesce(rfm.rfm_segment, 'No RFM') as rfm_segment,
        feedback.customer_id,
        feedback.nps_score,
        feedback.csat_score
    from feedback
    left join {{ ref('customer_rfm') }} as rfm
        on feedback.customer_id = rfm.customer_id

)

select
    rfm_segment,
    cast(count(distinct customer_id) as bigint) as customers_with_feedback,
    cast(count(csat_score) as bigint) as csat_responses,
    cast(round(100 * {{ safe_divide(
        'sum(case when csat_score >= 4 then 1 else 0 end)', 'count(csat_score)') }}, 1)
        as double) as csat,
    cast(round(avg(csat_score), 2) as double) as avg_csat_score,
    cast(count(nps_score) as bigint) as nps_responses,
    cast(round(100 * {{ safe_divide(
        'sum(case when nps_score >= 9 then 1 when nps_score <= 6 then -1 else 0 end)',
        'count(nps_score)') }}, 1) as double) as nps
from segmented
group by rfm_segment
