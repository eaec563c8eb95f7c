with

source as (
    select * from {{ source('shop', 'order_items') }}
),

deduplicated as (
    select
        *,
        row_number() over (
            partition by order_id, product_id, size
            {{ latest_load_first() }}
        ) as row_rank
    from source
),

renamed as (
    select
        order_id,
        product_id,
        nullif(trim(size), '') as size,
        quantity,
        unit_price,
        list_price,
        _source_file as source_file,
        _source_line as source_line
    from deduplicated
    where row_rank = 1
)

-- items have no date of their own: fct_order_items keeps those of orders before as_of
select * from renamed
