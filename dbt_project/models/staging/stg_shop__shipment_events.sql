with

source as (
    select * from {{ source('shop', 'shipment_events') }}
),

as_of as (
    select cast(as_of_date as {{ dbt.type_timestamp() }}) as as_of_at from {{ ref('as_of_date') }}
),

deduplicated as (
    select
        source.*,
        row_number() over (
            partition by source.order_id, source.status, source.occurred_at
            {{ latest_load_first('source') }}
        ) as row_rank
    from source
    cross join as_of
    where source.occurred_at < as_of.as_of_at
),

renamed as (
    select
        order_id,
        lower(trim(status)) as shipment_status,
        occurred_at,
        nullif(trim(carrier), '') as carrier,
        nullif(trim(tracking_number), '') as tracking_number,
        _source_file as source_file,
        _source_line as source_line
    from deduplicated
    where row_rank = 1
)

select * from renamed
