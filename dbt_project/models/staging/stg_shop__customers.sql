with

source as (
    select * from {{ source('shop', 'customers') }}
),

as_of as (
    select cast(as_of_date as {{ dbt.type_timestamp() }}) as as_of_at from {{ ref('as_of_date') }}
),

deduplicated as (
    select
        source.*,
        row_number() over (
            partition by source.customer_id
            {{ latest_load_first('source') }}
        ) as row_rank
    from source
    cross join as_of
    where source.customer_id is not null
        and (source.signed_up_at is null or source.signed_up_at < as_of.as_of_at)
),

phone_codes as (
    select * from {{ ref('country_phone_codes') }}
),

cleaned as (
    select
        deduplicated.*,
        {{ normalize_email('deduplicated.email') }} as email_normalized,
        nullif(trim(deduplicated.phone), '') as phone_trimmed,
        {{ normalize_phone('deduplicated.phone', 'phone_codes.calling_code', 'phone_codes.trunk_prefix') }}
            as phone_e164,
        phone_codes.country_iso2
    from deduplicated
    left join phone_codes
        on upper(trim(deduplicated.country)) = phone_codes.country_key
    where deduplicated.row_rank = 1
),

renamed as (
    select
        customer_id,
        email_normalized as email,
        {{ is_valid_email('email_normalized') }} as is_email_valid,
        {{ email_invalid_reason('email_normalized') }} as email_invalid_reason,
        case when {{ is_valid_phone('phone_e164') }} then phone_e164 end as phone,
        phone_trimmed as phone_raw,
        {{ is_valid_phone('phone_e164') }} as is_phone_valid,
        nullif(trim(first_name), '') as first_name,
        nullif(trim(last_name), '') as last_name,
        nullif(trim(country), '') as country,
        country_iso2,
        nullif(trim(city), '') as city,
        birth_date,
        signed_up_at,
        nullif(lower(trim(acquisition_channel)), '') as acquisition_channel,
        coalesce(lower(trim(email_consent)), 'not_subscribed') as email_consent,
        coalesce(lower(trim(sms_consent)), 'not_subscribed') as sms_consent,
        coalesce(lower(trim(whatsapp_consent)), 'not_subscribed') as whatsapp_consent,
        nullif(lower(trim(preferred_channel)), '') as preferred_channel,
        _source_file as source_file,
        _source_line as source_line,
        _loaded_at as loaded_at
    from cleaned
)

select * from renamed
