with

source as (
    select * from {{ source('shop', 'feedback') }}
),

as_of as (
    select cast(as_of_date as {{ dbt.type_timestamp() }}) as as_of_at from {{ ref('as_of_date') }}
),

deduplicated as (
    select
        source.*,
        row_number() over (
            partition by source.customer_id, source.order_id, source.submitted_at
            {{ latest_load_first('source') }}
        ) as row_rank
    from source
    cross join as_of
    where source.submitted_at < as_of.as_of_at
),

renamed as (
    select
        customer_id,
        order_id,
        submitted_at,
        cast(submitted_at as date) as submitted_date,
        nps_score,
        csat_score,
        nullif(trim(comment), '') as comment,
        _source_file as source_file,
        _source_line as source_line
    from deduplicated
    where row_rank = 1
)

select * from renamed
