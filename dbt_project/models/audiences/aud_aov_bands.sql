-- AOV band: buyers split into aov_band_count equal-size bands by average order value
-- (band 1 = lowest), relative to this store's own buyers. One row per reachable buyer.
with contacts as (
{{ audience_contacts(['email']) }}
),

buyers as (

    select
        customer_id,
        avg_order_value,
        ntile({{ audience_var('aov_band_count') }}) over (
            order by avg_order_value, customer_id
        ) as aov_band_number
    from {{ ref('dim_customers') }}
    where orders_count > 0 and avg_order_value is not null

)

select
    {{ audience_contact_columns() }},
    cast(buyers.avg_order_value as double) as avg_order_value,
    cast(buyers.aov_band_number as integer) as aov_band_number,
    case
        when buyers.aov_band_number = 1 then 'low'
        when buyers.aov_band_number = {{ audience_var('aov_band_count') }} then 'high'
        else 'mid'
    end as aov_band
from buyers
inner join contacts
    on buyers.customer_id = contacts.customer_id
