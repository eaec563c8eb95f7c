"""`retention new-audience NAME`: a new audience model that builds and syncs as generated.

Writes `models/audiences/aud_<name>.sql` (contacts CTE + a members rule to edit) and
`aud_<name>.yml` with the enforced contract (every column's data_type), the standard tests, one
sync under `meta.activation.syncs` and its exposure, in the shape docs/INTERFACES.md describes.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from retention.core.errors import InputError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

SQL = """\
-- {title}: who is in this audience, and when people enter and leave. Edit the `members` rule;
-- keep the contact columns (the sync and the consent checks read them).
with contacts as (
{{{{ audience_contacts(['{channel}']) }}}}
),

members as (

    select customer_id, orders_count
    from {{{{ ref('dim_customers') }}}}
    where orders_count >= 1

)

select
    {{{{ audience_contact_columns() }}}},
    cast(members.orders_count as integer) as purchase_count
from members
inner join contacts
    on members.customer_id = contacts.customer_id
"""

# (name, data_type, description, extra tests, pii)
CONTACT_COLUMNS = [
    ("customer_id", "string", "Customer id (shop).", ["not_null", "unique"], False),
    ("email", "string", "Normalised email address; only its owner is emailed on it.", [], True),
    ("phone", "string", "Phone (E.164 where possible); only its owner is texted on it.", [], True),
    ("has_email_consent", "boolean", "Email consent, valid address.", ["not_null"], False),
    ("has_sms_consent", "boolean", "SMS consent, valid phone.", ["not_null"], False),
    ("has_whatsapp_consent", "boolean", "WhatsApp consent, valid phone.", ["not_null"], False),
    ("channel", "string", "Channel to use (audience_channel macro); always consented.", [], False),
    ("first_name", "string", "First name, for greetings.", [], True),
    ("purchase_count", "integer", "Purchases (an example trait; replace with yours).", [], False),
]  # fmt: skip
CONTACT_COLUMN = {"email": "email", "sms": "phone", "whatsapp": "phone"}
CHANNELS = tuple(CONTACT_COLUMN)


def identifiers(destination: str, channel: str) -> dict[str, str]:
    """Identifier mapping valid for `destination` on `channel`: the contact, plus the customer
    id where the destination accepts an external id."""
    from activation.destinations import DESTINATIONS

    cls = DESTINATIONS[destination]
    column = CONTACT_COLUMN[channel]
    keys = cls.identifier_keys
    key = cls.channel_identifier.get(channel)
    if key is None and keys is not None:
        hints = ("email",) if channel == "email" else ("phone", "to")
        key = next((k for k in sorted(keys) if any(h in k.lower() for h in hints)), None)
    mapping = {key or column: column}
    for external in ("external_id", "userId"):
        if keys is None or external in keys:
            mapping[external] = "customer_id"
            break
    return mapping


def _column(name: str, data_type: str, description: str, tests: list, pii: bool, channel: str):
    column: dict = {"name": name, "data_type": data_type, "description": description}
    if pii:
        column["config"] = {"tags": ["pii"]}
    if name == "channel":
        tests = ["not_null", {"accepted_values": {"arguments": {"values": [channel]}}}]
        tests.append("channel_has_consent")
    if name == CONTACT_COLUMN[channel]:  # one customer per contact: tests/audiences checks it
        tests = [*tests, {"one_customer_per_contact": {"arguments": {"channels": [channel]}}}]
    if tests:
        column["data_tests"] = tests
    return column


def model_yaml(name: str, channel: str, destination: str, owner_email: str) -> dict:
    """The yml document of audience `aud_<name>`: contract, tests, one sync and its exposure."""
    model, sync_name = f"aud_{name}", f"{name}_{destination}"
    title = name.replace("_", " ").capitalize()
    return {
        "version": 2,
        "models": [
            {
                "name": model,
                "description": f"{title}: describe who is in it and when people enter and leave.",
                "config": {
                    "contract": {"enforced": True},
                    "tags": ["audience"],
                    "meta": {
                        "activation": {
                            "syncs": [
                                {
                                    "name": sync_name,
                                    "destination": destination,
                                    "target": title,
                                    "mode": "upsert",
                                    "channel": channel,
                                    "primary_key": "customer_id",
                                    "identifiers": identifiers(destination, channel),
                                    "fields": {"first_name": "first_name"},
                                }
                            ]
                        }
                    },
                },
                "data_tests": [{"not_empty": {"config": {"severity": "warn"}}}],
                "columns": [_column(*spec, channel) for spec in CONTACT_COLUMNS],
            }
        ],
        "exposures": [
            {
                "name": sync_name,
                "label": f"{title} ({destination})",
                "type": "application",
                "maturity": "low",
                "description": f"{destination} target '{title}' filled from {model}.",
                "owner": {"name": "Lifecycle Marketing", "email": owner_email},
                "depends_on": [f"ref('{model}')"],
            }
        ],
    }


def scaffold_audience(
    dbt_project_dir: Path,
    name: str,
    *,
    channel: str = "email",
    destination: str = "klaviyo",
    owner_email: str = "marketing@example.com",
) -> list[Path]:
    """Write aud_<name>.sql and .yml under models/audiences; InputError if taken or invalid."""
    from activation.config import DESTINATION_NAMES

    name = name.removeprefix("aud_")
    if not NAME_PATTERN.match(name):
        raise InputError(
            f"audience name {name!r}: use lower case letters, digits and _, e.g. lapsed_vips"
        )
    if channel not in CHANNELS:
        raise InputError(f"--channel {channel!r}: use one of {', '.join(CHANNELS)}")
    if destination not in DESTINATION_NAMES:
        raise InputError(
            f"--destination {destination!r}: use one of {', '.join(DESTINATION_NAMES)}"
        )
    folder = dbt_project_dir / "models" / "audiences"
    sql, yml = folder / f"aud_{name}.sql", folder / f"aud_{name}.yml"
    for path in (sql, yml):
        if path.exists():
            raise InputError(f"{path} already exists; pick another audience name")
    document = model_yaml(name, channel, destination, owner_email)
    _validate(yml, document)
    title = name.replace("_", " ").capitalize()
    sql.write_text(SQL.format(title=title, channel=channel))
    yml.write_text(yaml.safe_dump(document, sort_keys=False, width=100))
    return [sql, yml]


def _validate(path: Path, document: dict) -> None:
    """InputError when the generated sync would not load (e.g. a destination option it needs)."""
    from activation.config import _parse_sync
    from activation.errors import SyncConfigError

    (model,) = document["models"]
    (sync,) = model["config"]["meta"]["activation"]["syncs"]
    try:
        _parse_sync(path, model["name"], sync)
    except SyncConfigError as exc:
        raise InputError(
            f"{exc}; scaffold with another --destination (e.g. klaviyo) and change it after"
        ) from None
