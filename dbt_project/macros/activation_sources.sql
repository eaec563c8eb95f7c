{#-
  The sync engine's consent read-back (docs/INTERFACES.md, "Consent ledger"), declared as the
  source activation.provider_consent in models/marts/_activation__sources.yml. The sync engine
  (activation/consent.py) writes it; this only creates it empty if missing, so `dbt build`
  works before any sync.
-#}
{% macro create_missing_activation_tables() %}
  {%- set statements = [
    'create schema if not exists activation',
    'create table if not exists activation.provider_consent ('
      ~ 'destination ' ~ dbt.type_string() ~ ', channel ' ~ dbt.type_string()
      ~ ', contact ' ~ dbt.type_string() ~ ', provider_status ' ~ dbt.type_string()
      ~ ', sync_name ' ~ dbt.type_string() ~ ', observed_at ' ~ dbt.type_timestamp() ~ ')',
  ] -%}
  {%- if execute -%}
    {%- for statement in statements -%}{%- do run_query(statement) -%}{%- endfor -%}
  {%- endif -%}
{% endmacro %}
