-- VIP early access: the most loyal customers, RFM segment in vip_rfm_segments (Champions) or
-- CLV tier in vip_clv_tiers (high). Routed to email or SMS.
with contacts as (
{{ audience_contacts(['email', 'sms']) }}
),

vips as (

    select
        rfm.customer_id,
        rfm.rfm_segment,
        ltv.clv_tier,
        case
            when rfm.rfm_segment in ({{ audience_var_list('vip_rfm_segments') }})
                and ltv.clv_tier in ({{ audience_var_list('vip_clv_tiers') }})
                then 'champion_and_top_clv'
            when rfm.rfm_segment in ({{ audience_var_list('vip_rfm_segments') }})
                then 'champion'
            else 'top_clv'
        end as vip_reason
    from {{ ref('customer_rfm') }} as rfm
    left join {{ ref('customer_ltv') }} as ltv
        on rfm.customer_id = ltv.customer_id
    where rfm.rfm_segment in ({{ audience_var_list('vip_rfm_segments') }})
        or ltv.clv_tier in ({{ audience_var_list('vip_clv_tiers') }})

)

select
    {{ audience_contact_columns() }},
    vips.vip_reason,
    vips.rfm_segment,
    vips.clv_tier
from vips
inner join contacts
    on vips.customer_id = contacts.customer_id
