{#- Email and phone normalisation used by stg_shop__customers. Invalid values are flagged, never dropped. -#}

{#-
  Trimmed, lower-cased email; NULL when blank. Zero-width characters (U+200B-U+200D, U+2060,
  U+FEFF) are removed and no-break spaces (U+00A0, U+202F) become spaces before trimming, so an
  address pasted with them is cleaned at its ends and flagged invalid if one sits inside.
-#}
{% macro normalize_email(email) -%}
  {%- set cleaned = namespace(sql=email) -%}
  {%- for invisible in ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"] -%}
    {%- set cleaned.sql = "replace(" ~ cleaned.sql ~ ", '" ~ invisible ~ "', '')" -%}
  {%- endfor -%}
  {%- for no_break in ["\u00a0", "\u202f"] -%}
    {%- set cleaned.sql = "replace(" ~ cleaned.sql ~ ", '" ~ no_break ~ "', ' ')" -%}
  {%- endfor -%}
  nullif(lower(trim({{ cleaned.sql }})), '')
{%- endmacro %}

{#- The phone without a trailing extension (`ext. 89`, `extension 89`, `x89`, `#89`). -#}
{% macro strip_phone_extension(phone) -%}
  regexp_replace({{ phone }}, '(?i) *(extension|ext|x|#)[.:]? *[0-9]+ *$', '')
{%- endmacro %}

{#- One @, no spaces, a dot in the domain. -#}
{% macro is_valid_email(normalized_email) -%}
  coalesce({{ regex_full_match(normalized_email, "[^@\\s]+@[^@\\s]+\\.[^@\\s]+") }}, false)
{%- endmacro %}

{#-
  Phone to E.164 (+ country code + national number) where the input allows it, after dropping
  an extension (never merged into the digits):
  "+CC..." and "00CC..." are international already; otherwise the customer's country gives the
  calling code (seed country_phone_codes), dropping the national trunk prefix (e.g. the leading 0
  of 020 7946 0018 in GB). NULL when it cannot be normalised; is_valid_phone() then is false.
-#}
{% macro normalize_phone(raw_phone, calling_code, trunk_prefix) -%}
  {%- set phone = strip_phone_extension(raw_phone) -%}
  {%- set digits = strip_non_digits(phone) -%}
  case
    when {{ phone }} is null or {{ digits }} = '' then null
    when trim({{ phone }}) like '+%' then {{ dbt.concat(["'+'", digits]) }}
    when {{ digits }} like '00%' then {{ dbt.concat(["'+'", "substr(" ~ digits ~ ", 3)"]) }}
    when {{ calling_code }} is null then null
    when {{ trunk_prefix }} is not null and {{ digits }} like {{ dbt.concat([trunk_prefix, "'%'"]) }}
      then {{ dbt.concat(["'+'", calling_code, "substr(" ~ digits ~ ", length(" ~ trunk_prefix ~ ") + 1)"]) }}
    when {{ digits }} like {{ dbt.concat([calling_code, "'%'"]) }}
      and length({{ digits }}) > length({{ calling_code }}) + 8
      then {{ dbt.concat(["'+'", digits]) }}
    else {{ dbt.concat(["'+'", calling_code, digits]) }}
  end
{%- endmacro %}

{#- E.164: +, a non-zero digit, 8 to 15 digits in total. -#}
{% macro is_valid_phone(e164_phone) -%}
  coalesce({{ regex_full_match(e164_phone, "\\+[1-9][0-9]{7,14}") }}, false)
{%- endmacro %}
