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

{#-
  Why a normalised email is not deliverable, or NULL when it is (or when there is no email).
  The limits the email vendors enforce (RFC 5321/5322 as Klaviyo, Mailchimp, Braze, Iterable
  apply them), checked in this order, first failure wins:
    contains_whitespace   a space or tab inside the address
    not_ascii             any character outside printable ASCII (emoji, accented letters, a
                          zero-width space inside): vendors reject internationalised addresses
    not_one_at_sign       no @, more than one @, or nothing before or after it
    longer_than_254       more than 254 characters in all
    local_part_longer_than_64   more than 64 characters before the @
    domain_ends_with_dot  a trailing dot after the domain (alice@example.com.)
    domain_empty_label    an empty label in the domain (alice@.example.com, example..com)
    invalid_top_level_domain    the last label is not 2 to 63 letters (alice@example.c0)
    invalid_local_part    not a dot-atom: letters, digits and !#$%&'*+/=?^_`{|}~- in dot-separated
                          runs (no leading, trailing or doubled dot)
    invalid_domain        a label longer than 63 characters, or starting or ending with a hyphen,
                          or holding characters other than letters, digits and hyphens
  Expects normalize_email() output (trimmed, lower-cased).
-#}
{% macro email_invalid_reason(normalized_email) -%}
  {%- set e = normalized_email -%}
  {%- set atext = "[a-z0-9!#$%&\\x27*+/=?^_`{|}~-]+" -%}
  {%- set label = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?" -%}
  case
    when {{ e }} is null then null
    when {{ regex_full_match(e, ".*\\s.*") }} then 'contains_whitespace'
    when not {{ regex_full_match(e, "[!-~]*") }} then 'not_ascii'
    when not {{ regex_full_match(e, "[^@]+@[^@]+") }} then 'not_one_at_sign'
    when {{ dbt.length(e) }} > 254 then 'longer_than_254'
    when {{ dbt.position("'@'", e) }} > 65 then 'local_part_longer_than_64'
    when {{ e }} like '%.' then 'domain_ends_with_dot'
    when {{ regex_full_match(e, "[^@]*@(\\..*|.*\\.\\..*)") }} then 'domain_empty_label'
    when not {{ regex_full_match(e, "[^@]*@.*\\.[a-z]{2,63}") }} then 'invalid_top_level_domain'
    when not {{ regex_full_match(e, atext ~ "(\\." ~ atext ~ ")*@.*") }} then 'invalid_local_part'
    when not {{ regex_full_match(e, "[^@]*@(" ~ label ~ "\\.)+[a-z]{2,63}") }} then 'invalid_domain'
  end
{%- endmacro %}

{#- True when email_invalid_reason() finds nothing wrong with a present address. -#}
{% macro is_valid_email(normalized_email) -%}
  ({{ normalized_email }} is not null and {{ email_invalid_reason(normalized_email) }} is null)
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
