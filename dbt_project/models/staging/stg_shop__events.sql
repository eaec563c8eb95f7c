with

source as (
    select * from {{ source('shop', 'events') }}
),

as_of as (
    select cast(as_of_date as {{ dbt.type_timestamp() }}) as as_of_at from {{ ref('as_of_date') }}
),

deduplicated as (
    select
        source.*,
        row_number() over (
            partition by
                source.customer_id, source.event_type, source.occurred_at, source.channel,
                source.product_id, cast(source.properties as {{ dbt.type_string() }})
            {{ latest_load_first('source') }}
        ) as row_rank
    from source
    cross join as_of
    where source.occurred_at < as_of.as_of_at
),

renamed as (
    select
        customer_id,
        lower(trim(event_type)) as event_type,
        occurred_at,
        cast(occurred_at as date) as event_date,
        nullif(lower(trim(channel)), '') as channel,
        product_id,
        properties,
        _source_file as source_file,
        _source_line as source_line
    from deduplicated
    where row_rank = 1
)

select * from renamed
