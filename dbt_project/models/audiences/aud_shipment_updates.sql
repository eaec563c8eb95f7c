-- Order shipped and track-and-trace: one row per shipment status change in the last
-- trigger_lookback_days (a repeated status is not a change), keyed by event_key so each change
-- is announced once. label_created = order shipped; delivered / exception get their own message.
with as_of as (

    select as_of_date from {{ ref('as_of_date') }}

),

contacts as (
{{ audience_contacts(['sms', 'whatsapp', 'email']) }}
),

shipment_events as (

    select
        shipments.order_id,
        shipments.shipment_status,
        shipments.occurred_at,
        shipments.carrier,
        shipments.tracking_number,
        lag(shipments.shipment_status) over (
            partition by shipments.order_id
            order by shipments.occurred_at, shipments.shipment_status
        ) as previous_status
    from {{ ref('stg_shop__shipment_events') }} as shipments

),

status_changes as (

    select shipment_events.*, orders.customer_id
    from shipment_events
    inner join {{ ref('fct_orders') }} as orders
        on shipment_events.order_id = orders.order_id
    cross join as_of
    where (shipment_events.previous_status is null
            or shipment_events.previous_status <> shipment_events.shipment_status)
        and shipment_events.occurred_at >= {{ dbt.dateadd(
            'day', -audience_var('trigger_lookback_days'), 'as_of.as_of_date') }}

)

select
    {{ audience_contact_columns() }},
    'shipment:' || status_changes.order_id || ':' || status_changes.shipment_status || ':'
        || cast(status_changes.occurred_at as {{ dbt.type_string() }}) as event_key,
    status_changes.order_id,
    status_changes.shipment_status,
    case status_changes.shipment_status
        when 'label_created' then 'order_shipped'
        when 'delivered' then 'delivered'
        when 'exception' then 'delivery_exception'
        else 'tracking_update'
    end as message_type,
    status_changes.occurred_at as status_changed_at,
    status_changes.carrier,
    status_changes.tracking_number
from status_changes
inner join contacts
    on status_changes.customer_id = contacts.customer_id
