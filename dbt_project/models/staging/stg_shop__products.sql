with

source as (
    select * from {{ source('shop', 'products') }}
),

deduplicated as (
    select
        *,
        row_number() over (
            partition by product_id
            {{ latest_load_first() }}
        ) as row_rank
    from source
),

renamed as (
    select
        product_id,
        nullif(trim(name), '') as product_name,
        nullif(trim(category), '') as category,
        list_price,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at
    from deduplicated
    where row_rank = 1
)

select * from renamed
