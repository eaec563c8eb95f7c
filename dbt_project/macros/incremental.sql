{#-
  Incremental models (DuckDB): the growing facts rebuild only the keys whose input changed.

  A key is reprocessed when one of its raw (or staging) rows was loaded after the model's
  watermark (the newest `_loaded_at` it had read, so late and updated rows of any date are
  caught; each load stamps its rows with its own, later time and cannot run during a build:
  DuckDB has one writer), or when one of its timestamps falls on or after the previous
  build's as_of minus `incremental_lookback_days` (rows the point-in-time filter hid last
  time, and time-dependent flags). The watermark and as_of of each model's last successful build live in
  `dbt_state.incremental_state`, written by a post-hook in the model's transaction. An as_of
  earlier than the one a table was built at is refused with one line: a past as-of needs
  `--full-refresh` (`retention build --as-of` passes it). Other engines build tables as before.
-#}

{#- The materialization: incremental on DuckDB, `otherwise` (view or table) elsewhere. -#}
{% macro incremental_on_duckdb(otherwise) -%}
  {{- return('incremental' if target.type == 'duckdb' else otherwise) -}}
{%- endmacro %}

{#- on-run-start: the state table, made once before models run in parallel. -#}
{% macro create_incremental_state_table() -%}
  {%- if target.type != 'duckdb' -%}{{ return('') }}{%- endif -%}
  {%- set state = api.Relation.create(database=target.database, schema='dbt_state', identifier='incremental_state') -%}
  create schema if not exists {{ state.database }}.{{ state.schema }};
  create table if not exists {{ state }} (model varchar, as_of_date date, loaded_at timestamp)
{%- endmacro %}

{% macro incremental_state_relation() -%}
  {{- return(api.Relation.create(database=this.database, schema='dbt_state', identifier='incremental_state')) -}}
{%- endmacro %}

{#-
  What the current incremental run of this model must reprocess: none = everything (first
  build, full refresh, or no usable state), else {'loaded_at': watermark, 'since': first
  timestamp of the time window}. `as_of` is ref('as_of_date') for point-in-time models, none
  for models without dates; `extra_days` widens the window (flags that age with as_of).
-#}
{% macro incremental_since(as_of=none, extra_days=0) -%}
  {%- if not execute or not is_incremental() -%}{{ return(none) }}{%- endif -%}
  {%- set state = incremental_state_relation() -%}
  {%- if adapter.get_relation(database=state.database, schema=state.schema, identifier=state.identifier) is none -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set rows = run_query(
      "select as_of_date, loaded_at from " ~ state ~ " where model = '" ~ this.identifier ~ "'"
  ).rows -%}
  {%- if rows | length == 0 or rows[0][1] is none -%}{{ return(none) }}{%- endif -%}
  {%- set built_as_of = rows[0][0] -%}
  {%- set lookback = var('incremental_lookback_days') | int + extra_days | int -%}
  {%- if as_of is none or built_as_of is none -%}
    {{ return({'loaded_at': rows[0][1], 'since': none}) }}
  {%- endif -%}
  {%- set current = run_query("select as_of_date from " ~ as_of).rows[0][0] -%}
  {%- if current < built_as_of -%}
    {{ exceptions.raise_compiler_error(
        this.identifier ~ " was built as of " ~ built_as_of ~ " and as_of_date " ~ current
        ~ " is earlier: rebuild it from scratch with --full-refresh (retention build --as-of does)"
    ) }}
  {%- endif -%}
  {{ return({'loaded_at': rows[0][1], 'since': built_as_of - modules.datetime.timedelta(days=lookback)}) }}
{%- endmacro %}

{#-
  A boolean SQL condition: the row was loaded after the watermark, or one of
  `time_columns` is in the window. `true` when everything must be reprocessed.
-#}
{% macro changed_since(since, loaded_at_column, time_columns=[]) -%}
  {%- if since is none -%}
    true
  {%- else -%}
    ({{ loaded_at_column }} > cast('{{ since.loaded_at }}' as {{ dbt.type_timestamp() }})
    {%- if since.since is not none -%}
      {%- for column in time_columns %}
        or {{ column }} >= cast('{{ since.since }}' as {{ dbt.type_timestamp() }})
      {%- endfor -%}
    {%- endif -%})
  {%- endif -%}
{%- endmacro %}

{#-
  Post-hook: record this build's as_of and watermark (the newest `loaded_at` among `inputs`,
  pairs of relation and column) for the next incremental run.
-#}
{% macro record_incremental_state(inputs, as_of=none) -%}
  {%- if target.type != 'duckdb' -%}{{ return('select 1') }}{%- endif -%}
  {%- set state = incremental_state_relation() -%}
  delete from {{ state }} where model = '{{ this.identifier }}';
  insert into {{ state }}
  select
    '{{ this.identifier }}',
    {% if as_of is not none %}(select as_of_date from {{ as_of }}){% else %}cast(null as date){% endif %},
    (select max(loaded_at) from (
      {%- for relation, column in inputs %}
      {% if not loop.first %}union all {% endif %}select max({{ column }}) as loaded_at from {{ relation }}
      {%- endfor %}
    ) as inputs)
{%- endmacro %}

{#-
  Post-hook: delete the rows whose `key` no longer has a row in `kept` (a SELECT of the keys
  the model would keep now), e.g. after a raw file was replaced without some rows.
-#}
{% macro delete_vanished_keys(key, kept) -%}
  {%- if target.type != 'duckdb' or not is_incremental() -%}{{ return('select 1') }}{%- endif -%}
  delete from {{ this }} as target_rows
  where not exists (
    select 1 from ({{ kept }}) as kept_keys where kept_keys.{{ key }} = target_rows.{{ key }}
  )
{%- endmacro %}
